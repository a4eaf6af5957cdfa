"""Order candidate responses from best to worst, ties allowed as tiers (RLHF ranking)."""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

from fairlabel.questions.base import (
    CandidateSettings,
    QuestionType,
    candidates,
    expect_list,
    fail,
    one_of,
)
from fairlabel.questions.registry import register


class RankingSettings(CandidateSettings):
    allow_ties: bool = True


@register
class RankingQuestion(QuestionType[RankingSettings]):
    """The answer is a list of tiers, best first, e.g. [["b"], ["a", "c"]]; each id once."""

    name = "ranking"
    settings_model = RankingSettings
    answer_kind = "ranking"

    def validate_answer(
        self, settings: RankingSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> list[list[str]]:
        ids = candidates(fields, settings.field)
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

    def score(self, settings: RankingSettings, answer: Any, expected: Any) -> float:
        """Kendall's tau-b mapped to [0, 1] as (tau + 1) / 2: 1 for the same order, 0 for
        the reverse. When tau-b is undefined (one side ranks everything as a tie), equal
        rankings score 1 and unequal ones 0.5, the score of no correlation."""
        ranked, known = _tier_of(answer), _tier_of(expected)
        tau = _tau_b(ranked, known)
        if tau is None:
            return 1.0 if ranked == known else 0.5
        return (tau + 1) / 2


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
