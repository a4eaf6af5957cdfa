"""Production monitoring: a stream of a client's production conversations, sampled by
rate and stratum into a review project, with the counts of what arrived and was sampled."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow


class MonitoringStream(Base):
    """Where production conversations are sent. Each is sampled with the rate of its
    stratum (`stratum_rates`, else `rate`); the stratum is the model id (`stratum` =
    "model") or a metadata key ("metadata.<key>"). Reviewers flag a conversation by answering
    `flag_question` with one of `flag_values`."""

    __tablename__ = "monitoring_streams"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[float] = mapped_column(default=0.1)
    stratum: Mapped[str] = mapped_column(String(120), default="model")
    stratum_rates: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    flag_question: Mapped[str] = mapped_column(String(100))
    flag_values: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonitoringCount(Base):
    """Conversations received and sampled per stream, day (of the conversation's own
    timestamp, UTC) and stratum. Sampling is decided by the conversation's id, so one sent
    again is sampled alike; a sampled one sent again is counted once, an unsampled one
    again (remembering every unsampled id would cost what sampling saves)."""

    __tablename__ = "monitoring_counts"
    __table_args__ = (UniqueConstraint("stream_id", "day", "stratum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("monitoring_streams.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    stratum: Mapped[str] = mapped_column(String(200))
    received: Mapped[int] = mapped_column(default=0)
    sampled: Mapped[int] = mapped_column(default=0)
