"""API shapes for gold items, gold accuracy, and the note a worker below the bar gets."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class GoldIn(BaseModel):
    answers: dict[str, Any] = Field(
        description="the known answers, checked like a submission against the item"
    )


class GoldOut(BaseModel):
    item_id: int
    external_id: str
    answers: dict[str, Any]
    created_at: datetime


class GoldPage(BaseModel):
    gold: list[GoldOut]
    next_after: int | None = Field(description="pass as `after` for the next page; null at the end")


class Figures(BaseModel):
    """Gold accuracy with its 95% Wilson interval. Scores may be fractional (IoU, overlap):
    the interval then counts their sum as the successes, as if each were a share of a hit."""

    seen: int
    correct: float = Field(description="the sum of per-item scores, each from 0 to 1")
    accuracy: float
    low: float = Field(description="lower end of the 95% Wilson interval")
    high: float = Field(description="upper end of the 95% Wilson interval")


class WorkerAccuracy(BaseModel):
    worker: str = Field(description="the worker's pseudonym")
    overall: Figures = Field(description="per gold item: the mean of its question scores")
    questions: dict[str, Figures]


class AccuracyReport(BaseModel):
    """Every worker's gold accuracy in a project, per question and overall."""

    overall: Figures | None = Field(description="all workers together; null before any gold")
    questions: dict[str, Figures]
    workers: list[WorkerAccuracy]
    min_gold_accuracy: float | None
    min_gold_seen: int


class MissedGold(BaseModel):
    """A gold item the worker did not answer fully right, to learn from."""

    item_id: int
    external_id: str
    fields: dict[str, Any]
    score: float
    answers: dict[str, Any] = Field(description="what the worker submitted")
    expected: dict[str, Any] = Field(description="the known answers")


class MyGold(BaseModel):
    """A worker's own gold figures; the items they missed are listed once they are below
    the bar, so that they can see why they stopped receiving tasks."""

    overall: Figures | None
    questions: dict[str, Figures]
    min_gold_accuracy: float | None
    min_gold_seen: int
    below_bar: bool
    missed: list[MissedGold]


class BelowGoldAccuracy(BaseModel):
    """Why next-task handed out nothing: a qualification decision, not a penalty; work
    already submitted, and its pay, are untouched."""

    message: str
    accuracy: float
    min_gold_accuracy: float
    gold_seen: int
    missed_url: str = Field(description="where the worker sees the gold items they missed")
