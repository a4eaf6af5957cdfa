"""API shapes for content risks, opt-ins, what a risky task tells the workspace, and
workers' ratings of projects."""

from datetime import datetime

from pydantic import BaseModel, Field


class SupportResource(BaseModel):
    label: str
    url: str
    phone: str | None = None


class RiskCategory(BaseModel):
    name: str
    label: str
    description: str
    support: list[SupportResource] = Field(
        default_factory=list, description="resources for this category beyond the general ones"
    )


class ContentRisks(BaseModel):
    """The published list: what each category covers and where to find support."""

    note: str = Field(description="the support resources are examples to localise")
    categories: list[RiskCategory]
    general_support: list[SupportResource]
    operator_cap_per_day: int = Field(description="items per category per UTC day, at most")


class OptInOut(BaseModel):
    category: str
    created_at: datetime


class ContentNotice(BaseModel):
    """What the workspace shows before a risky item: its categories, support, and whether
    the worker has had a long stretch of risky items and should be offered a break."""

    categories: list[RiskCategory]
    support: list[SupportResource]
    warning: bool = Field(description="show a warning, and blur images, before the item")
    risky_in_a_row: int = Field(description="risky items leased without a pause, this one too")
    break_due: bool = Field(description="offer a break before this item")


class MissingOptIns(BaseModel):
    """Why next-task refused for content risk: the categories still to opt into."""

    missing: list[str]


class ExposureCapReached(BaseModel):
    """Why next-task refused: categories at today's cap, and when the count starts again."""

    categories: list[str]
    resets_at: datetime


class RatingIn(BaseModel):
    instructions: int = Field(ge=1, le=5)
    pay: int = Field(ge=1, le=5)
    reviews: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class RatingOut(RatingIn):
    project_id: int
    updated_at: datetime


class RatingSummary(BaseModel):
    """Means over every worker's rating, never who rated. Comments come without names and
    only once `COMMENTS_FROM` workers have rated, so that none can be told apart."""

    project_id: int
    count: int
    instructions: float | None
    pay: float | None
    reviews: float | None
    comments: list[str] | None = Field(
        default=None, description="null below the anonymity threshold or for workers"
    )
