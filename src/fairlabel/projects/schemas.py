"""API shapes for projects, their questions and guidelines."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from fairlabel.models import ProjectStatus
from fairlabel.pay import floors
from fairlabel.workforce.eligibility import EligibilitySettings, ProjectEligibility

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class QuestionIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    type: str
    prompt: str = ""
    required: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)


class QuestionOut(QuestionIn):
    model_config = ConfigDict(from_attributes=True)


class WorkflowStage(BaseModel):
    """A stage after labelling: a second person (review) or a third on a sample (audit)."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["review", "audit"]
    sample_rate: float = Field(default=1.0, gt=0, le=1, description="share of work it sees")
    qualification: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="a skill its reviewers need (in their worker profile)",
    )


class RejectionReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    label: str = Field(min_length=1, max_length=200)


#: Used when a project with a review stage names no reasons of its own.
DEFAULT_REJECTION_REASONS = [
    RejectionReason(code="wrong_answer", label="The answer is wrong"),
    RejectionReason(code="incomplete", label="Something required was left out"),
    RejectionReason(code="imprecise", label="Boxes, spans or shapes are not precise enough"),
    RejectionReason(code="guideline_not_followed", label="A guideline rule was not followed"),
]


def _unique(values: list[str], what: str) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"each {what} at most once; repeated: {', '.join(repeated)}")


class ReviewSettings(BaseModel):
    """Workflow fields shared by create and update."""

    workflow: list[WorkflowStage] | None = Field(default=None, max_length=2)
    rejection_reasons: list[RejectionReason] | None = Field(default=None, max_length=100)
    rework_hours: int | None = Field(
        default=None, ge=1, le=720, description="how long a rejected worker has to redo it"
    )

    @field_validator("workflow")
    @classmethod
    def _stages_once(cls, stages: list[WorkflowStage] | None) -> list[WorkflowStage] | None:
        if stages:
            _unique([s.stage for s in stages], "stage")
        return stages

    @field_validator("rejection_reasons")
    @classmethod
    def _codes_once(cls, reasons: list[RejectionReason] | None) -> list[RejectionReason] | None:
        if reasons:
            _unique([r.code for r in reasons], "code")
        return reasons


class GoldSettings(BaseModel):
    """Gold fields shared by create and update; on update, an explicit null
    min_gold_accuracy removes the bar."""

    gold_rate: float | None = Field(
        default=None, ge=0, le=1, description="share of next-task answers that serve a gold item"
    )
    min_gold_accuracy: float | None = Field(
        default=None, ge=0, le=1, description="below it, a worker receives no more tasks"
    )
    min_gold_seen: int | None = Field(
        default=None, ge=1, le=10_000, description="gold items seen before the bar applies"
    )


class ConsensusSettings(BaseModel):
    """Dynamic overlap: an item whose consensus confidence falls under the threshold gets
    one more annotator, up to max_overlap annotations; an explicit null removes either."""

    consensus_threshold: float | None = Field(default=None, gt=0, le=1)
    max_overlap: int | None = Field(default=None, ge=1, le=100)


class ContentRiskSettings(BaseModel):
    """Content risks the items carry (names from GET /api/content-risks) and per-category
    daily exposure caps, which may only lower the operator's; checked by the service."""

    content_risks: list[str] | None = Field(default=None, max_length=20)
    exposure_caps: dict[str, int] | None = Field(
        default=None, description="items per worker per UTC day, by category"
    )


StageName = Literal["label", "review", "audit", "rework"]


class PaySettings(BaseModel):
    """Pay policy fields shared by create and update: a rate per item (or per hour) for each
    stage in minor units of the currency, and the time per item the floor is checked with."""

    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217")
    pay_basis: Literal["item", "hour"] | None = None
    rates: dict[StageName, Annotated[int, Field(ge=0, le=10**9)]] | None = Field(
        default=None, description="minor units per item (or per hour) by stage"
    )
    estimated_seconds: int | None = Field(default=None, ge=1, le=24 * 3600)
    review_deadline_hours: int | None = Field(
        default=None, ge=1, le=720, description="pending pay is approved automatically after it"
    )


class ProjectPay(BaseModel):
    """What a worker sees before accepting: the rate, the estimated time per item, and the
    effective hourly rate they make (all in minor units of `currency`)."""

    currency: str
    basis: str
    rate_minor: int
    rates: dict[str, int]
    estimated_seconds: int
    effective_hourly_minor: int
    review_deadline_hours: int


class EligibilityFields(BaseModel):
    """Who may work on the project; on update, the whole settings are replaced. Closing it
    to a country workers are based in takes a notice (POST /api/projects/{id}/notices)."""

    eligibility: EligibilitySettings | None = None


class ProjectCreate(
    ReviewSettings,
    GoldSettings,
    ConsensusSettings,
    ContentRiskSettings,
    PaySettings,
    EligibilityFields,
):
    organization_id: int
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    questions: list[QuestionIn] = Field(default_factory=list)
    guidelines: str = ""
    overlap: int = Field(default=1, ge=1, le=100)
    lease_seconds: int = Field(default=1800, ge=30, le=7 * 24 * 3600)
    status: ProjectStatus = ProjectStatus.draft


class ProjectUpdate(
    ReviewSettings,
    GoldSettings,
    ConsensusSettings,
    ContentRiskSettings,
    PaySettings,
    EligibilityFields,
):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    questions: list[QuestionIn] | None = None
    guidelines: str | None = None
    overlap: int | None = Field(default=None, ge=1, le=100)
    lease_seconds: int | None = Field(default=None, ge=30, le=7 * 24 * 3600)
    status: ProjectStatus | None = None


class ProjectCounts(BaseModel):
    items: int
    open_items: int
    annotations: int


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int
    name: str
    description: str
    status: str
    overlap: int
    lease_seconds: int
    guideline_version: int
    questions: list[QuestionOut]
    workflow: list[WorkflowStage]
    rejection_reasons: list[RejectionReason]
    rework_hours: int
    gold_rate: float
    min_gold_accuracy: float | None
    min_gold_seen: int
    consensus_threshold: float | None
    max_overlap: int | None
    content_risks: list[str]
    exposure_caps: dict[str, int]
    eligibility: ProjectEligibility
    currency: str
    pay_basis: str
    rates: dict[str, int]
    estimated_seconds: int
    review_deadline_hours: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pay(self) -> ProjectPay:
        return ProjectPay(
            currency=self.currency,
            basis=self.pay_basis,
            rate_minor=floors.label_rate(self),
            rates=self.rates,
            estimated_seconds=self.estimated_seconds,
            effective_hourly_minor=round(floors.hourly_minor(self)),
            review_deadline_hours=self.review_deadline_hours,
        )

    created_at: datetime
    updated_at: datetime


class GuidelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    body: str
    created_at: datetime
