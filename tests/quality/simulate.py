"""Seeded crowds with a known truth, shared by the peer cross-checks and bench/bench_quality.py
so that the benchmark times the data the tests check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Crowd:
    items: Ints
    workers: Ints
    labels: Ints
    truth: Ints
    n_items: int
    n_workers: int
    n_classes: int


def crowd(n_items: int, n_workers: int, n_classes: int, per_item: int = 4, seed: int = 0) -> Crowd:
    """Each item answered by `per_item` random workers; worker accuracy uniform in
    [0.35, 0.95], a wrong answer uniform over the other classes."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_items)
    accuracy = rng.uniform(0.35, 0.95, n_workers)
    items = np.repeat(np.arange(n_items), per_item)
    workers = rng.integers(0, n_workers, len(items))
    right = rng.random(len(items)) < accuracy[workers]
    wrong = (truth[items] + rng.integers(1, n_classes, len(items))) % n_classes
    labels = np.where(right, truth[items], wrong)
    return Crowd(items, workers, labels, truth, n_items, n_workers, n_classes)


def ratings(
    n_units: int, n_coders: int, per_unit: int = 4, n_values: int = 5, seed: int = 0
) -> tuple[Ints, Ints, Ints]:
    """(units, coders, values) long form: distinct coders per unit, values on a 0..n_values-1
    scale, 30% of them one step off the unit's true value."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_values, n_units)
    units = np.repeat(np.arange(n_units), per_unit)
    offsets = rng.integers(0, n_coders, n_units)
    coders = (offsets[units] + np.tile(np.arange(per_unit), n_units)) % n_coders
    noise = rng.integers(-1, 2, len(units)) * (rng.random(len(units)) < 0.3)
    values = np.clip(truth[units] + noise, 0, n_values - 1)
    return units, coders, values


def comparisons(
    n: int, n_candidates: int, seed: int = 0
) -> tuple[Ints, Ints, npt.NDArray[np.float64]]:
    """(winners, losers, true strengths): random pairs, outcomes drawn from Bradley-Terry with
    log-strengths N(0, 1)."""
    rng = np.random.default_rng(seed)
    strengths = np.exp(rng.normal(0, 1, n_candidates))
    first = rng.integers(0, n_candidates, n)
    second = (first + rng.integers(1, n_candidates, n)) % n_candidates
    first_wins = rng.random(n) < strengths[first] / (strengths[first] + strengths[second])
    winners = np.where(first_wins, first, second)
    losers = np.where(first_wins, second, first)
    return winners, losers, strengths / strengths.sum()
