"""API shapes for worker profiles, qualifications, qualification tests and eligibility."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fairlabel.projects.schemas import QuestionOut
from fairlabel.workforce.eligibility import (
    COUNTRY,
    QUALIFICATION_NAME,
    LanguageCodes,
    Unmet,
    codes,
)

SKILL = r"^[a-z0-9][a-z0-9_.-]{0,59}$"


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(default=None, pattern=COUNTRY, description="ISO 3166, e.g. KE")
    languages: LanguageCodes = Field(default_factory=list, max_length=30)
    skills: Annotated[list[str], codes(SKILL, "lower-case words such as radiology", str.strip)] = (
        Field(default_factory=list, max_length=50)
    )
    payout_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="how the payment provider finds you (account or phone number); "
        "only operators running payouts see it",
    )


class QualificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    level: int
    tier: str
    evidence: str
    updated_at: datetime


class ProfileOut(BaseModel):
    user_id: int
    pseudonym: str
    country: str | None
    languages: list[str]
    skills: list[str]
    payout_reference: str | None
    qualifications: list[QualificationOut]


class QualificationClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=QUALIFICATION_NAME, description="lower case, e.g. medicine")
    level: int = Field(ge=1, le=5)
    evidence: str = Field(default="", max_length=5000, description="degrees, licences, links")


class TierChange(BaseModel):
    """An operator's check of a claim; only a passed test calibrates."""

    model_config = ConfigDict(extra="forbid")

    tier: Literal["documents_checked", "verified"]
    reason: str = Field(min_length=5, max_length=5000, description="what was checked")


class QualificationTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qualification: str = Field(pattern=QUALIFICATION_NAME)
    level: int = Field(default=1, ge=1, le=5)
    item_ids: list[int] = Field(min_length=1, max_length=200, description="gold items")
    pass_mark: float = Field(default=0.8, gt=0, le=1)
    cooldown_hours: int = Field(default=24, ge=0, le=24 * 90)
    training: bool = Field(
        default=False,
        description=(
            "a training test shows the expected answers after a failed attempt; its items "
            "are then never served as hidden gold to anyone"
        ),
    )
    guideline_sections: dict[str, str] = Field(
        default_factory=dict,
        description="per question name: the guideline section a worker who missed it reads",
    )


class QualificationTestOut(BaseModel):
    """A test as a worker sees it before sitting it: what it grants, its size and the most
    it pays. Which items it holds (gold items) only the project's managers see."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    qualification: str
    level: int
    item_ids: list[int] | None = Field(
        default=None, description="the gold items; only for those who manage the project"
    )
    items: int
    pass_mark: float
    cooldown_hours: int
    training: bool
    guideline_sections: dict[str, str]
    paid_seconds_max: int = Field(description="the most time an attempt is paid for")
    pay_max_minor: int = Field(description="what that time pays at the project's rate")
    currency: str


class TestItem(BaseModel):
    id: int
    fields: dict[str, Any]


class AttemptStarted(BaseModel):
    """The items to answer, with the project's questions; the known answers stay hidden."""

    attempt_id: int
    test: QualificationTestOut
    started_at: datetime
    items: list[TestItem]
    questions: list[QuestionOut]


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, dict[str, Any]] = Field(
        description="per item id (as a string): the answers, as a submission would give them"
    )
    time_spent_ms: int = Field(ge=0, le=24 * 3600 * 1000)


class MissedItem(BaseModel):
    """An item not fully right: which questions were missed and the guideline sections to
    read. The expected answers only for a training test, whose items are never gold."""

    item_id: int
    fields: dict[str, Any]
    score: float
    answers: dict[str, Any]
    missed_questions: list[str] = Field(default_factory=list)
    guideline_sections: list[str] = Field(default_factory=list)
    expected: dict[str, Any] | None = None


class AttemptOut(BaseModel):
    id: int
    test_id: int
    score: float | None
    passed: bool | None
    missed: list[MissedItem]
    time_spent_ms: int
    started_at: datetime
    finished_at: datetime | None
    retake_at: datetime | None = Field(description="when a retake is allowed; null once passed")
    decision_id: int | None = Field(description="the audit event to name in an appeal")


class EligibilityOut(BaseModel):
    project_id: int
    eligible: bool
    unmet: list[Unmet]


class MyProject(EligibilityOut):
    name: str
