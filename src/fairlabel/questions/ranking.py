"""Order candidate responses from best to worst, ties allowed as tiers (RLHF ranking).

The candidates are the item's, or with `live` those the project's endpoints generate for the
worker (c1 … cN, fairlabel.chat): the answer is then {"ranking": tiers, "candidates": [{id,
text}] (what the page showed, optional, checked)}, stored with the turn as {"ranking",
"live": {"prompt", "candidates": [{id, endpoint_id, endpoint, model, sampling, text,
finish_reason}], "wait_ms"}}."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

from fairlabel.questions.base import (
    CandidateSettings,
    LiveGeneration,
    QuestionType,
    RecordShape,
    StoredTurn,
    candidate_ids,
    candidates,
    check_shown,
    expect_list,
    fail,
    generated_turn,
    live_record,
    one_of,
    shown_candidates,
)
from fairlabel.questions.registry import register

_LIVE = RecordShape(("ranking",), ("candidates",))


class RankingSettings(CandidateSettings):
    allow_ties: bool = True

    @property
    def live_ids(self) -> tuple[str, ...]:
        return () if self.live is None else candidate_ids(self.live.candidates)


@register
class RankingQuestion(QuestionType[RankingSettings]):
    """The answer is a list of tiers, best first, e.g. [["b"], ["a", "c"]]; each id once."""

    name = "ranking"
    settings_model = RankingSettings
    answer_kind = "ranking"

    def validate_answer(
        self, settings: RankingSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> Any:
        if settings.live is None:
            return _tiers(settings, answer, candidates(fields, settings.field), path)
        record = _LIVE.check(answer, path)
        return {
            "ranking": _tiers(
                settings, record["ranking"], list(settings.live_ids), f"{path}.ranking"
            ),
            "candidates": shown_candidates(record.get("candidates", []), f"{path}.candidates"),
        }

    def score(self, settings: RankingSettings, answer: Any, expected: Any) -> float:
        """Kendall's tau-b mapped to [0, 1] as (tau + 1) / 2: 1 for the same order, 0 for
        the reverse. When tau-b is undefined (one side ranks everything as a tie), equal
        rankings score 1 and unequal ones 0.5, the score of no correlation."""
        ranked, known = _tier_of(tiers_of(answer)), _tier_of(tiers_of(expected))
        tau = _tau_b(ranked, known)
        if tau is None:
            return 1.0 if ranked == known else 0.5
        return (tau + 1) / 2

    def live(self, settings: RankingSettings) -> LiveGeneration | None:
        return None if settings.live is None else settings.live.generation(settings.live_ids)

    def resolve_live(
        self,
        settings: RankingSettings,
        turns: Sequence[StoredTurn],
        answer: dict[str, Any],
        path: str,
    ) -> dict[str, Any]:
        turn = generated_turn(turns, settings.live_ids, path)
        check_shown(answer["candidates"], turn, path)
        return {"ranking": answer["ranking"], "live": live_record(turn)}


def tiers_of(answer: Any) -> list[list[str]]:
    """The tiers of a ranking answer: the answer itself, or a live answer's `ranking`."""
    return answer["ranking"] if isinstance(answer, dict) else answer


def _tiers(settings: RankingSettings, answer: Any, ids: list[str], path: str) -> list[list[str]]:
    """Every candidate in `ids` ranked once, in tiers best first."""
    known = frozenset(ids)
    placed: dict[str, str] = {}
    raw_tiers = expect_list(answer, path, "a list of tiers (lists of candidate ids)")
    tiers = [
        _check_tier(tier, settings, known, ids, placed, f"{path}[{index}]")
        for index, tier in enumerate(raw_tiers)
    ]
    missing = [candidate for candidate in ids if candidate not in placed]
    if missing:
        fail(path, answer, one_of(missing, "every candidate ranked; missing"))
    return tiers


def _tier_of(tiers: list[list[str]]) -> dict[str, int]:
    return {candidate: index for index, tier in enumerate(tiers) for candidate in tier}


def _tau_b(left: dict[str, int], right: dict[str, int]) -> float | None:
    """Tau-b over the candidates both rank (a handful per item, so pairs are counted
    directly); None when either side has no untied pair."""
    common = sorted(left.keys() & right.keys())
    balance = untied_left = untied_right = 0
    for first, second in combinations(common, 2):
        a = _sign(left[first] - left[second])
        b = _sign(right[first] - right[second])
        balance += a * b
        untied_left += a != 0
        untied_right += b != 0
    if untied_left == 0 or untied_right == 0:
        return None
    return balance / math.sqrt(untied_left * untied_right)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _check_tier(
    value: Any,
    settings: RankingSettings,
    known: frozenset[str],
    ids: list[str],
    placed: dict[str, str],
    path: str,
) -> list[str]:
    """One tier: known ids, each not already placed; `placed` records where each id went."""
    tier = expect_list(value, path, "a list of candidate ids")
    if not tier:
        fail(path, value, "a non-empty tier")
    if len(tier) > 1 and not settings.allow_ties:
        fail(path, value, "a single candidate per tier (allow_ties is off)")
    for index, candidate in enumerate(tier):
        where = f"{path}[{index}]"
        if not isinstance(candidate, str) or candidate not in known:
            fail(where, candidate, one_of(ids, "one of the candidate ids"))
        if candidate in placed:
            fail(
                where, candidate, f"each candidate once ({candidate!r} is also {placed[candidate]})"
            )
        placed[candidate] = where
    return list(tier)
