"""Due process: appeals, sanctions, advance notices, workers' feedback, and the audit trail
of every decision that affects a worker."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow
from fairlabel.models.items import BigId


class AppealStatus(StrEnum):
    open = "open"
    upheld = "upheld"  # decided for the worker
    denied = "denied"


class Appeal(Base):
    """A worker's appeal of a decision (a review, a qualification decision, a sanction),
    heard by someone else before `due_at`, or decided for the worker when that passes."""

    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(BigId)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=AppealStatus.open)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SanctionKind(StrEnum):
    warning = "warning"
    suspension = "suspension"  # from one project
    deactivation = "deactivation"


class Sanction(Base):
    """A sanction with its published reason code, its evidence, and the notice before it
    takes effect (none only for proven fraud). Earned pay is never forfeited by it."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str] = mapped_column(String(50))
    evidence: Mapped[str] = mapped_column(Text)
    fraud_proven: Mapped[bool] = mapped_column(default=False)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """Advance notice that a project, or a project's work in a country, ends on a date."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    country: Mapped[str | None] = mapped_column(String(2))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feedback(Base):
    """A worker's complaint or feedback, with the answer; sanctions after a complaint are
    linked to it in the audit trail, so retaliation is visible."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="feedback")
    body: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """One decision or event that affects a worker; the worker can read all of their own."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_worker", "worker_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(50))
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(BigId)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
