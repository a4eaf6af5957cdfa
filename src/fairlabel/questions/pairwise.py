"""Pick the better of two responses, optionally how much better (RLHF preference pairs).

The two are the item's candidates, or with `live` two the project's endpoints generate for
the worker (candidates "a" and "b", fairlabel.chat): the worker then also sends what the page
showed ("candidates": [{id, text}], optional, checked), and the stored answer records the
turn: {"choice", "strength", "live": {"prompt", "candidates": [{id, endpoint_id, endpoint,
model, sampling, text, finish_reason}], "wait_ms"}}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from pydantic import Field, model_validator

from fairlabel.questions.base import (
    CandidateSettings,
    LiveGeneration,
    QuestionType,
    RecordShape,
    SettingsError,
    StoredTurn,
    candidates,
    check_shown,
    expect_in_range,
    expect_int,
    fail,
    generated_turn,
    item_path,
    live_record,
    one_of,
    same,
    shown_candidates,
)
from fairlabel.questions.registry import register

_CHOICE = RecordShape(("choice",), ("strength",))
_LIVE_CHOICE = RecordShape(("choice",), ("strength", "candidates"))
_PICKS = ("a", "b")


class PairwiseSettings(CandidateSettings):
    allow_tie: bool = True
    allow_both_bad: bool = True
    strength_levels: int = Field(default=0, ge=0)

    def choices(self) -> tuple[str, ...]:
        """The choices these settings allow, in the order the UI shows them."""
        extra = ("tie",) * self.allow_tie + ("both_bad",) * self.allow_both_bad
        return _PICKS + extra

    @model_validator(mode="after")
    def _two_live_candidates(self) -> Self:
        if self.live is not None and self.live.candidates != 2:
            raise SettingsError(
                "2 candidates (a pairwise question compares two)",
                self.live.candidates,
                "live",
                "candidates",
            )
        return self


@register
class PairwiseQuestion(QuestionType[PairwiseSettings]):
    """The answer is {"choice": a|b|tie|both_bad, "strength": int | None}."""

    name = "pairwise"
    settings_model = PairwiseSettings
    answer_kind = "pairwise"

    def validate_answer(
        self, settings: PairwiseSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> dict[str, Any]:
        if settings.live is None:
            _check_pair(fields, settings.field)
            record = _CHOICE.check(answer, path)
        else:
            record = _LIVE_CHOICE.check(answer, path)
        choice = record["choice"]
        allowed = settings.choices()
        if choice not in allowed:
            fail(f"{path}.choice", choice, one_of(allowed))
        strength = _check_strength(record.get("strength"), choice, settings, f"{path}.strength")
        if settings.live is None:
            return {"choice": choice, "strength": strength}
        shown = shown_candidates(record.get("candidates", []), f"{path}.candidates")
        return {"choice": choice, "strength": strength, "candidates": shown}

    def score(self, settings: PairwiseSettings, answer: Any, expected: Any) -> float:
        """The choice alone: strength says how sure a person is, not which side is right."""
        return same(answer["choice"], expected["choice"])

    def live(self, settings: PairwiseSettings) -> LiveGeneration | None:
        return None if settings.live is None else settings.live.generation(_PICKS)

    def resolve_live(
        self,
        settings: PairwiseSettings,
        turns: Sequence[StoredTurn],
        answer: dict[str, Any],
        path: str,
    ) -> dict[str, Any]:
        turn = generated_turn(turns, _PICKS, path)
        check_shown(answer["candidates"], turn, path)
        return {
            "choice": answer["choice"],
            "strength": answer["strength"],
            "live": live_record(turn),
        }


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
