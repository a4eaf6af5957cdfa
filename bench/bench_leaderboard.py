"""The leaderboard's statistics on votes simulated from known strengths (Davidson's model,
ties included): fit, 1,000 bootstrap rounds, the style-controlled fit and its bootstrap, and
the vote-removal count for the top pair; beside it, Chatbot Arena's method (a scikit-learn
logistic regression per bootstrap round, as its published notebook does it) on the same
votes, per round, with the speed-up printed.

    PYTHONPATH=. .venv/bin/python bench/bench_leaderboard.py [--votes 100000] [--models 30]
        [--rounds 1000] [--style-rounds 100] [--arena-rounds 50]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from fairlabel.evaluation import bradley_terry as bt
from tests.evaluation.simulate import draw


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - start, time.process_time() - cpu, result


def arena_round(a: bt.Ints, b: bt.Ints, y: bt.Ints, n: int) -> np.ndarray:
    """Arena's compute_mle_elo on one set of battles: wins counted twice and ties once each
    way, one weighted row per ordered pair, an unpenalised logistic regression."""
    wins = np.zeros((n, n))
    np.add.at(wins, (a[y == bt.A_WINS], b[y == bt.A_WINS]), 2.0)
    np.add.at(wins, (b[y == bt.B_WINS], a[y == bt.B_WINS]), 2.0)
    np.add.at(wins, (a[y == bt.TIE], b[y == bt.TIE]), 1.0)
    np.add.at(wins, (b[y == bt.TIE], a[y == bt.TIE]), 1.0)
    i, j = np.nonzero(np.triu(wins + wins.T, 1))
    rows = len(i)
    x = np.zeros((2 * rows, n))
    x[np.arange(rows), i], x[np.arange(rows), j] = math.log(10), -math.log(10)
    x[rows + np.arange(rows), i], x[rows + np.arange(rows), j] = math.log(10), -math.log(10)
    target = np.concatenate([np.ones(rows), np.zeros(rows)])
    weight = np.concatenate([wins[i, j], wins[j, i]])
    model = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-6)
    model.fit(x, target, sample_weight=weight)
    coef: np.ndarray = model.coef_[0]
    return 400 * coef + 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--style-rounds", type=int, default=100)
    parser.add_argument("--arena-rounds", type=int, default=50)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*penalty.*")  # sklearn's notice on penalty=None
    n = args.models
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 0.6, n)
    a, b, y = draw(rng, theta, args.votes, 0.6)
    print(f"{args.votes:,} votes among {n} models, {np.mean(y == bt.TIE):.0%} ties")

    wall, cpu, data = timed(lambda: bt.battles(a, b, y))
    print(f"votes merged into {len(data.a):,} rows: {wall:.3f} s")
    wall, cpu, point = timed(lambda: bt.fit(data, n))
    print(f"fit: {wall:.4f} s wall, {cpu:.4f} CPU-s, {point.iterations} Newton iterations")
    wall, cpu, boot = timed(lambda: bt.bootstrap(data, n, args.rounds, 0, point=point))
    per_round = wall / args.rounds
    print(
        f"bootstrap x {args.rounds}: {wall:.3f} s wall, {cpu:.3f} CPU-s "
        f"({per_round * 1e3:.2f} ms/round)"
    )
    truth = bt.ELO_BASE + bt.ELO_SCALE * (theta - theta.mean())
    inside = np.mean((boot.lower <= truth) & (truth <= boot.upper))
    print(f"  true strengths inside the 95% intervals: {inside:.0%}")

    order = np.argsort(-point.theta)
    wall, cpu, flips = timed(lambda: bt.votes_to_flip(data, n, int(order[0]), int(order[1])))
    print(f"votes to change the top pair: {flips} (greedy, refitted): {wall:.3f} s")

    lengths = rng.lognormal(7, 0.5, (args.votes, 2))
    counts = [np.zeros((args.votes, 5)) for _ in range(2)]
    counts[0][:, 0], counts[1][:, 0] = lengths[:, 0], lengths[:, 1]
    style = bt.style_covariates(*counts)
    wall, cpu, styled = timed(lambda: bt.battles(a, b, y, style=style))
    wall, cpu, style_point = timed(lambda: bt.fit(styled, n))
    print(f"style-controlled fit: {wall:.3f} s wall, {style_point.iterations} iterations")
    wall, cpu, _ = timed(lambda: bt.bootstrap(styled, n, args.style_rounds, 0, point=style_point))
    print(
        f"style bootstrap x {args.style_rounds}: {wall:.3f} s "
        f"({wall / args.style_rounds * 1e3:.1f} ms/round)"
    )

    def arena() -> None:
        arena_rng = np.random.default_rng(0)
        for _ in range(args.arena_rounds):
            pick = arena_rng.integers(0, args.votes, args.votes)
            arena_round(a[pick], b[pick], y[pick], n)

    wall, cpu, _ = timed(arena)
    arena_per_round = wall / args.arena_rounds
    print(
        f"Arena's method x {args.arena_rounds}: {wall:.3f} s "
        f"({arena_per_round * 1e3:.1f} ms/round); "
        f"ours is {arena_per_round / per_round:.1f}x faster per bootstrap round"
    )


if __name__ == "__main__":
    main()
