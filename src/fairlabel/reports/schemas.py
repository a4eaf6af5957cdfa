"""API shapes of the Fairwork report: one result per threshold, with its figures."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class Threshold(BaseModel):
    """One of the ten Fairwork cloudwork thresholds, measured from recorded data."""

    id: str = Field(description="1.1 … 5.2")
    title: str
    figures: dict[str, Any] = Field(description="what was measured, by name")
    target: str = Field(description="the rule the figures must meet")
    holds: bool | None = Field(description="null: no data to judge it by")
    why: str = Field(description="one line: why it holds, fails, or cannot be judged")

    @property
    def verdict(self) -> str:
        return "no data" if self.holds is None else ("holds" if self.holds else "does not hold")


class FairworkReport(BaseModel):
    since: date | None
    generated_at: datetime
    points: int = Field(description="thresholds that hold, out of ten")
    thresholds: list[Threshold]
