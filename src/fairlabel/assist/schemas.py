"""API shapes of model suggestions."""

from typing import Any

from pydantic import BaseModel, Field, model_validator

#: Suggestions per request: a client sends a large set in pages of this size.
MAX_SUGGESTIONS_PER_REQUEST = 10_000


class SuggestionIn(BaseModel):
    """One model answer for one (item, question). The item is named by id or external id."""

    item_id: int | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=512)
    question: str = Field(min_length=1, max_length=100)
    answer: Any
    score: float | None = Field(default=None, ge=0, le=1)
    agent: str = Field(default="model", min_length=1, max_length=200)

    @model_validator(mode="after")
    def _names_one_item(self) -> "SuggestionIn":
        if (self.item_id is None) == (self.external_id is None):
            raise ValueError("give exactly one of item_id and external_id")
        return self


class SuggestionOut(BaseModel):
    """What a worker sees: pre-filled, marked as coming from `agent` with its `score`."""

    question: str
    answer: Any
    score: float | None
    agent: str


class SuggestionReport(BaseModel):
    stored: int = Field(description="suggestions created or replaced (same item, question, agent)")


class PrelabelIn(BaseModel):
    """A batch pre-labelling job: a registered backend, its options, optionally the items."""

    backend: str = Field(min_length=1, max_length=100)
    options: dict[str, Any] = Field(default_factory=dict)
    item_ids: list[int] | None = Field(default=None, min_length=1, max_length=100_000)
    batch_size: int | None = Field(default=None, ge=1, le=1000)
    retries: int = Field(default=2, ge=0, le=5)
