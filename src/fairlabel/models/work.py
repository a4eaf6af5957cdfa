"""Assignments (leased, paid units of work), drafts and versioned annotations."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow
from fairlabel.models.items import BigId


class AssignmentStatus(StrEnum):
    active = "active"
    submitted = "submitted"
    returned = "returned"
    expired = "expired"


class Assignment(Base):
    """(item, worker, stage): the unique constraint is the database's own guarantee that a
    worker never gets the same item twice at a stage."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "worker_id", "stage"),
        Index("ix_assignments_lease", "project_id", "status", "expires_at"),
        Index("ix_assignments_worker", "worker_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20), default="label")
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.active)
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Draft(Base):
    """Work in progress for an assignment, autosaved; replaced on each save, never exported."""

    __tablename__ = "drafts"

    assignment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    time_spent_ms: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Annotation(Base):
    """A worker's answers for an item; each change is a new version, none is overwritten."""

    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("assignment_id", "version"),
        Index("ix_annotations_project", "project_id", "id"),
        Index("ix_annotations_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("assignments.id", ondelete="CASCADE")
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    is_latest: Mapped[bool] = mapped_column(default=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    guideline_version: Mapped[int] = mapped_column(default=0)
    time_spent_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
