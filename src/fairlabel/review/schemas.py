"""API shapes of review: the review task, the verdict, and a worker's verdict history."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from fairlabel.models import Verdict
from fairlabel.projects.schemas import RejectionReason
from fairlabel.queue.schemas import AssignmentOut, EmptyReason


class ReviewedAnnotation(BaseModel):
    """The work under review, read-only; the worker appears by pseudonym only."""

    id: int
    version: int
    answers: dict[str, Any]
    guideline_version: int
    time_spent_ms: int
    worker: str
    created_at: datetime


class EarlierVerdict(BaseModel):
    stage: str
    verdict: str
    reason_code: str | None
    guideline_ref: str | None
    comment: str
    reviewer: str


class ReviewTaskOut(BaseModel):
    """A review lease: the item and questions as the labeller saw them, their answers, the
    reasons a rejection may cite and the guideline sections it may point to."""

    assignment: AssignmentOut
    annotation: ReviewedAnnotation
    rejection_reasons: list[RejectionReason]
    guideline_sections: list[str]
    earlier_verdicts: list[EarlierVerdict]


class NextReviewOut(BaseModel):
    task: ReviewTaskOut | None
    reason: EmptyReason | None = None


class VerdictIn(BaseModel):
    """accept; reject with a reason code and the guideline section broken; or correct with
    the corrected answers. A comment is optional for all three."""

    verdict: Verdict
    reason_code: str | None = Field(default=None, min_length=1, max_length=100)
    guideline_ref: str | None = Field(default=None, min_length=1, max_length=200)
    comment: str = Field(default="", max_length=5000)
    answers: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _fits_the_verdict(self) -> "VerdictIn":
        if self.verdict == Verdict.reject and (not self.reason_code or not self.guideline_ref):
            raise ValueError(
                "a rejection needs reason_code (from the project's list) and guideline_ref "
                "(the guideline section it breaks)"
            )
        if self.verdict == Verdict.correct and self.answers is None:
            raise ValueError("a correction needs the corrected answers")
        if self.verdict != Verdict.correct and self.answers is not None:
            raise ValueError("answers go with a correction only")
        return self


class ReviewOut(BaseModel):
    """A verdict as its worker and the project's members see it."""

    id: int
    project_id: int
    annotation_id: int
    item_id: int
    stage: str
    verdict: str
    reason_code: str | None
    reason: str | None = Field(description="the reason code's label in the project's list")
    guideline_ref: str | None
    comment: str
    correction_id: int | None
    corrected_answers: dict[str, Any] | None
    reviewer: str = Field(description="the reviewer's pseudonym")
    rework_assignment_id: int | None = Field(
        description="for a rejection: the paid rework offered to the worker, if any"
    )
    created_at: datetime
