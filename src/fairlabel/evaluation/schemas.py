"""The leaderboard's answer: scores on the Elo scale with bootstrap intervals and rank
intervals, the style-controlled score beside the raw one, robustness and matrices."""

from pydantic import BaseModel, Field


class ModelStanding(BaseModel):
    model: str
    rank: int = Field(description="by the point score, 1 = best")
    score: float = Field(description="1000 + 400 / ln 10 x the centred log-strength")
    lower: float | None = Field(description="2.5th percentile over the bootstrap rounds")
    upper: float | None = Field(description="97.5th percentile over the bootstrap rounds")
    rank_best: int | None = Field(
        description="1 + models whose lower bound is above this one's upper bound (Arena)"
    )
    rank_worst: int | None = Field(
        description="models whose upper bound is not below this one's lower bound"
    )
    battles: int
    wins: int
    losses: int
    ties: int = Field(description="ties and both-bad votes")
    style_score: float | None = Field(description="with style control; null when not asked")
    style_lower: float | None
    style_upper: float | None


class Robustness(BaseModel):
    """Votes whose removal puts `challenger` level with or above `leader`."""

    leader: str
    challenger: str
    votes_to_change: int | None = Field(
        description="an upper bound from a greedy search, each figure confirmed by a refit; "
        "null: no removal narrows the gap"
    )


class CategoryCount(BaseModel):
    category: str
    votes: int


class Leaderboard(BaseModel):
    project_id: int
    question: str | None
    category: str | None
    categories: list[CategoryCount] = Field(description="categories with votes, any filter aside")
    votes: int = Field(description="votes fitted")
    source: str = Field(default="all", description="human, judge (LLM judges) or all")
    human_votes: int = Field(default=0, description="of the votes fitted, people's")
    judge_votes: int = Field(
        default=0,
        description="of the votes fitted, LLM judges' (one per battle judged in both orders; "
        "a tie where the orders disagree; weight 0.5 under gold weighting)",
    )
    both_bad: int = Field(description="both-bad votes, counted as ties")
    skipped: dict[str, int] = Field(description="votes left out, by reason")
    has_mle: bool | None = Field(
        description="whether the votes alone have a maximum-likelihood answer (every model "
        "beat or tied, through a chain, every other); when false the scores rest on the prior"
    )
    prior_sd: float = Field(description="sd of the Gaussian prior on log-strengths")
    tie_parameter: float | None = Field(description="Davidson's nu; P(tie | equals) = nu/(2+nu)")
    weighting: str = Field(description="none, or gold: each vote weighs (correct+1)/(seen+2)")
    bootstrap_rounds: int
    seed: int
    style_control: bool
    style_weights: dict[str, float] | None = Field(
        description="per normalised feature difference (a - b) / (a + b), in log-odds per sd"
    )
    standings: list[ModelStanding]
    robustness: list[Robustness] = Field(description="adjacent pairs among the top models")
    battle_matrix: list[list[int]] = Field(description="rows and columns in standings order")
    win_rate_matrix: list[list[float | None]] = Field(
        description="row's wins plus half its ties over its battles with column; null: none"
    )
