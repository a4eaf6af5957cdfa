"""The tie model's statistics on cases worked by hand and on votes simulated from known
strengths: the fit, the prior, the bootstrap, rank intervals, robustness and style."""

import itertools
import math

import numpy as np
import pytest

from fairlabel.evaluation import bradley_terry as bt
from tests.evaluation.simulate import draw, outcomes, pairs

A, B, T = bt.A_WINS, bt.B_WINS, bt.TIE


def test_two_models_fit_the_observed_frequencies() -> None:
    """Two models make Davidson's model saturated: 2 wins, 1 loss, 1 tie give P(a) = 1/2,
    P(b) = 1/4, P(tie) = 1/4, so d = ln 2 and nu = P(tie) / sqrt(P(a) P(b)) = 1/sqrt(2)."""
    data = bt.battles([0, 1, 0, 1], [1, 0, 1, 0], [A, B, B, T])
    result = bt.fit(data, 2, prior_sd=None)
    assert result.theta[0] - result.theta[1] == pytest.approx(math.log(2), abs=1e-9)
    assert math.exp(result.log_nu) == pytest.approx(1 / math.sqrt(2), abs=1e-9)
    assert result.theta.sum() == pytest.approx(0, abs=1e-12)
    assert bt.has_mle(data, 2)


def test_three_models_satisfy_davidsons_score_equations() -> None:
    """At the maximum-likelihood answer each model's wins plus half its ties equal their
    expectation, and the ties counted equal the ties expected."""
    a, b, y = [0, 0, 1, 1, 2, 2, 0, 1], [1, 2, 2, 0, 0, 1, 1, 2], [A, A, A, T, A, T, T, B]
    data = bt.battles(a, b, y)
    result = bt.fit(data, 3, prior_sd=None)
    d = result.theta[np.array(a)] - result.theta[np.array(b)]
    nu = math.exp(result.log_nu)
    denominator = np.exp(d / 2) + np.exp(-d / 2) + nu
    p_a, p_b, p_t = np.exp(d / 2) / denominator, np.exp(-d / 2) / denominator, nu / denominator
    for model in range(3):
        side_a, side_b = np.array(a) == model, np.array(b) == model
        observed = sum(
            {A: 1.0, T: 0.5, B: 0.0}[o] for o, s in zip(y, side_a, strict=True) if s
        ) + sum({A: 0.0, T: 0.5, B: 1.0}[o] for o, s in zip(y, side_b, strict=True) if s)
        expected = (p_a + p_t / 2)[side_a].sum() + (p_b + p_t / 2)[side_b].sum()
        assert observed == pytest.approx(expected, abs=1e-8)
    assert p_t.sum() == pytest.approx(y.count(T), abs=1e-8)


def test_an_undefeated_model_is_finite_and_flagged() -> None:
    data = bt.battles([0, 0, 0, 1, 2], [1, 2, 1, 2, 1], [A, A, A, A, T])
    assert not bt.has_mle(data, 3)
    result = bt.fit(data, 3)
    assert np.isfinite(result.theta).all() and result.theta[0] == result.theta.max()
    assert result.theta[0] < 10


def test_ties_only_give_equal_scores() -> None:
    pairs = list(itertools.combinations(range(4), 2)) * 3
    data = bt.battles([p[0] for p in pairs], [p[1] for p in pairs], [T] * len(pairs))
    result = bt.fit(data, 4)
    assert np.allclose(result.scores, bt.ELO_BASE, atol=1e-6)
    assert bt.has_mle(data, 4)


def test_both_sides_of_a_vote_are_symmetric() -> None:
    """The same votes written with the sides swapped give the same scores."""
    one = bt.fit(bt.battles([0, 0, 1], [1, 2, 2], [A, T, B]), 3)
    two = bt.fit(bt.battles([1, 2, 2], [0, 0, 1], [B, T, A]), 3)
    assert np.allclose(one.theta, two.theta, atol=1e-10)


def test_bootstrap_is_seeded_and_reproducible() -> None:
    rng = np.random.default_rng(3)
    a, b, y = draw(rng, np.array([0.5, 0.0, -0.5]), 300, 0.5)
    data = bt.battles(a, b, y)
    first = bt.bootstrap(data, 3, rounds=200, seed=7)
    again = bt.bootstrap(data, 3, rounds=200, seed=7)
    other = bt.bootstrap(data, 3, rounds=200, seed=8)
    assert np.array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other.samples)
    point = bt.fit(data, 3).scores
    assert (first.lower < point).all() and (point < first.upper).all()


def test_simulated_strengths_are_recovered_within_the_intervals() -> None:
    """20 seeds of 6 models and 600 votes with ties: the 95% intervals hold the true
    (centred) strengths at about the stated rate."""
    theta = np.array([1.0, 0.6, 0.2, -0.2, -0.6, -1.0])
    truth = bt.ELO_BASE + bt.ELO_SCALE * (theta - theta.mean())
    inside = 0
    for seed in range(20):
        a, b, y = draw(np.random.default_rng(seed), theta, 600, 0.7)
        result = bt.bootstrap(bt.battles(a, b, y), 6, rounds=200, seed=seed)
        inside += int(((result.lower <= truth) & (truth <= result.upper)).sum())
    assert inside >= 0.9 * 120, inside


def test_rank_intervals_on_a_constructed_case() -> None:
    """Model 0 is clear of everyone; 1 and 2 overlap; 3 overlaps 2 but not 1."""
    lower = np.array([1200.0, 1050.0, 1000.0, 960.0])
    upper = np.array([1300.0, 1150.0, 1100.0, 1020.0])
    best, worst = bt.rank_intervals(lower, upper)
    assert best.tolist() == [1, 2, 2, 3]
    assert worst.tolist() == [1, 3, 4, 4]


def test_a_race_decided_by_one_vote_needs_one_removal() -> None:
    data = bt.battles([0] * 6 + [1] * 5, [1] * 6 + [0] * 5, [A] * 11)
    assert bt.votes_to_flip(data, 2, 0, 1) == 1
    wider = bt.battles([0] * 60 + [1] * 40, [1] * 60 + [0] * 40, [A] * 100)
    assert bt.votes_to_flip(wider, 2, 0, 1) == 20


def test_the_greedy_count_is_an_upper_bound_confirmed_by_brute_force() -> None:
    """On small vote sets, trying every subset: the greedy figure is never below the true
    smallest number (its removal was refitted), and it is the true number in most sets."""
    rng = np.random.default_rng(11)
    exact = 0
    for _ in range(8):
        a, b, y = draw(rng, np.array([0.8, 0.4, 0.0]), 11, 0.6)
        order = np.argsort(-bt.fit(bt.battles(a, b, y), 3).theta)
        greedy = bt.votes_to_flip(bt.battles(a, b, y), 3, int(order[0]), int(order[1]))
        truth = _brute_force(a, b, y, int(order[0]), int(order[1]))
        assert greedy is not None and truth <= greedy <= truth + 1
        exact += greedy == truth
    assert exact >= 6, exact


def _brute_force(a: np.ndarray, b: np.ndarray, y: np.ndarray, top: int, second: int) -> int:
    for size in range(len(a) + 1):
        for removed in itertools.combinations(range(len(a)), size):
            keep = np.setdiff1d(np.arange(len(a)), removed)
            result = bt.fit(bt.battles(a[keep], b[keep], y[keep]), 3)
            if result.theta[top] - result.theta[second] <= 1e-9:
                return size
    return len(a)


def test_style_control_removes_a_simulated_length_bias() -> None:
    """Four equally strong models; model 0 writes twice as long (each response's length
    spread around its model's) and voters favour the longer response.
    The raw score puts model 0 first; with length as a covariate its lead disappears."""
    rng = np.random.default_rng(5)
    votes = 4000
    a, b = pairs(rng, 4, votes)
    length = np.where(np.arange(4) == 0, 2000.0, 1000.0) * rng.lognormal(0, 0.5, (votes, 4))
    counts = [np.zeros((votes, 5)) for _ in range(2)]
    counts[0][:, 0], counts[1][:, 0] = length[np.arange(votes), a], length[np.arange(votes), b]
    style = bt.style_covariates(counts[0], counts[1])
    y = outcomes(rng, 0.8 * style[:, 0], 0.6)
    raw = bt.fit(bt.battles(a, b, y), 4)
    controlled = bt.fit(bt.battles(a, b, y, style=style), 4)
    assert raw.scores[0] - raw.scores[1:].max() > 50
    assert abs(controlled.scores[0] - controlled.scores[1:].mean()) < 25
    assert controlled.beta[0] == pytest.approx(0.8, abs=0.1)
    assert np.allclose(controlled.beta[1:], 0)


def test_style_counts_read_markdown() -> None:
    text = "# Title\n\n- one\n- two\n1. three\n\n**bold** and __also__\n\n```py\nx = 1\n```\n"
    assert bt.style_counts(text) == [float(len(text)), 1.0, 3.0, 2.0, 1.0]


def test_matrices_count_battles_and_half_ties() -> None:
    data = bt.battles([0, 0, 1, 0], [1, 1, 0, 2], [A, T, A, B])
    count, rate = bt.matrices(data, 3)
    assert count.tolist() == [[0, 3, 1], [3, 0, 0], [1, 0, 0]]
    assert rate[0, 1] == pytest.approx(1.5 / 3) and rate[1, 0] == pytest.approx(1.5 / 3)
    assert rate[0, 2] == 0 and rate[2, 0] == 1 and math.isnan(rate[1, 2])
