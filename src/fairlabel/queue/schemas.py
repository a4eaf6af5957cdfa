"""API shapes for leased assignments and the next-task answer."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from fairlabel.annotations.schemas import DraftOut
from fairlabel.projects.schemas import QuestionOut

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


class AssignmentOut(AssignmentSummary):
    """Everything a labelling screen needs in one answer."""

    item: ItemOut
    questions: list[QuestionOut]
    guideline_version: int
    draft: DraftOut | None
    annotation_id: int | None = Field(description="the latest annotation, once submitted")


class NextAssignmentOut(BaseModel):
    """`assignment` is null when nothing is left for this worker; `reason` says why."""

    assignment: AssignmentOut | None
    reason: EmptyReason | None = None
    retry_after_seconds: int | None = Field(
        default=None, description="when others' leases run out, for reason leased_to_others"
    )
