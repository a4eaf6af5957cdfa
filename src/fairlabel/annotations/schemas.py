"""API shapes for drafts, submissions and versioned annotations."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Longest time one submission may claim (a week): more is a client clock bug, not work.
MAX_TIME_SPENT_MS = 7 * 24 * 3600 * 1000


class AnswersIn(BaseModel):
    """Answers keyed by question name, and how long the worker spent on them."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any]
    time_spent_ms: int = Field(default=0, ge=0, le=MAX_TIME_SPENT_MS)


class DraftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    answers: dict[str, Any]
    time_spent_ms: int
    updated_at: datetime


class AnnotationOut(BaseModel):
    """One version of a worker's answers; the worker appears by pseudonym only."""

    id: int
    assignment_id: int
    project_id: int
    item_id: int
    worker: str = Field(description="the worker's pseudonym")
    version: int
    is_latest: bool
    answers: dict[str, Any]
    guideline_version: int
    time_spent_ms: int
    created_at: datetime
    source: str = Field(description="worker, or correction (a reviewer's corrected version)")
    corrects_id: int | None = Field(description="for a correction: the version it corrects")
    awaiting_stage: str | None = Field(description="the review stage this waits for, if any")
    verdict: str | None = Field(description="the last verdict: accept, reject or correct")


class SubmissionOut(AnnotationOut):
    replayed: bool = Field(
        description="true when this request repeated an earlier one and created nothing"
    )


class AnnotationPage(BaseModel):
    annotations: list[AnnotationOut]
    next_after: int | None = Field(description="pass as `after` for the next page; null at end")
