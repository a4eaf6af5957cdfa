"""What a worker can do and has agreed to: qualifications and their tests, content-risk
opt-ins and the exposures counted against daily caps, and workers' ratings of projects."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow
from fairlabel.models.items import BigId


class QualificationTier(StrEnum):
    """How far a qualification is established, weakest first."""

    claimed = "claimed"
    documents_checked = "documents_checked"
    verified = "verified"
    calibrated = "calibrated"


class Qualification(Base):
    """A skill a worker holds at a level (1-5), with how it was established."""

    __tablename__ = "qualifications"
    __table_args__ = (UniqueConstraint("worker_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(default=1)
    tier: Mapped[str] = mapped_column(String(20), default=QualificationTier.claimed)
    evidence: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QualificationTest(Base):
    """A set of a project's gold items with a pass mark; passing grants `qualification` at
    `level`, tier calibrated. Time on it is paid at the project's labelling rate."""

    __tablename__ = "qualification_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    qualification: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(default=1)
    item_ids: Mapped[list[int]] = mapped_column(JSONType)
    pass_mark: Mapped[float] = mapped_column(default=0.8)
    cooldown_hours: Mapped[int] = mapped_column(default=24)
    #: A training test shows the expected answers after a failed attempt, so its items are
    #: never served as hidden gold to anyone; any other test shows guideline sections only.
    training: Mapped[bool] = mapped_column(default=False)
    #: The guideline section to read for each question (question name -> heading).
    guideline_sections: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QualificationAttempt(Base):
    """One sitting of a qualification test: answers per item, score, and what was missed."""

    __tablename__ = "qualification_attempts"
    __table_args__ = (
        Index("ix_qualification_attempts_worker", "worker_id", "test_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("qualification_tests.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    score: Mapped[float | None]
    passed: Mapped[bool | None]
    missed: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    time_spent_ms: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WithheldGold(Base):
    """A gold item that the queue must not serve as hidden gold: to one worker who saw it in
    a qualification test (they could know its answer), or to everyone (no worker) when a
    training test shows its expected answers."""

    __tablename__ = "withheld_gold"
    __table_args__ = (Index("ix_withheld_gold_item", "item_id", "worker_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    test_id: Mapped[int] = mapped_column(ForeignKey("qualification_tests.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskOptIn(Base):
    """A worker's consent to see one category of harmful content; withdrawn by deleting."""

    __tablename__ = "risk_opt_ins"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exposure(Base):
    """One risky item shown to a worker, counted against the daily cap of its category."""

    __tablename__ = "exposures"
    __table_args__ = (Index("ix_exposures_worker_day", "worker_id", "category", "exposed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    exposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectRating(Base):
    """A worker's 1-5 ratings of a project's instructions, pay and reviews; clients see
    only aggregates, never who rated."""

    __tablename__ = "project_ratings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    instructions: Mapped[int]
    pay: Mapped[int]
    reviews: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
