"""Platform terms and collective governance: versioned terms of service that workers
acknowledge, the worker representatives the operator recognises, and the consultations
held with them before policy changes (Fairwork thresholds 3.1 and 5.2)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, UTCDateTime, utcnow


class TermsVersion(Base):
    """One published version of the platform's terms. Never edited or deleted: a change is
    a new version, announced at least the notice period before it takes effect."""

    __tablename__ = "terms_versions"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TermsAcceptance(Base):
    """A worker's acknowledgement that they read one version; the first one is kept."""

    __tablename__ = "terms_acceptances"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(
        ForeignKey("terms_versions.number", ondelete="RESTRICT"), primary_key=True
    )
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RepresentativeKind(StrEnum):
    union = "union"
    association = "association"
    elected_representative = "elected_representative"


class WorkerRepresentative(Base):
    """A collective body (a union, a workers' association) or an elected representative
    that the operator recognises and consults; `ended_at` when that recognition ended."""

    __tablename__ = "worker_representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    contact: Mapped[str] = mapped_column(Text)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recognised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsultationTopic(StrEnum):
    pay_floor = "pay_floor"
    reason_codes = "reason_codes"
    terms = "terms"
    sanctions = "sanctions"
    other = "other"


class Consultation(Base):
    """A consultation held with worker representatives on one policy topic, with what was
    discussed and what came of it."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consultee(Base):
    """A representative consulted; one recorded is never deleted while consulted."""

    __tablename__ = "consultees"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("worker_representatives.id", ondelete="RESTRICT"), primary_key=True
    )
