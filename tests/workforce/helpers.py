"""Shared by the workforce and due-process tests: rows moved in time, and table snapshots
to prove a refused request changed nothing."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from fairlabel.db import Database, utcnow
from fairlabel.models import (
    Appeal,
    AuditEvent,
    Feedback,
    LedgerEntry,
    Notice,
    Project,
    Qualification,
    QualificationAttempt,
    QualificationTest,
    Sanction,
    User,
    Worker,
)

TABLES = (
    Appeal,
    AuditEvent,
    Feedback,
    LedgerEntry,
    Notice,
    Qualification,
    QualificationAttempt,
    QualificationTest,
    Sanction,
)


def state(database: Database) -> dict[str, Any]:
    """Every row these domains write, and the columns of others they change."""
    with database.session(write=False) as db:
        rows = {
            model.__tablename__: sorted(
                tuple(getattr(obj, c.name) for c in model.__table__.columns)
                for obj in db.scalars(select(model))
            )
            for model in TABLES
        }
        rows["workers"] = sorted(
            tuple(r) for r in db.execute(select(Worker.user_id, Worker.country, Worker.languages))
        )
        rows["users"] = sorted(tuple(r) for r in db.execute(select(User.id, User.is_active)))
        rows["projects"] = sorted(
            tuple(r) for r in db.execute(select(Project.id, Project.status, Project.eligibility))
        )
    return rows


def move_back(database: Database, model: Any, row_id: int, days: float, *columns: str) -> None:
    """Set the named timestamp columns of one row `days` into the past."""
    when = utcnow() - timedelta(days=days)
    with database.session() as db:
        db.execute(update(model).where(model.id == row_id).values(dict.fromkeys(columns, when)))


def events(database: Database, worker_id: int, kind: str) -> list[AuditEvent]:
    with database.session(write=False) as db:
        query = select(AuditEvent).where(AuditEvent.worker_id == worker_id, AuditEvent.kind == kind)
        return list(db.scalars(query.order_by(AuditEvent.id)))
