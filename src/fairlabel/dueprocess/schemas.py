"""API shapes for due process: sanctions and their published reasons, appeals, notices,
feedback, and the audit trail."""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fairlabel.models import AppealStatus, SanctionKind
from fairlabel.workforce.eligibility import COUNTRY


class Sanctioned(BaseModel):
    """Why next-task handed out nothing: a sanction in effect after its notice."""

    message: str
    sanction_id: int
    kind: SanctionKind
    reason_code: str
    effective_at: datetime


class SanctionReason(BaseModel):
    code: str
    label: str
    description: str


class SanctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: int
    kind: SanctionKind
    project_id: int | None = Field(
        default=None,
        description="needed for a suspension (from that project); none for a deactivation",
    )
    reason_code: str = Field(description="one of GET /api/sanction-reasons")
    evidence: str = Field(min_length=20, max_length=20_000, description="what happened, where")
    effective_at: AwareDatetime | None = Field(
        default=None, description="at least the notice period ahead; default: exactly that"
    )
    fraud_proven: bool = Field(
        default=False, description="proven fraud takes effect without notice"
    )
    fraudulent_assignment_ids: list[int] = Field(
        default_factory=list,
        max_length=10_000,
        description="with proven fraud: the assignments whose pay is reversed",
    )


class SanctionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    worker_id: int
    project_id: int | None
    kind: str
    reason_code: str
    evidence: str
    fraud_proven: bool
    effective_at: datetime
    withdrawn_at: datetime | None
    created_at: datetime
    in_effect: bool = False


SubjectKind = Literal["review", "qualification", "sanction"]


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_kind: SubjectKind = Field(
        description="review: a rejection of your work (its review id); qualification: a "
        "qualification decision (its audit event id: a failed test or the gold gate); "
        "sanction: a sanction (its id)"
    )
    subject_id: int
    statement: str = Field(min_length=10, max_length=10_000, description="why it is wrong")


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "denied"] = Field(description="upheld: decided for the worker")
    reason: str = Field(min_length=10, max_length=10_000, description="shown to the worker")


class AppealOut(BaseModel):
    id: int
    worker_id: int
    subject_kind: str
    subject_id: int
    project_id: int | None
    statement: str
    status: AppealStatus
    decision_reason: str
    decided_by_deadline: bool = Field(description="decided for the worker when nobody answered")
    due_at: datetime
    decided_at: datetime | None
    created_at: datetime


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_at: AwareDatetime = Field(description="when the work ends: at least the notice ahead")
    country: str | None = Field(
        default=None, pattern=COUNTRY, description="only the work in this country; null: all"
    )
    message: str = Field(min_length=10, max_length=5000, description="what workers are told")


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    country: str | None
    effective_at: datetime
    message: str
    created_at: datetime


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["feedback", "complaint"] = "feedback"
    project_id: int | None = None
    body: str = Field(min_length=3, max_length=10_000)


class FeedbackAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(min_length=3, max_length=10_000)


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    worker_id: int
    project_id: int | None
    kind: str
    body: str
    answer: str
    answered_at: datetime | None
    created_at: datetime


class AuditEventOut(BaseModel):
    id: int
    worker_id: int | None
    actor_id: int | None
    kind: str
    subject_kind: str | None
    subject_id: int | None
    project_id: int | None
    data: dict[str, Any]
    created_at: datetime
    summary: str = Field(
        default="", description="the decision in plain words, as the worker's page says it"
    )


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    next_before: int | None = Field(description="pass as `before` for older events")
