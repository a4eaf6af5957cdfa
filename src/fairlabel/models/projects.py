"""Projects, their questions and their versioned guidelines."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow
from fairlabel.models.organizations import Organization


class ProjectStatus(StrEnum):
    draft = "draft"
    active = "active"
    paused = "paused"
    done = "done"


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.draft)
    overlap: Mapped[int] = mapped_column(default=1)
    lease_seconds: Mapped[int] = mapped_column(default=1800)
    guideline_version: Mapped[int] = mapped_column(default=0)
    #: Stages after labelling, in order: [{"stage": "review"|"audit", "sample_rate": 0..1,
    #: "qualification": name or null}]. Empty: submitted work is final.
    workflow: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: The reason codes a rejection must cite: [{"code": ..., "label": ...}].
    rejection_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    rework_hours: Mapped[int] = mapped_column(default=24)
    gold_rate: Mapped[float] = mapped_column(default=0.0)
    min_gold_accuracy: Mapped[float | None]
    min_gold_seen: Mapped[int] = mapped_column(default=5)
    consensus_threshold: Mapped[float | None]
    max_overlap: Mapped[int | None]
    #: Who may work on it: {"qualifications": [{"name", "min_level"}], "languages": [...],
    #: "countries": [...]}; an empty list means no restriction of that kind.
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Pay policy: currency, rate per item (minor units) per stage, or per hour of measured
    #: time, and the estimated time per item that the pay floor is checked against.
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    pay_basis: Mapped[str] = mapped_column(String(10), default="item")
    rates: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    estimated_seconds: Mapped[int] = mapped_column(default=60)
    review_deadline_hours: Mapped[int] = mapped_column(default=72)
    #: Content risks the items carry ("violence", "sexual", ...) and per-day exposure caps.
    content_risks: Mapped[list[str]] = mapped_column(JSONType, default=list)
    exposure_caps: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="project", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    prompt: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[Project] = relationship(back_populates="questions")


class GuidelineVersion(Base):
    """Guidelines are never edited in place: each change is a new numbered version."""

    __tablename__ = "guideline_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
