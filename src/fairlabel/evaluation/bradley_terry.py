"""Bradley-Terry with ties for pairwise votes between models: fit, bootstrap, rank intervals,
vote-removal robustness and style control, NumPy only (no database, no web).

Ties follow Davidson (1970): P(a) = e^{d/2} / D, P(b) = e^{-d/2} / D, P(tie) = nu / D with
D = e^{d/2} + e^{-d/2} + nu and d the log-strength difference. Davidson rather than Rao-Kupper
because its estimating equations make a tie worth exactly half a win to each side (the way
win rates and Arena count them), a tie is most likely between equals, and log D is a
log-sum-exp, so the negative log-likelihood is convex and Newton's method converges from
anywhere. A weak Gaussian prior on the log-strengths (and on log nu and the style weights)
keeps every estimate finite; `has_mle` says whether the votes alone have an answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

A_WINS, B_WINS, TIE = 0, 1, 2
ELO_SCALE = 400 / math.log(10)
ELO_BASE = 1000.0
PRIOR_SD = 10.0
STYLE_FEATURES = ("length", "headers", "list_items", "bold", "code_blocks")
_HALF = np.array([0.5, -0.5, 0.0])
_TOL = 1e-9
_BLOCK = 100
_FIXED_STEPS = 20
_STEP_TOL = 1e-6  # in log-strength: 0.0004 Elo points

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Battles:
    """Votes as rows of a side, b side, outcome and weight, with optional style covariates
    (a minus b, normalised); `count` is how many votes a row stands for (its weight is
    `count * unit`), so identical votes can share a row."""

    a: Ints
    b: Ints
    outcome: Ints
    count: Floats
    unit: Floats
    style: Floats | None = None

    @property
    def weight(self) -> Floats:
        return self.count * self.unit

    def with_count(self, count: Floats) -> Battles:
        return Battles(self.a, self.b, self.outcome, count, self.unit, self.style)


def battles(
    a: Sequence[int] | Ints,
    b: Sequence[int] | Ints,
    outcome: Sequence[int] | Ints,
    weight: Sequence[float] | Floats | None = None,
    style: Floats | None = None,
) -> Battles:
    """One row per vote; without style covariates, identical votes are merged into one row
    (the fit then costs the number of distinct (pair, outcome, weight), not of votes)."""
    left, right, result = (np.asarray(x, dtype=np.int64) for x in (a, b, outcome))
    unit = np.ones(len(left)) if weight is None else np.asarray(weight, dtype=np.float64)
    if style is not None:
        columns = np.asfortranarray(style, dtype=np.float64)
        return Battles(left, right, result, np.ones(len(left)), unit, columns)
    flip = left > right
    lo, hi = np.where(flip, right, left), np.where(flip, left, right)
    result = np.where(flip & (result != TIE), 1 - result, result)
    units, which = np.unique(unit, return_inverse=True)
    size = int(max(lo.max(initial=0), hi.max(initial=0))) + 1
    key = ((lo * size + hi) * 3 + result) * len(units) + which
    keys, counts = np.unique(key, return_counts=True)  # one sort of integers, not of rows
    rest, unit_index = np.divmod(keys, len(units))
    pair, merged = np.divmod(rest, 3)
    first, second = np.divmod(pair, size)
    return Battles(first, second, merged, counts.astype(np.float64), units[unit_index])


@dataclass(frozen=True)
class Fit:
    """Centred log-strengths, log nu, style weights, and the Cholesky factor of the
    posterior's Hessian (reused by the influence approximation)."""

    theta: Floats
    log_nu: float
    beta: Floats
    hessian: Floats
    iterations: int

    @property
    def scores(self) -> Floats:
        """On the Elo scale Arena uses: 1000 + 400 / ln 10 per unit of log-strength."""
        return ELO_BASE + ELO_SCALE * self.theta


def _probabilities(d: Floats, log_nu: float) -> tuple[Floats, Floats, Floats, Floats]:
    """P(a), P(b), P(tie) and log D; margins are clipped far beyond any the prior allows
    (|d| < 600 keeps exp finite), which is cheaper than a log-sum-exp per vote."""
    up = np.exp(np.clip(d, -600, 600) / 2)
    nu = math.exp(log_nu)
    denominator = up + 1 / up + nu
    return up / denominator, 1 / (up * denominator), nu / denominator, np.log(denominator)


def _unpack(z: Floats, n: int) -> tuple[Floats, float, Floats]:
    return z[:n], float(z[n]), z[n + 1 :]


def _margin(data: Battles, theta: Floats, beta: Floats) -> Floats:
    d = theta[data.a] - theta[data.b]
    return d if data.style is None else d + _times(data.style, beta)


def _times(x: Floats, v: Floats) -> Floats:
    """x @ v column by column: for a tall, narrow x, BLAS's threads cost 10x on a loaded
    machine (x is kept in column order, so each column is contiguous)."""
    result = np.zeros(len(x))
    for k in range(x.shape[1]):
        result += x[:, k] * v[k]
    return result


def _inner(x: Floats, v: Floats) -> Floats:
    """x.T @ v column by column, for the same reason (a product and a sum, no BLAS)."""
    return np.array([float(np.multiply(x[:, k], v).sum()) for k in range(x.shape[1])])


def _objective(data: Battles, z: Floats, n: int, prior_sd: float | None) -> float:
    theta, log_nu, beta = _unpack(z, n)
    d = _margin(data, theta, beta)
    _, _, _, log_d = _probabilities(d, log_nu)
    half = _HALF[data.outcome]
    loglik = half * d + (data.outcome == TIE) * log_nu - log_d
    return float(-np.multiply(data.weight, loglik).sum() + _penalty(z, n, prior_sd))


def _penalty(z: Floats, n: int, prior_sd: float | None) -> float:
    """The prior, plus a sum-to-zero term that fixes the scale's origin and is 0 at the
    optimum (the likelihood does not move when every strength shifts)."""
    sums = 0.5 * float(z[:n].sum()) ** 2
    sd = prior_sd or math.inf
    return sums + 0.5 * float(z[:n] @ z[:n] + z[n:] @ z[n:]) / sd**2


def _gradient_hessian(
    data: Battles, z: Floats, n: int, prior_sd: float | None
) -> tuple[Floats, Floats]:
    theta, log_nu, beta = _unpack(z, n)
    d = _margin(data, theta, beta)
    pa, pb, pt, _ = _probabilities(d, log_nu)
    w = data.weight
    mean_d = (pa - pb) / 2
    g_d = -w * (_HALF[data.outcome] - mean_d)
    g_nu = -w * ((data.outcome == TIE) - pt)
    h_dd = w * ((pa + pb) / 4 - mean_d**2)
    h_dn = w * (-mean_d * pt)
    h_nn = w * (pt - pt**2)
    p = 0 if data.style is None else data.style.shape[1]
    size = n + 1 + p
    grad = np.empty(size)
    grad[:n] = np.bincount(data.a, g_d, n) - np.bincount(data.b, g_d, n)
    grad[n] = g_nu.sum()
    hess = np.zeros((size, size))
    index = np.concatenate([data.a * n + data.a, data.b * n + data.b])
    cross = np.concatenate([data.a * n + data.b, data.b * n + data.a])
    laplacian = np.bincount(index, np.tile(h_dd, 2), n * n) - np.bincount(
        cross, np.tile(h_dd, 2), n * n
    )
    hess[:n, :n] = laplacian.reshape(n, n)
    column = np.bincount(data.a, h_dn, n) - np.bincount(data.b, h_dn, n)
    hess[:n, n] = hess[n, :n] = column
    hess[n, n] = h_nn.sum()
    if data.style is not None:
        x = data.style
        grad[n + 1 :] = _inner(x, g_d)
        for k in range(p):
            col = np.bincount(data.a, h_dd * x[:, k], n) - np.bincount(data.b, h_dd * x[:, k], n)
            hess[:n, n + 1 + k] = hess[n + 1 + k, :n] = col
        hess[n, n + 1 :] = hess[n + 1 :, n] = _inner(x, h_dn)
        hess[n + 1 :, n + 1 :] = [_inner(x, h_dd * x[:, k]) for k in range(p)]
    sd = prior_sd or math.inf
    grad[:n] += z[:n].sum() + z[:n] / sd**2
    grad[n:] += z[n:] / sd**2
    hess[:n, :n] += 1.0 + np.eye(n) / sd**2
    hess[np.arange(n, size), np.arange(n, size)] += 1 / sd**2
    return grad, hess


def fit(
    data: Battles,
    n: int,
    prior_sd: float | None = PRIOR_SD,
    start: Fit | None = None,
    max_iter: int = 100,
) -> Fit:
    """Maximum a posteriori by Newton's method with a backtracking line search (the
    objective is strictly convex, so this is the one optimum); prior_sd None is plain
    maximum likelihood, which exists only where `has_mle` says so."""
    p = 0 if data.style is None else data.style.shape[1]
    z = np.zeros(n + 1 + p) if start is None else _pack(start, p)
    value = _objective(data, z, n, prior_sd)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        grad, hess = _gradient_hessian(data, z, n, prior_sd)
        if np.abs(grad).max() < _TOL * max(1.0, float(data.weight.sum())):
            break
        step = -cho_solve(
            cho_factor(hess), grad
        )  # positive definite; LAPACK's threaded solve is 100x slower under load
        decrement = -float(grad @ step)
        if decrement < 1e-12 * (1.0 + abs(value)):
            z = z + step
            break
        t = 1.0
        while t > 1e-12:
            candidate = z + t * step
            new = _objective(data, candidate, n, prior_sd)
            if new <= value + 1e-4 * t * float(grad @ step):
                break
            t /= 2
        if t <= 1e-12:
            break
        z, value = candidate, new
    theta, log_nu, beta = _unpack(z, n)
    return Fit(theta - theta.mean(), log_nu, beta.copy(), hess, iterations)


def _pack(start: Fit, p: int) -> Floats:
    beta = start.beta if len(start.beta) == p else np.zeros(p)
    return np.concatenate([start.theta, [start.log_nu], beta])


def has_mle(data: Battles, n: int) -> bool:
    """Plain maximum likelihood exists when every model can be reached from every other by
    a chain of "beat or tied" (Zermelo-Ford): otherwise some group never lost to the rest,
    and its strengths run off to infinity without the prior."""
    won = data.outcome != B_WINS
    lost = data.outcome != A_WINS
    rows = np.concatenate([data.a[won], data.b[lost]])
    cols = np.concatenate([data.b[won], data.a[lost]])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    count, _ = connected_components(graph, directed=True, connection="strong")
    return bool(count == 1)


@dataclass(frozen=True)
class Bootstrap:
    """Percentile intervals of the scores over rounds that resample the votes."""

    lower: Floats
    upper: Floats
    rounds: int
    seed: int
    samples: Floats = field(repr=False)


def bootstrap(
    data: Battles,
    n: int,
    rounds: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    point: Fit | None = None,
    prior_sd: float | None = PRIOR_SD,
) -> Bootstrap:
    """Resample votes with replacement (a multinomial over rows, the same law as drawing
    votes one by one), refit each round from the point estimate, take percentiles. Rounds
    are drawn and fitted in blocks: without style covariates a block is fitted at once
    over per-pair sums (`_PairRefit`); with them, each round over its votes."""
    start = point or fit(data, n, prior_sd)
    refit = (_PairRefit.of if data.style is None else _refit_votes)(data, n, start, prior_sd)
    rng = np.random.default_rng(seed)
    total, probabilities = int(data.count.sum()), data.count / data.count.sum()
    samples = np.empty((rounds, n))
    with threadpool_limits(limits=1, user_api="blas"):  # small solves: extra threads only spin
        for first in range(0, rounds, _BLOCK):
            size = min(_BLOCK, rounds - first)
            counts = rng.multinomial(total, probabilities, size=size).astype(np.float64)
            samples[first : first + size] = ELO_BASE + ELO_SCALE * refit(counts)
    tail = (1 - level) / 2 * 100
    lower, upper = np.percentile(samples, [tail, 100 - tail], axis=0)
    return Bootstrap(lower, upper, rounds, seed, samples)


def _refit_votes(
    data: Battles, n: int, start: Fit, prior_sd: float | None
) -> Callable[[Floats], Floats]:
    """Each round's centred log-strengths by its own Newton fit."""
    return lambda counts: np.array(
        [fit(data.with_count(c), n, prior_sd, start).theta for c in counts]
    )


@dataclass(frozen=True)
class _PairRefit:
    """Centred log-strengths of a block of rounds (one row of `counts` each), fitted at once.

    Without covariates the likelihood depends on the votes only through three sums per
    pair of models (weight, half-wins, ties), so a round costs its pairs (at most 4,950
    among 100 models), not its votes. Every round starts at the point estimate and steps
    by the point's Hessian, fixed: resampled Hessians differ from it by a few percent, so
    each step gains about two digits and no round needs its own factorisation. A round is
    done when its step is under `_STEP_TOL` (the error left is a fraction of that step); one
    whose step does not halve (a small resample far from the point) or that is not done
    after `_FIXED_STEPS` steps is refitted by `fit`, line search and all."""

    data: Battles
    n: int
    start: Fit
    prior_sd: float | None
    pairs: _PairSums
    factor: tuple[Floats, bool]

    @classmethod
    def of(cls, data: Battles, n: int, start: Fit, prior_sd: float | None) -> _PairRefit:
        z = np.append(start.theta, start.log_nu)
        factor = cho_factor(_gradient_hessian(data, z, n, prior_sd)[1])
        return cls(data, n, start, prior_sd, _PairSums.of(data, n), factor)

    def __call__(self, counts: Floats) -> Floats:
        n = self.n
        weight, half, tie = self.pairs.sums(counts)
        z = np.tile(np.append(self.start.theta, self.start.log_nu)[:, None], (1, len(counts)))
        active = np.arange(len(counts))
        stalled: list[Ints] = []
        at = z[:, :1]  # every round's gradient at the start needs the margins only once
        last = np.full(len(counts), np.inf)
        for _ in range(_FIXED_STEPS):
            step = cho_solve(self.factor, self._gradient(at, weight, half, tie))
            z[:, active] -= step
            size = np.abs(step).max(axis=0)
            going = size >= _STEP_TOL
            slow = going & (size > last / 2)  # far from the point the fixed Hessian misleads
            stalled.append(active[slow])
            going &= ~slow
            if not going.all():
                active, tie, last = active[going], tie[going], size[going]
                weight, half = weight[:, going], half[:, going]
            else:
                last = size
            if not len(active):
                break
            at = z[:, active]
        for r in np.concatenate([active, *stalled]):
            z[:n, r] = fit(self.data.with_count(counts[r]), n, self.prior_sd, self.start).theta
        theta = z[:n].T
        result: Floats = theta - theta.mean(axis=1, keepdims=True)
        return result

    def _gradient(self, z: Floats, weight: Floats, half: Floats, tie: Floats) -> Floats:
        """The objective's gradient per round (columns), from the per-pair sums; `z` may be
        one column shared by every round."""
        n, incidence = self.n, self.pairs.incidence
        theta, log_nu = z[:n], z[n]
        up = np.exp(np.clip(incidence @ theta, -600, 600) / 2)
        down = 1 / up
        nu = np.exp(log_nu)
        w_over_d = weight / (up + down + nu)
        sd2 = (self.prior_sd or math.inf) ** 2
        grad = np.empty((n + 1, weight.shape[1]))
        grad[:n] = incidence.T @ ((up - down) * w_over_d / 2 - half)
        grad[:n] += theta.sum(axis=0) + theta / sd2
        grad[n] = nu * w_over_d.sum(axis=0) - tie + log_nu / sd2
        return grad


@dataclass(frozen=True)
class _PairSums:
    """Rows of the same pair of models mapped onto that pair: `incidence` is pairs x models
    (+1 for the first model, -1 for the second); `to_pairs` sums a round's row counts into
    the pair's weight, half-wins (a minus b, halved) and ties (one sparse product)."""

    incidence: csr_matrix
    to_pairs: csr_matrix
    pairs: int

    @classmethod
    def of(cls, data: Battles, n: int) -> _PairSums:
        keys, pair = np.unique(data.a * n + data.b, return_inverse=True)
        first, second = np.divmod(keys, n)
        count = len(keys)
        rows = np.arange(count)
        incidence = csr_matrix(
            (np.repeat([1.0, -1.0], count), (np.tile(rows, 2), np.concatenate([first, second]))),
            shape=(count, n),
        )
        values = np.concatenate(
            [data.unit, data.unit * _HALF[data.outcome], data.unit * (data.outcome == TIE)]
        )
        places = np.concatenate([pair, pair + count, np.zeros(len(pair), np.int64) + 2 * count])
        columns = np.tile(np.arange(len(pair)), 3)
        to_pairs = csr_matrix((values, (places, columns)), shape=(2 * count + 1, len(pair)))
        return cls(incidence, to_pairs, count)

    def sums(self, counts: Floats) -> tuple[Floats, Floats, Floats]:
        """Per pair and round (pairs x rounds): weight and half-wins; ties summed per round."""
        summed = np.asarray(self.to_pairs @ counts.T)
        return summed[: self.pairs], summed[self.pairs : 2 * self.pairs], summed[-1]


def rank_intervals(lower: Floats, upper: Floats) -> tuple[Ints, Ints]:
    """Best rank: 1 + models whose lower bound is above this one's upper bound (Arena's
    rank); worst rank: the number of models whose upper bound is not below its lower one."""
    best = 1 + (lower[None, :] > upper[:, None]).sum(axis=1)
    worst = (upper[None, :] >= lower[:, None]).sum(axis=1)
    return best.astype(np.int64), worst.astype(np.int64)


# --- robustness -------------------------------------------------------------------------


def votes_to_flip(
    data: Battles, n: int, leader: int, other: int, prior_sd: float | None = PRIOR_SD
) -> int | None:
    """How many votes, removed, put `other` level with or above `leader`: an upper bound on
    the smallest such number, from a greedy search. Each step removes votes from the row
    whose removal most narrows the gap by the influence approximation (one Newton step
    from the current fit), then refits; the last step is trimmed by bisection, so every
    figure is confirmed by a refit. None: no removal narrows the gap."""
    current = fit(data, n, prior_sd)
    remaining = data.count.copy()
    removed = 0
    while _gap(current, leader, other) > _TOL:
        shift = _influence(data.with_count(remaining), current, n, leader, other)
        shift[remaining <= 0] = 0.0
        row = int(np.argmin(shift))
        if shift[row] >= 0:
            return None
        need = math.ceil(_gap(current, leader, other) / -shift[row])
        step = int(min(remaining[row], max(1, need)))
        trial = remaining.copy()
        trial[row] -= step
        after = fit(data.with_count(trial), n, prior_sd, current)
        if _gap(after, leader, other) <= _TOL:
            return removed + _least(
                data, n, remaining, row, step, current, (leader, other), prior_sd
            )
        remaining, current, removed = trial, after, removed + step
    return removed


def _gap(result: Fit, leader: int, other: int) -> float:
    return float(result.theta[leader] - result.theta[other])


def _influence(data: Battles, current: Fit, n: int, leader: int, other: int) -> Floats:
    """Change of the leader's lead when one vote of each row is removed, to first order:
    -(e_leader - e_other)' H^-1 grad(log-likelihood of that vote)."""
    v = np.zeros(len(current.hessian))
    v[leader], v[other] = 1.0, -1.0
    q = cho_solve(cho_factor(current.hessian), v)
    d = _margin(data, current.theta, current.beta)
    pa, pb, pt, _ = _probabilities(d, current.log_nu)
    l_d = _HALF[data.outcome] - (pa - pb) / 2
    l_nu = (data.outcome == TIE) - pt
    along = l_d * (q[data.a] - q[data.b]) + l_nu * q[n]
    if data.style is not None:
        along = along + l_d * _times(data.style, q[n + 1 :])
    result: Floats = -data.unit * along
    return result


def _least(
    data: Battles,
    n: int,
    remaining: Floats,
    row: int,
    step: int,
    current: Fit,
    pair: tuple[int, int],
    prior_sd: float | None,
) -> int:
    """The fewest of `step` votes from `row` whose removal closes the gap (bisection)."""
    lo, hi = 0, step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        trial = remaining.copy()
        trial[row] -= mid
        if _gap(fit(data.with_count(trial), n, prior_sd, current), *pair) <= _TOL:
            hi = mid
        else:
            lo = mid
    return hi


# --- style ------------------------------------------------------------------------------

_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_FENCE = re.compile(r"^\s*```", re.MULTILINE)


def style_counts(text: str) -> list[float]:
    """Length in characters and Markdown structure counted from one response."""
    return [
        float(len(text)),
        float(len(_HEADER.findall(text))),
        float(len(_LIST_ITEM.findall(text))),
        float(len(_BOLD.findall(text))),
        float(len(_FENCE.findall(text)) // 2),
    ]


def style_covariates(a_counts: Floats, b_counts: Floats) -> Floats:
    """Arena's normalisation: (a - b) / (a + b) per feature (0 when both are 0), then each
    column divided by its spread, so the weights are comparable across features."""
    total = a_counts + b_counts
    diff = np.divide(a_counts - b_counts, total, out=np.zeros_like(total), where=total > 0)
    spread = diff.std(axis=0)
    result: Floats = np.divide(diff, spread, out=np.zeros_like(diff), where=spread > 0)
    return result


# --- matrices ---------------------------------------------------------------------------


def matrices(data: Battles, n: int) -> tuple[Floats, Floats]:
    """Battle counts and win rates (a tie half a win) of row model against column model;
    NaN where two models never met."""
    w = data.count
    battles_ = np.zeros((n, n))
    np.add.at(battles_, (data.a, data.b), w)
    battles_ = battles_ + battles_.T
    wins = np.zeros((n, n))
    share = np.select([data.outcome == A_WINS, data.outcome == TIE], [1.0, 0.5], 0.0)
    np.add.at(wins, (data.a, data.b), w * share)
    np.add.at(wins, (data.b, data.a), w * (1 - share))
    rate = np.divide(wins, battles_, out=np.full((n, n), np.nan), where=battles_ > 0)
    return battles_, rate
