"""Webhooks: an organization's receivers, the outbox of events, and each delivery with
every attempt made at it (the outbox is written in the transaction of the change; the
deliveries go out from a background thread after it commits)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow


class WebhookReceiver(Base):
    """A URL that events are POSTed to, signed with the receiver's secret (stored encrypted
    like an endpoint's API key, shown once, then only by its last four characters)."""

    __tablename__ = "webhook_receivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: The event types it receives, such as ["job.finished", "project.finished"].
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    secret_last4: Mapped[str] = mapped_column(String(4))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEvent(Base):
    """One event, as sent (`payload` is the body's `data`). `key` makes an event that may be
    noticed twice (a project finishing) happen once."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(Base):
    """One event for one receiver: pending until a 2xx answer (delivered) or until its
    attempts run out (failed). `next_attempt_at` is also the claim: a sender moves it past
    its own timeout while it sends, so a sender that dies leaves the delivery due again."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_receiver", "receiver_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("webhook_receivers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    """One POST of a delivery: the answer's status, or our own words for why none came."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[float]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)


class WebhookWatch(Base):
    """What the watcher last saw of a project: its newest annotation, the leaderboard's
    order then, so that a changed order is noticed once, after new votes or a recompute."""

    __tablename__ = "webhook_watches"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    last_annotation_id: Mapped[int] = mapped_column(default=0)
    last_job_id: Mapped[int] = mapped_column(default=0)
    #: Model names, best first; null until the project has a leaderboard.
    order: Mapped[list[str] | None] = mapped_column(JSONType)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
