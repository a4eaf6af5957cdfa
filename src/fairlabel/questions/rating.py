"""An integer on a fixed scale (Likert ratings, 1-5 stars, quality scores)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from fairlabel.questions.base import (
    QuestionSettings,
    QuestionType,
    SettingsError,
    expect_in_range,
    expect_int,
    same,
)
from fairlabel.questions.registry import register


class RatingSettings(QuestionSettings):
    min: int = 1
    max: int = 5

    @model_validator(mode="after")
    def _scale_has_two_points(self) -> Self:
        if self.min >= self.max:
            raise SettingsError(f"an integer less than max ({self.max})", self.min, "min")
        return self


@register
class RatingQuestion(QuestionType[RatingSettings]):
    """The answer is an integer in [min, max]; 3.0 is stored as 3."""

    name = "rating"
    settings_model = RatingSettings
    answer_kind = "ordinal"

    def validate_answer(
        self, settings: RatingSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> int:
        return expect_in_range(expect_int(answer, path), settings.min, settings.max, path)

    def score(self, settings: RatingSettings, answer: Any, expected: Any) -> float:
        """Exact: a near rating gets no partial credit, since the scale's points are what
        the guidelines define (a 4 for a 5 is a different judgement, not a rounding error)."""
        return same(answer, expected)
