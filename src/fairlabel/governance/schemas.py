"""API shapes for the platform terms (versions and acknowledgements) and for collective
governance (worker representatives and consultations)."""

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from fairlabel.models import ConsultationTopic, RepresentativeKind

TermsStatus = Literal["current", "upcoming", "superseded"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    return value


class TermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(
        min_length=1, max_length=200_000, description="markdown; raw HTML is shown as text"
    )
    summary: str = Field(
        default="",
        max_length=5000,
        description="what changes from the version before; needed from version 2 on",
    )
    effective_at: AwareDatetime | None = Field(
        default=None,
        description="when it takes effect: the first version at once or later; every later "
        "one at least the notice period ahead (default: exactly that)",
    )

    _check_text = field_validator("title", "body")(_not_blank)


class TermsOut(BaseModel):
    number: int
    title: str
    body: str
    summary: str
    published_at: datetime
    effective_at: datetime
    published_by_id: int | None
    status: TermsStatus = Field(
        description="current: in effect now; upcoming: announced, not yet in effect"
    )
    notice_days: float = Field(description="days between publication and taking effect")
    acknowledged_at: datetime | None = Field(
        default=None, description="when the calling worker acknowledged this version"
    )


class AcknowledgementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    worker_id: int
    number: int
    accepted_at: datetime


class RepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: RepresentativeKind = Field(
        description="union or association: a collective body; elected_representative: a person"
    )
    contact: str = Field(
        min_length=1, max_length=2000, description="how workers reach them: shown to every worker"
    )
    worker_id: int | None = Field(
        default=None, description="the worker account of a person, if any"
    )
    recognised_at: AwareDatetime | None = Field(default=None, description="default: now")
    ended_at: AwareDatetime | None = Field(
        default=None, description="for a representative no longer recognised"
    )

    _check_text = field_validator("name", "contact")(_not_blank)


class RepresentativeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    contact: str
    worker_id: int | None
    recognised_at: datetime
    ended_at: datetime | None
    created_at: datetime
    current: bool = Field(default=True, description="recognised now (not ended)")


class ConsultationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: ConsultationTopic
    held_on: date = Field(description="not in the future: record a consultation once held")
    summary: str = Field(min_length=1, max_length=20_000, description="what was put to them")
    outcome: str = Field(min_length=1, max_length=20_000, description="what came of it")
    representative_ids: list[int] = Field(
        min_length=1, max_length=100, description="the representatives consulted (current ones)"
    )

    _check_text = field_validator("summary", "outcome")(_not_blank)


class ConsultationOut(BaseModel):
    id: int
    topic: str
    held_on: date
    summary: str
    outcome: str
    representative_ids: list[int]
    recorded_by_id: int | None
    created_at: datetime
