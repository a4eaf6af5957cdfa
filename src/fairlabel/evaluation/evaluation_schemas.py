"""API shapes of evaluation projects: the evaluation, its models, its status, battles, and
the blind arena's reveal. Nothing here is ever sent to a worker except `ArenaReveal`, after
the vote."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fairlabel.jobs.schemas import JobOut


class ModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="how the leaderboard names it")
    endpoint_id: int | None = Field(
        default=None,
        description="a model endpoint of the organization, whose responses are generated; "
        "none: responses are imported (a model run elsewhere)",
    )


class EvaluationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    question: str | None = Field(
        default=None, description="the pairwise question battles are voted on; default: the first"
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="of the left/right draw")
    models: list[ModelIn] = Field(default_factory=list, description="the models under test")


class ModelOut(BaseModel):
    id: int
    name: str
    endpoint_id: int | None
    source: str = Field(description="generated (an endpoint) or imported")
    responses_ok: int
    responses_failed: int
    responses_missing: int = Field(description="prompts with no response yet (or pending)")


class EvaluationOut(BaseModel):
    id: int
    project_id: int
    name: str
    question: str
    seed: int
    prompts: int
    categories: dict[str, int] = Field(description="prompts per category")
    models: list[ModelOut]
    battles: int
    battles_voted: int = Field(description="battles with at least one submitted vote")
    votes: int
    generation: JobOut | None = Field(description="the latest generation job")
    created_at: datetime


class ImportOut(BaseModel):
    imported: int


class BattlesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_pair: int = Field(default=1, ge=1, le=20, description="battles per prompt and model pair")
    pairs_per_prompt: int | None = Field(
        default=None,
        ge=1,
        description="model pairs drawn per prompt (seeded); none: every pair",
    )


class BattlesOut(BaseModel):
    created: int
    skipped_pairs: int = Field(description="prompt-pairs left out: a response is not ok yet")
    battles: int = Field(description="the evaluation's battles in all")


class ResponseFailure(BaseModel):
    prompt_id: str
    model: str
    attempts: int
    error_code: str | None
    error_message: str | None


class ArenaTasks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=1000, description="arena tasks to add to the project")


class ArenaPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(description="the worker's own prompt")


class ArenaResponse(BaseModel):
    id: str = Field(description="a or b, as the pairwise vote names them")
    text: str


class ArenaAnswers(BaseModel):
    """The two answers, anonymous: no model, no endpoint; with the worker's prompt, which the
    page shows again after a reload."""

    battle_id: int
    prompt: str
    responses: list[ArenaResponse]


class ArenaReveal(BaseModel):
    """Who was behind a and b, shown to the worker once the vote is in."""

    battle_id: int
    model_a: str
    model_b: str
