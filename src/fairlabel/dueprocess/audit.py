"""The audit trail: every decision that affects a worker is one row, which the worker can
read. Only models are imported here, so that any domain can record without a cycle."""

from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.dueprocess.schemas import AuditEventOut
from fairlabel.models import AuditEvent

AUDIT = cast(Table, AuditEvent.__table__)


class AuditKind(StrEnum):
    verdict = "verdict"
    gold_gate = "gold_gate"
    qualification_claimed = "qualification_claimed"
    qualification_tier = "qualification_tier"
    qualification_test = "qualification_test"
    qualification_granted = "qualification_granted"
    sanction_issued = "sanction_issued"
    sanction_effective = "sanction_effective"
    sanction_withdrawn = "sanction_withdrawn"
    appeal_filed = "appeal_filed"
    appeal_decided = "appeal_decided"
    notice = "notice"
    complaint = "complaint"
    feedback_answered = "feedback_answered"
    pay_rate_raised = "pay_rate_raised"
    sign_in_locked = "sign_in_locked"


EVENT_ROW = tuple(AUDIT.c[name] for name in AuditEventOut.model_fields if name != "summary")


def record(
    db: Session,
    *,
    worker_id: int | None,
    kind: AuditKind,
    actor_id: int | None = None,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    project_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append one event; the id is what an appeal of a qualification decision names."""
    values = {
        "worker_id": worker_id,
        "actor_id": actor_id,
        "kind": kind.value,
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "project_id": project_id,
        "data": data or {},
        "created_at": utcnow(),
    }
    return cast(int, db.connection().execute(insert(AUDIT).returning(AUDIT.c.id), values).scalar())


def list_events(
    db: Session,
    *,
    worker_id: int | None,
    kind: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[AuditEventOut]:
    """Newest first, paged by id; worker_id None lists everyone's (operators)."""
    query = select(*EVENT_ROW)
    if worker_id is not None:
        query = query.where(AUDIT.c.worker_id == worker_id)
    if kind is not None:
        query = query.where(AUDIT.c.kind == kind)
    if before is not None:
        query = query.where(AUDIT.c.id < before)
    rows = db.connection().execute(query.order_by(AUDIT.c.id.desc()).limit(limit))
    return [AuditEventOut(**row._mapping) for row in rows]


def get_event(db: Session, event_id: int) -> AuditEventOut | None:
    row = db.connection().execute(select(*EVENT_ROW).where(AUDIT.c.id == event_id)).one_or_none()
    return None if row is None else AuditEventOut(**row._mapping)
