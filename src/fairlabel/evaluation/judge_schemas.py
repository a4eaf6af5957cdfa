"""API shapes of LLM judges, their verdicts and their agreement with people, rubric scores
per model and criterion, and the comparison of two model versions."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Source = Literal["human", "judge", "all"]


class JudgeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    endpoint_id: int = Field(description="a model endpoint of the project's organization")
    question: str | None = Field(
        default=None, description="a pairwise or rubric question; default: the first pairwise"
    )
    template: str | None = Field(
        default=None,
        max_length=20_000,
        description="string.Template text; default: the shipped template of the question type",
    )
    rubric: str = Field(
        default="", max_length=10_000, description="guidance put in the prompt as $rubric"
    )
    response_format: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        description="structured output: a JSON schema (vLLM, llama.cpp, OpenAI), any JSON "
        "object, or none for servers that take neither (the reply is read as strictly)",
    )
    min_confidence: float = Field(
        default=0.6, ge=0, le=1, description="below it a verdict is unsure: its item goes to people"
    )


class JudgeOut(BaseModel):
    id: int
    project_id: int
    name: str
    endpoint_id: int | None
    question: str
    question_type: str
    template: str
    rubric: str
    response_format: str
    min_confidence: float
    created_at: datetime


class VerdictOut(BaseModel):
    item_id: int
    external_id: str
    swapped: bool = Field(description="the responses were shown in the other order")
    status: str = Field(description="ok, unparseable (not the JSON asked for) or failed (call)")
    answer: Any = Field(description="in the question's answer shape, in the item's order")
    confidence: float | None
    output: str = Field(description="the model's reply as it came")
    error: str | None
    model: str
    job_id: int | None
    created_at: datetime


class Kappa(BaseModel):
    criterion: str | None = Field(description="a rubric's criterion; null for a pairwise judge")
    items: int = Field(description="items both the judge and people answered")
    observed: float | None = Field(description="share of those where they agree")
    kappa: float | None = Field(description="Cohen's kappa; null where chance agreement is 1")
    lower: float | None = Field(description="2.5th percentile of the bootstrap over items")
    upper: float | None


class SwapConsistency(BaseModel):
    items: int = Field(description="items judged in both orders")
    consistent: int = Field(description="the same verdict both ways")
    rate: float | None


class FlaggedItem(BaseModel):
    item_id: int
    external_id: str
    reasons: list[str] = Field(description="inconsistent (across swaps), tie, unsure")
    answers: list[Any] = Field(description="the judge's answers, in the item's order")
    confidence: float | None = Field(description="the lowest of its verdicts")
    routed: bool = Field(description="raised in the queue (and reopened where allowed)")


class JudgeAgreement(BaseModel):
    judge_id: int
    question: str
    judged: int = Field(description="items the judge has a vote on")
    human_split: int = Field(description="items left out: their people tie for the majority")
    bootstrap_rounds: int
    seed: int
    kappa: list[Kappa]
    swap: SwapConsistency | None = Field(description="pairwise judges only")
    flagged: list[FlaggedItem]


class RubricScore(BaseModel):
    model: str
    criterion: str
    items: int = Field(description="items naming the model with a score for the criterion")
    scores: int = Field(description="scores counted (several people may score one item)")
    not_applicable: int = Field(description="n/a answers, left out of the mean")
    mean: float | None
    lower: float | None = Field(description="2.5th percentile of the bootstrap over items")
    upper: float | None


class RubricReport(BaseModel):
    project_id: int
    question: str
    source: Source
    bootstrap_rounds: int
    seed: int
    skipped: dict[str, int] = Field(description="answers left out, by reason")
    scores: list[RubricScore]


class VersionComparison(BaseModel):
    category: str | None = Field(description="null: every category")
    battles: int = Field(description="votes between the two versions on one prompt")
    prompts: int = Field(description="items those votes are on (the bootstrap's unit)")
    wins: int = Field(description="votes for the candidate")
    losses: int
    ties: int = Field(description="ties and both-bad votes")
    win_rate: float | None = Field(description="(wins + ties / 2) / battles, for the candidate")
    lower: float | None
    upper: float | None


class VersionReport(BaseModel):
    project_id: int
    question: str
    baseline: str
    candidate: str
    source: Source
    bootstrap_rounds: int
    seed: int
    overall: VersionComparison
    categories: list[VersionComparison]
