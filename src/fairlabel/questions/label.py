"""Single choice from a fixed list of labels (classification)."""

from __future__ import annotations

from typing import Any

from fairlabel.questions.base import LabelSettings, QuestionType, expect_label, same
from fairlabel.questions.registry import register


@register
class LabelQuestion(QuestionType[LabelSettings]):
    """The answer is one label, as a string."""

    name = "label"
    settings_model = LabelSettings
    answer_kind = "categorical"

    def validate_answer(
        self, settings: LabelSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> str:
        return expect_label(answer, settings, path)

    def score(self, settings: LabelSettings, answer: Any, expected: Any) -> float:
        return same(answer, expected)
