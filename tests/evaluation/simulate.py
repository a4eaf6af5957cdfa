"""Votes drawn from Davidson's model with known strengths, for the leaderboard tests."""

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def pairs(rng: np.random.Generator, n: int, votes: int) -> tuple[Ints, Ints]:
    """`votes` battles between random distinct models."""
    a = rng.integers(0, n, votes)
    return a, (a + rng.integers(1, n, votes)) % n


def outcomes(rng: np.random.Generator, margin: Floats, nu: float) -> Ints:
    """One outcome (a wins, b wins, tie) per battle of log-strength difference `margin`."""
    weights = np.stack([np.exp(margin / 2), np.exp(-margin / 2), np.full(len(margin), nu)], 1)
    cumulative = np.cumsum(weights, 1)
    drawn = rng.random(len(margin))[:, None] * cumulative[:, -1:]
    return (drawn > cumulative).sum(axis=1).astype(np.int64)


def draw(rng: np.random.Generator, theta: Floats, votes: int, nu: float) -> tuple[Ints, Ints, Ints]:
    a, b = pairs(rng, len(theta), votes)
    return a, b, outcomes(rng, theta[a] - theta[b], nu)
