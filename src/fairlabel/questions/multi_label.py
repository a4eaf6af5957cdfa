"""Any number of labels from a fixed list (multi-label classification)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from fairlabel.questions.base import (
    LabelSettings,
    QuestionType,
    SettingsError,
    expect_label,
    expect_list,
    fail,
)
from fairlabel.questions.registry import register


class MultiLabelSettings(LabelSettings):
    min_selected: int = Field(default=0, ge=0)
    max_selected: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _bounds_reachable(self) -> Self:
        """A bound no answer can meet would make every submission fail."""
        if self.min_selected > len(self.labels):
            raise SettingsError(
                f"at most the number of labels ({len(self.labels)})",
                self.min_selected,
                "min_selected",
            )
        if self.max_selected is not None and self.max_selected < self.min_selected:
            raise SettingsError(
                f"at least min_selected ({self.min_selected})", self.max_selected, "max_selected"
            )
        return self


@register
class MultiLabelQuestion(QuestionType[MultiLabelSettings]):
    """The answer is a list of distinct labels, normalised to the order of `labels`."""

    name = "multi_label"
    settings_model = MultiLabelSettings
    answer_kind = "categorical_set"

    def validate_answer(
        self, settings: MultiLabelSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> list[str]:
        chosen: dict[str, int] = {}
        for index, value in enumerate(expect_list(answer, path, "a list of labels")):
            label = expect_label(value, settings, f"{path}[{index}]")
            if label in chosen:
                fail(
                    f"{path}[{index}]",
                    label,
                    f"distinct labels ({label!r} is also {path}[{chosen[label]}])",
                )
            chosen[label] = index
        _check_count(len(chosen), settings, answer, path)
        if len(chosen) <= 1:
            return list(chosen)
        return [label for label in settings.labels if label in chosen]

    def score(self, settings: MultiLabelSettings, answer: Any, expected: Any) -> float:
        """Jaccard index of the two label sets; two empty sets agree fully."""
        chosen, known = set(answer), set(expected)
        union = chosen | known
        return len(chosen & known) / len(union) if union else 1.0


def _check_count(count: int, settings: MultiLabelSettings, answer: Any, path: str) -> None:
    low, high = settings.min_selected, settings.max_selected
    if count < low or (high is not None and count > high):
        wanted = f"at least {low}" if high is None else f"between {low} and {high}"
        fail(path, answer, f"{wanted} labels selected")
