"""What the quality API answers: consensus rows, a recompute's counts, and the project's
agreement report. A figure that cannot be computed is null with its reason, never NaN."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ConsensusOut(BaseModel):
    """`confidence`: the posterior probability of the answer (Dawid-Skene) or the annotators'
    mean score against it (vote methods). `agreeing`: annotators whose answer matches it.
    `human_confirmed`: a model suggested this answer and an annotator gave it too."""

    item_id: int
    question: str
    method: str
    answer: Any
    confidence: float
    annotators: int
    agreeing: int
    human_confirmed: bool
    updated_at: datetime


class ConsensusPage(BaseModel):
    consensus: list[ConsensusOut]
    next_after: int | None = Field(description="pass as `after` for the next page")


class Recomputed(BaseModel):
    """A whole-project recompute: the method used per question, rows computed, items
    reopened for another annotator (dynamic overlap), and how long it took."""

    methods: dict[str, str]
    items: int
    rows: int
    reopened: int
    skipped: int = Field(
        default=0,
        description="rows left as a submission or review rewrote them while the recompute "
        "ran: they hold that newer answer, by the per-submit method",
    )
    seconds: float


class Figure(BaseModel):
    name: str
    value: float | None
    reason: str | None = Field(default=None, description="why value is null")


class Confusion(BaseModel):
    """counts[i][j]: answers j given on items whose consensus is i (items with 2+ answers)."""

    labels: list[Any]
    counts: list[list[int]]


class QuestionQuality(BaseModel):
    name: str
    type: str
    kind: str
    annotations: int
    items: int
    shared_items: int = Field(description="items with two or more annotations")
    figures: list[Figure]
    consensus_items: int
    mean_confidence: float | None
    below_threshold: int | None = Field(description="null when the project sets no threshold")
    confusion: Confusion | None = None


class ItemAgreement(BaseModel):
    """Mean score of every pair of annotators on one item and question (1 = all agree)."""

    item_id: int
    external_id: str
    question: str
    agreement: float
    annotators: int
    confidence: float | None


class WorkerQuality(BaseModel):
    """By pseudonym only. accuracy: mean score against the consensus; agreement: mean score
    against the other annotators of the same items; both over items with 2+ annotations."""

    worker: str
    answers: int
    compared: int
    accuracy: float | None
    agreement: float | None
    reason: str | None = None


class DayAgreement(BaseModel):
    day: str
    answers: int
    accuracy: float = Field(description="mean score of the day's answers against the consensus")


class QualityReport(BaseModel):
    project_id: int
    consensus_threshold: float | None
    questions: list[QuestionQuality]
    lowest_items: list[ItemAgreement]
    workers: list[WorkerQuality]
    over_time: list[DayAgreement]
