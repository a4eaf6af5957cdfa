"""API shapes of webhook receivers and their deliveries."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=16, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ReceiverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="where events are POSTed: http(s), no user, query or fragment")
    events: list[str] = Field(min_length=1, description="event types (GET /api/webhook-events)")
    description: Description = ""
    secret: Secret | None = Field(
        default=None, description="the signing secret; left out, one is made (shown once)"
    )


class ReceiverUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    events: list[str] | None = Field(default=None, min_length=1)
    description: Description | None = None
    active: bool | None = Field(default=None, description="false: nothing is sent meanwhile")


class ReceiverOut(BaseModel):
    id: int
    organization_id: int
    url: str
    description: str
    events: list[str]
    active: bool
    secret_last4: str
    created_at: datetime


class ReceiverCreated(ReceiverOut):
    secret: str = Field(description="shown this once: keep it where the receiver runs")


class EventType(BaseModel):
    type: str
    description: str


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None = Field(description="why it did not count as delivered; null: a 2xx")


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    event_type: str
    status: str = Field(description="pending, delivered or failed (its attempts ran out)")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]


class TestSent(BaseModel):
    event_id: int = Field(description="the test event; its delivery is listed at once")
