"""API shapes for leased assignments and the next-task answer."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from fairlabel.annotations.schemas import DraftOut
from fairlabel.assist.schemas import SuggestionOut
from fairlabel.dueprocess.schemas import Sanctioned
from fairlabel.gold.schemas import BelowGoldAccuracy
from fairlabel.projects.schemas import QuestionOut
from fairlabel.wellness.schemas import ContentNotice, ExposureCapReached, MissingOptIns
from fairlabel.workforce.eligibility import NotEligible

#: The error answers of work on one assignment, for the OpenAPI description.
ASSIGNMENT_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "not one of your assignments"},
    409: {"description": "already submitted (use revise) or returned"},
    410: {"description": "the lease expired; the draft is kept"},
}


class EmptyReason(StrEnum):
    """Why next-task handed out nothing, so a client knows whether to wait or stop."""

    complete = "complete"
    leased_to_others = "leased_to_others"
    already_worked_on = "already_worked_on"
    no_items = "no_items"
    below_gold_accuracy = "below_gold_accuracy"
    content_risk_opt_in = "content_risk_opt_in"
    exposure_cap_reached = "exposure_cap_reached"
    budget_exhausted = "budget_exhausted"
    not_eligible = "not_eligible"
    sanctioned = "sanctioned"


class ItemOut(BaseModel):
    id: int
    external_id: str
    fields: dict[str, Any]
    meta: dict[str, Any]


class AssignmentSummary(BaseModel):
    id: int
    project_id: int
    item_id: int
    stage: str
    status: str = Field(description="active, submitted, returned or expired (lease ran out)")
    leased_at: datetime
    expires_at: datetime
    seconds_left: int = Field(description="of the lease; 0 once it is no longer active")
    ended_at: datetime | None
    rate_minor: int | None = Field(
        default=None, description="the pay locked when it was accepted, in minor units"
    )
    currency: str | None = Field(default=None, description="of rate_minor")


class ReworkFeedback(BaseModel):
    """Why a rework assignment came back: the rejection and the answers it judged."""

    reason_code: str | None
    reason: str | None
    guideline_ref: str | None
    comment: str
    previous_answers: dict[str, Any]


class AssignmentOut(AssignmentSummary):
    """Everything a labelling screen needs in one answer."""

    item: ItemOut
    questions: list[QuestionOut]
    guideline_version: int
    draft: DraftOut | None
    annotation_id: int | None = Field(description="the latest annotation, once submitted")
    suggestions: list[SuggestionOut] = Field(
        description="model answers to pre-fill, marked as suggestions; best score first"
    )
    feedback: ReworkFeedback | None = Field(
        default=None, description="for rework: the rejection that sent the work back"
    )
    content: ContentNotice | None = Field(
        default=None, description="for a risky item: its categories, support, break prompt"
    )


class NextAssignmentOut(BaseModel):
    """`assignment` is null when nothing is left for this worker; `reason` says why."""

    assignment: AssignmentOut | None
    reason: EmptyReason | None = None
    retry_after_seconds: int | None = Field(
        default=None, description="when others' leases run out, for reason leased_to_others"
    )
    detail: (
        BelowGoldAccuracy | MissingOptIns | ExposureCapReached | NotEligible | Sanctioned | None
    ) = Field(
        default=None,
        description="why, for reasons below_gold_accuracy (and what was missed), "
        "content_risk_opt_in (the categories to opt into) and exposure_cap_reached "
        "(the categories at today's cap, and when it resets)"
        ", not_eligible (each requirement unmet) and sanctioned (the sanction in effect)",
    )
