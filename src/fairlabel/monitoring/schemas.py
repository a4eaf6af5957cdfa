"""API shapes of monitoring streams, ingested production conversations and the flagged
rate over time."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Rate = Annotated[float, Field(ge=0, le=1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
FlagValue = str | int | bool
MAX_BATCH = 1000


class StreamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    rate: Rate = Field(default=0.1, description="share sampled where no stratum rate applies")
    stratum: str = Field(
        default="model", description='"model" (the model id) or "metadata.<key>"', max_length=120
    )
    stratum_rates: dict[str, Rate] = Field(
        default_factory=dict, description="a rate per stratum value, over `rate`"
    )
    flag_question: str = Field(description="the project's question reviewers flag with")
    flag_values: list[FlagValue] = Field(
        min_length=1, description="answers to it that flag a conversation"
    )


class StreamOut(BaseModel):
    id: int
    project_id: int
    name: str
    rate: float
    stratum: str
    stratum_rates: dict[str, float]
    flag_question: str
    flag_values: list[FlagValue]
    created_at: datetime


class Conversation(BaseModel):
    """One production conversation, as the client's serving stack logged it."""

    model_config = ConfigDict(extra="forbid")

    id: Text = Field(description="the client's id; sending it again samples it alike, once")
    model: Text
    timestamp: AwareDatetime = Field(description="when it happened, with its time zone")
    metadata: dict[str, Any] = Field(default_factory=dict)
    messages: list[Any] = Field(min_length=1, description="OpenAI-style {role, content}")


class Ingest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversations: list[Conversation] = Field(min_length=1, max_length=MAX_BATCH)


class Ingested(BaseModel):
    received: int = Field(description="conversations counted (sampled ones sent again aside)")
    sampled: int = Field(description="new items in the review project")
    already_sampled: int = Field(description="sent before and sampled then; nothing changed")
    item_ids: list[int]


class FlaggedDay(BaseModel):
    day: date
    received: int
    sampled: int
    reviewed: int = Field(description="sampled conversations with at least one answer")
    flagged: int
    rate: float | None = Field(description="flagged / reviewed; null: none reviewed")
    lower: float | None = Field(description="95% Wilson interval")
    upper: float | None
    estimated_rate: float | None = Field(
        description="the production rate: each stratum's flagged rate weighted by the "
        "conversations it received (strata are sampled at different rates)"
    )


class FlaggedRate(BaseModel):
    stream_id: int
    stratum: str | None = Field(description="only this stratum value; null: all")
    strata: list[str] = Field(description="stratum values seen")
    days: list[FlaggedDay]
