"""The leaderboard's estimates against independent implementations on the same votes:
`choix` (Luce spectral ranking) and `evalica` (Newman's iteration) for plain Bradley-Terry,
where Davidson's model without ties is plain Bradley-Terry; evalica's win and tie matrices;
the tie model's intervals on votes simulated from known strengths; the blocked bootstrap
against one exact fit per round, small resamples included; and the robustness figure
against brute force."""

import itertools

import choix
import evalica
import numpy as np
import pytest

from fairlabel.evaluation import bradley_terry as bt
from tests.evaluation.simulate import draw

A, B, T = bt.A_WINS, bt.B_WINS, bt.TIE
WINNERS = (evalica.Winner.X, evalica.Winner.Y, evalica.Winner.Draw)


def _no_ties(seed: int, n: int, votes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = np.linspace(1.0, -1.0, n)
    a, b, y = draw(np.random.default_rng(seed), theta, votes, nu=0.0)
    assert (y != T).all() and bt.has_mle(bt.battles(a, b, y), n)
    return a, b, y


@pytest.mark.parametrize(("seed", "n", "votes"), [(1, 3, 60), (2, 5, 300), (3, 12, 2000)])
def test_plain_bradley_terry_equals_choix(seed: int, n: int, votes: int) -> None:
    """Without ties Davidson's maximum-likelihood nu is 0 and its strengths are plain
    Bradley-Terry's; choix's iterative Luce spectral ranking finds the same ones."""
    a, b, y = _no_ties(seed, n, votes)
    ours = bt.fit(bt.battles(a, b, y), n, prior_sd=None).theta
    winners_first = [
        (int(w), int(v))
        for w, v in zip(np.where(y == A, a, b), np.where(y == A, b, a), strict=True)
    ]
    theirs = choix.ilsr_pairwise(n, winners_first, tol=1e-12, max_iter=10_000)
    assert np.abs(ours - (theirs - theirs.mean())).max() < 1e-6


@pytest.mark.parametrize(("seed", "n", "votes"), [(4, 3, 60), (5, 5, 300), (6, 12, 2000)])
def test_plain_bradley_terry_equals_evalica(seed: int, n: int, votes: int) -> None:
    a, b, y = _no_ties(seed, n, votes)
    ours = bt.fit(bt.battles(a, b, y), n, prior_sd=None).theta
    result = evalica.bradley_terry(
        a.tolist(), b.tolist(), [WINNERS[k] for k in y], tolerance=1e-14, limit=100_000
    )
    theirs = np.log(result.scores.reindex(range(n)).to_numpy())
    assert np.abs(ours - (theirs - theirs.mean())).max() < 1e-6


def test_battle_counts_and_win_rates_equal_evalicas_matrices() -> None:
    """evalica counts wins and ties per ordered pair; a tie is half a win in our rate."""
    n = 6
    a, b, y = draw(np.random.default_rng(7), np.linspace(0.6, -0.6, n), 500, nu=0.8)
    counts, rates = bt.matrices(bt.battles(a, b, y), n)
    index = evalica.indexing(a.tolist(), b.tolist())[2]
    theirs = evalica.matrices(
        *evalica.indexing(a.tolist(), b.tolist(), index)[:2], [WINNERS[k] for k in y], index
    )
    order = index.get_indexer(range(n))
    wins = theirs.win_matrix[np.ix_(order, order)]
    ties = theirs.tie_matrix[np.ix_(order, order)]
    assert np.array_equal(counts, wins + wins.T + ties)
    met = counts > 0
    assert np.allclose(rates[met], (wins + ties / 2)[met] / counts[met], atol=1e-12)


def test_the_tie_model_recovers_known_strengths_within_its_interval() -> None:
    """100 seeds of 4 models and 400 votes (about a quarter ties) drawn from Davidson's
    model, 1,000 bootstrap rounds each: each seed checks one model's true score (models in
    turn) against its 95% interval; at the stated rate about 95 seeds hold it."""
    theta = np.array([0.6, 0.2, -0.1, -0.7])
    truth = bt.ELO_BASE + bt.ELO_SCALE * (theta - theta.mean())
    held = 0
    for seed in range(100):
        a, b, y = draw(np.random.default_rng(seed), theta, 400, nu=0.7)
        result = bt.bootstrap(bt.battles(a, b, y), 4, rounds=1000, seed=seed)
        model = seed % 4
        held += int(result.lower[model] <= truth[model] <= result.upper[model])
    assert held >= 93, held


@pytest.mark.parametrize("weighted", [False, True])
def test_the_blocked_bootstrap_equals_one_exact_fit_per_round(weighted: bool) -> None:
    """The per-pair, fixed-Hessian fits of a block of rounds give each round's own Newton
    fit (same multinomial draws), gold-style vote weights included."""
    rng = np.random.default_rng(8)
    a, b, y = draw(rng, np.array([0.9, 0.4, 0.0, -0.2, -1.0]), 800, nu=0.5)
    weight = rng.choice([0.5, 0.75, 1.0], len(a)) if weighted else None
    data = bt.battles(a, b, y, weight)
    point = bt.fit(data, 5)
    result = bt.bootstrap(data, 5, rounds=150, seed=4, point=point)
    draws = np.random.default_rng(4)
    total, probabilities = int(data.count.sum()), data.count / data.count.sum()
    for r in range(150):
        counts = draws.multinomial(total, probabilities).astype(np.float64)
        exact = bt.fit(data.with_count(counts), 5, start=point).scores
        assert np.abs(result.samples[r] - exact).max() < 1e-3, r


def test_small_resamples_far_from_the_point_fall_back_to_the_exact_fit() -> None:
    """Six votes among three models: many resamples leave a model undefeated, far from the
    point estimate, where the fixed Hessian is a poor guide; they get the exact fit."""
    data = bt.battles([0, 1, 2, 0, 1, 2], [1, 2, 0, 1, 2, 0], [A, A, B, T, B, A])
    point = bt.fit(data, 3)
    result = bt.bootstrap(data, 3, rounds=200, seed=1, point=point)
    draws = np.random.default_rng(1)
    for r in range(200):
        counts = draws.multinomial(6, data.count / data.count.sum()).astype(np.float64)
        exact = bt.fit(data.with_count(counts), 3, start=point).scores
        assert np.abs(result.samples[r] - exact).max() < 1e-3, r


def test_the_robustness_figure_against_brute_force_with_ties_and_lower_pairs() -> None:
    """Four models, 10 votes with ties; for every adjacent pair of the ranking, the greedy
    count is at least the true smallest number of removals (every subset tried) and at
    most one more, and equals it on most sets."""
    rng = np.random.default_rng(12)
    checked = exact = 0
    for _ in range(6):
        a, b, y = draw(rng, np.array([0.9, 0.5, 0.1, -0.3]), 10, nu=0.8)
        data = bt.battles(a, b, y)
        order = [int(i) for i in np.argsort(-bt.fit(data, 4).theta, kind="stable")]
        for top, other in itertools.pairwise(order):
            greedy = bt.votes_to_flip(data, 4, top, other)
            truth = _fewest_removals(a, b, y, top, other)
            if truth is None:
                assert greedy is None
                continue
            assert greedy is not None and truth <= greedy <= truth + 1
            checked += 1
            exact += greedy == truth
    assert checked >= 12 and exact >= 0.8 * checked, (checked, exact)


def _fewest_removals(
    a: np.ndarray, b: np.ndarray, y: np.ndarray, top: int, other: int
) -> int | None:
    n = 4
    for size in range(len(a) + 1):
        for removed in itertools.combinations(range(len(a)), size):
            keep = np.setdiff1d(np.arange(len(a)), removed)
            result = bt.fit(bt.battles(a[keep], b[keep], y[keep]), n)
            if result.theta[top] - result.theta[other] <= 1e-9:
                return size
    return None
