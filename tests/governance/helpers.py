"""Shared by the terms and governance tests: publishing through the API, and a snapshot of
every row these domains write, to prove a refused request changed nothing."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from fairlabel.db import Database, utcnow
from fairlabel.models import (
    Consultation,
    Consultee,
    TermsAcceptance,
    TermsVersion,
    WorkerRepresentative,
)
from tests.factories import Account

TABLES = (TermsVersion, TermsAcceptance, WorkerRepresentative, Consultation, Consultee)
TERMS_BODY = "# Terms\n\nPay is **locked** when you accept a task."


def state(database: Database) -> dict[str, Any]:
    with database.session(write=False) as db:
        return {
            model.__tablename__: sorted(
                tuple(getattr(obj, c.name) for c in model.__table__.columns)
                for obj in db.scalars(select(model))
            )
            for model in TABLES
        }


def in_days(days: float) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def publish(operator: Account, days: float | None = None, **body: Any) -> Any:
    """A version through the API: `days` ahead, or the server's default when None."""
    payload: dict[str, Any] = {"title": "Platform terms", "body": TERMS_BODY, **body}
    if days is not None:
        payload["effective_at"] = in_days(days)
    return operator.post("/api/terms", json=payload)


def representative(operator: Account, name: str = "Kenya Data Workers", **body: Any) -> Any:
    payload = {
        "name": name,
        "kind": "association",
        "contact": "secretary@kdw.example.org",
        **body,
    }
    return operator.post("/api/governance/representatives", json=payload)


def consultation(operator: Account, representative_ids: list[int], **body: Any) -> Any:
    payload = {
        "topic": "pay_floor",
        "held_on": utcnow().date().isoformat(),
        "summary": "Raising the Kenyan floor to the 2026 minimum wage.",
        "outcome": "Agreed, with a review in six months.",
        "representative_ids": representative_ids,
        **body,
    }
    return operator.post("/api/governance/consultations", json=payload)
