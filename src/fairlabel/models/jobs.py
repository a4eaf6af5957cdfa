"""Jobs: long work (recomputing consensus, and later large imports, exports, payout runs)
run outside the request that asked for it, with progress people can watch."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


#: A job in one of these may still change; the others are final.
ACTIVE_STATUSES = (JobStatus.queued, JobStatus.running)


class Job(Base):
    """One run of a registered job kind. `message` says what it is doing now and `error`
    why it failed, both in words for people (never a traceback). `heartbeat_at` is renewed
    by the runner while the job runs, so a job whose server died can be told from one that
    another server is still running."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_project", "project_id", "id"),
        Index("ix_jobs_status", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.queued)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
