"""Assignments (leased, paid units of work), drafts and versioned annotations."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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
    #: The pay locked when the worker accepted it (minor units of `currency`), and whether
    #: that time was paid per item or per hour.
    rate_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    #: What a review or rework assignment is about: the annotation reviewed or rejected.
    subject_annotation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("annotations.id", ondelete="CASCADE", use_alter=True)
    )
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
        Index("ix_annotations_awaiting", "project_id", "awaiting_stage", "under_review", "id"),
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
    #: "worker" (labelling or rework) or "correction" (a reviewer's corrected version).
    source: Mapped[str] = mapped_column(String(20), default="worker")
    corrects_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("annotations.id", ondelete="SET NULL")
    )
    #: The workflow stage this annotation waits for (null: none), whether a reviewer holds
    #: it now, and the last verdict on it.
    awaiting_stage: Mapped[str | None] = mapped_column(String(20))
    under_review: Mapped[bool] = mapped_column(default=False)
    verdict: Mapped[str | None] = mapped_column(String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    guideline_version: Mapped[int] = mapped_column(default=0)
    time_spent_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Verdict(StrEnum):
    accept = "accept"
    reject = "reject"
    correct = "correct"


class Review(Base):
    """A verdict on an annotation at a workflow stage; one per (annotation, stage). A
    rejection cites a reason code and a guideline section; a correction links the
    corrected version."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("annotation_id", "stage"),
        Index("ix_reviews_worker", "worker_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    annotation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("annotations.id", ondelete="CASCADE")
    )
    assignment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("assignments.id", ondelete="CASCADE")
    )
    #: The worker whose work is judged, and the reviewer who judged it.
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(100))
    guideline_ref: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    correction_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("annotations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GoldScore(Base):
    """A worker's running score on a project's gold items, per question: `correct` sums
    per-item scores in [0, 1] (IoU-based for shapes), so accuracy = correct / seen."""

    __tablename__ = "gold_scores"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen: Mapped[int] = mapped_column(default=0)
    correct: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consensus(Base):
    """The aggregated answer of one (item, question), with its method and confidence."""

    __tablename__ = "consensus"
    __table_args__ = (
        UniqueConstraint("item_id", "question"),
        Index("ix_consensus_project", "project_id", "confidence"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(40))
    answer: Mapped[Any] = mapped_column(JSONType)
    confidence: Mapped[float]
    annotators: Mapped[int]
    agreeing: Mapped[int]
    human_confirmed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
