"""Pick the better of two responses, optionally how much better (RLHF preference pairs)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fairlabel.questions.base import (
    CandidateSettings,
    QuestionType,
    RecordShape,
    candidates,
    expect_in_range,
    expect_int,
    fail,
    item_path,
    one_of,
    same,
)
from fairlabel.questions.registry import register

_CHOICE = RecordShape(("choice",), ("strength",))
_PICKS = ("a", "b")


class PairwiseSettings(CandidateSettings):
    allow_tie: bool = True
    allow_both_bad: bool = True
    strength_levels: int = Field(default=0, ge=0)

    def choices(self) -> tuple[str, ...]:
        """The choices these settings allow, in the order the UI shows them."""
        extra = ("tie",) * self.allow_tie + ("both_bad",) * self.allow_both_bad
        return _PICKS + extra


@register
class PairwiseQuestion(QuestionType[PairwiseSettings]):
    """The answer is {"choice": a|b|tie|both_bad, "strength": int | None}."""

    name = "pairwise"
    settings_model = PairwiseSettings
    answer_kind = "pairwise"

    def validate_answer(
        self, settings: PairwiseSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> dict[str, Any]:
        _check_pair(fields, settings.field)
        record = _CHOICE.check(answer, path)
        choice = record["choice"]
        allowed = settings.choices()
        if choice not in allowed:
            fail(f"{path}.choice", choice, one_of(allowed))
        strength = _check_strength(record.get("strength"), choice, settings, f"{path}.strength")
        return {"choice": choice, "strength": strength}

    def score(self, settings: PairwiseSettings, answer: Any, expected: Any) -> float:
        """The choice alone: strength says how sure a person is, not which side is right."""
        return same(answer["choice"], expected["choice"])


def _check_pair(fields: dict[str, Any], field: str) -> None:
    ids = candidates(fields, field)
    if len(ids) != 2:
        fail(item_path(field), ids, f"exactly 2 candidates to compare (got {len(ids)})")


def _check_strength(value: Any, choice: str, settings: PairwiseSettings, path: str) -> int | None:
    """Strength says how much better the pick is, so it exists only for a pick of a or b."""
    asked = settings.strength_levels > 0 and choice in _PICKS
    if not asked:
        if value is not None:
            reason = "strength_levels is 0" if choice in _PICKS else f"choice is {choice!r}"
            fail(path, value, f"no strength ({reason})")
        return None
    if value is None:
        fail(path, value, f"an integer from 1 to {settings.strength_levels}")
    return expect_in_range(expect_int(value, path), 1, settings.strength_levels, path)
