"""Consensus from many workers' answers: majority vote, Dawid-Skene, multi-label and
Bradley-Terry, as pure NumPy functions on integer-coded long-form arrays.

Every function takes one row per answer (item, worker, label codes from 0), so the service
layer maps its ids to codes once and the maths never sees a database row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from fairlabel.quality._checks import (
    Floats,
    Int64s,
    index_array,
    positive_count,
    same_length,
)


@dataclass(frozen=True)
class Vote:
    """Per item: the winning label (-1 where an item has no votes) and its share of the
    (weighted) votes; `votes` is the n_items x n_classes tally."""

    labels: Int64s
    confidence: Floats
    votes: Floats


@dataclass(frozen=True)
class DawidSkene:
    """Result of the EM: `posterior[i, c]` = P(true label of item i is c); `confusion[w, k, c]`
    = P(worker w answers k | true label c); `reliability[w]` = P(worker w is right) for an item
    drawn from `priors`."""

    posterior: Floats
    labels: Int64s
    confidence: Floats
    confusion: Floats
    reliability: Floats
    priors: Floats
    n_iter: int
    converged: bool


@dataclass(frozen=True)
class MultiLabel:
    """Per item and label: P(label present), the decision (posterior >= 0.5) and its
    confidence max(p, 1 - p); `reliability[w, j]` is worker w's reliability on label j."""

    posterior: Floats
    present: npt.NDArray[np.bool_]
    confidence: Floats
    reliability: Floats


@dataclass(frozen=True)
class BradleyTerry:
    """Strengths summing to 1 (P(i beats j) = s_i / (s_i + s_j)) and the candidates from
    strongest to weakest."""

    scores: Floats
    order: Int64s
    n_iter: int
    converged: bool


def majority_vote(
    items: npt.ArrayLike,
    workers: npt.ArrayLike,
    labels: npt.ArrayLike,
    n_classes: int,
    weights: npt.ArrayLike | None = None,
    *,
    n_items: int | None = None,
) -> Vote:
    """Each item's most voted label; `weights[w]` (e.g. a reliability) weighs worker w's votes.

    Ties go to the lowest label code, so the result never depends on row order. An item with
    no votes (or only zero-weight votes) gets label -1 and confidence 0."""
    item_codes, worker_codes, label_codes = _answers(items, workers, labels, n_classes)
    n_items = _item_count(item_codes, n_items)
    vote_weights = None
    if weights is not None:
        per_worker = _worker_weights(weights, int(worker_codes.max()) + 1)
        vote_weights = per_worker[worker_codes]
    flat = item_codes * n_classes + label_codes
    tally = np.bincount(flat, weights=vote_weights, minlength=n_items * n_classes)
    votes = tally.astype(np.float64).reshape(n_items, n_classes)
    winners = votes.argmax(axis=1)
    best = votes[np.arange(n_items), winners]
    totals = votes.sum(axis=1)
    has_votes = totals > 0
    confidence = np.divide(best, totals, out=np.zeros(n_items), where=has_votes)
    return Vote(np.where(has_votes, winners, -1), confidence, votes)


def dawid_skene(
    items: npt.ArrayLike,
    workers: npt.ArrayLike,
    labels: npt.ArrayLike,
    n_items: int,
    n_workers: int,
    n_classes: int,
    max_iter: int = 100,
    tol: float = 1e-5,
    *,
    smoothing: float = 0.01,
) -> DawidSkene:
    """Dawid & Skene (1979) EM, started from the majority vote as crowd-kit does.

    `smoothing` is a pseudo-count added to every confusion cell and class count (a Dirichlet
    prior), so a worker who always gives one answer, a single worker, or unanimous workers give
    finite logs and defined posteriors. The EM stops when the mean log-likelihood per answer
    improves by less than `tol`. The returned priors and confusions are those of the last
    E-step, so an item without answers has exactly the priors as posterior."""
    item_codes = index_array("items", items, positive_count("n_items", n_items))
    worker_codes = index_array("workers", workers, positive_count("n_workers", n_workers))
    label_codes = index_array("labels", labels, positive_count("n_classes", n_classes))
    n_answers = same_length(items=item_codes, workers=worker_codes, labels=label_codes)
    positive_count("max_iter", max_iter)
    if smoothing <= 0:
        raise ValueError(f"smoothing must be > 0, got {smoothing}")
    answers = _answer_matrix(
        item_codes, worker_codes * n_classes + label_codes, n_items, n_workers * n_classes
    )
    answered = (np.bincount(item_codes, minlength=n_items) > 0).astype(np.float64)
    posterior = _vote_shares(item_codes, label_codes, n_items, n_classes)
    loglik, n_iter, converged = -np.inf, 0, False
    while n_iter < max_iter:
        n_iter += 1
        priors, log_confusion = _m_step(
            answers, posterior, answered, n_workers, n_classes, smoothing
        )
        posterior, total = _e_step(answers, priors, log_confusion)
        new_loglik = total / n_answers
        if new_loglik - loglik < tol:
            converged = True
            break
        loglik = new_loglik
    confusion = np.exp(log_confusion).reshape(n_workers, n_classes, n_classes)
    reliability = np.einsum("wcc,c->w", confusion, priors)
    return DawidSkene(
        posterior=np.ascontiguousarray(posterior.T),
        labels=posterior.argmax(axis=0),
        confidence=posterior.max(axis=0),
        confusion=confusion,
        reliability=reliability,
        priors=priors,
        n_iter=n_iter,
        converged=converged,
    )


def multi_label(
    items: npt.ArrayLike,
    workers: npt.ArrayLike,
    chosen: npt.ArrayLike,
    n_items: int,
    n_workers: int,
    max_iter: int = 100,
    tol: float = 1e-5,
) -> MultiLabel:
    """Multi-label answers, one row per (item, worker) answer with `chosen[row, j]` true when
    label j was ticked: each label is aggregated as an independent yes/no question by
    Dawid-Skene, so a worker's reliability is measured per label and co-occurrence is ignored."""
    matrix = np.asarray(chosen)
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise ValueError(f"chosen must be a 2-D (answers x labels) array, got shape {matrix.shape}")
    if matrix.dtype.kind not in "biu" or (matrix.size and int(matrix.max()) > 1):
        raise ValueError("chosen must hold booleans or 0/1")
    columns = [
        dawid_skene(
            items, workers, matrix[:, j].astype(np.int64), n_items, n_workers, 2, max_iter, tol
        )
        for j in range(matrix.shape[1])
    ]
    posterior = np.stack([c.posterior[:, 1] for c in columns], axis=1)
    return MultiLabel(
        posterior=posterior,
        present=posterior >= 0.5,
        confidence=np.maximum(posterior, 1 - posterior),
        reliability=np.stack([c.reliability for c in columns], axis=1),
    )


def bradley_terry(
    winners: npt.ArrayLike,
    losers: npt.ArrayLike,
    n_candidates: int,
    ties: npt.ArrayLike | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    *,
    prior: float = 1.0,
) -> BradleyTerry:
    """Bradley-Terry strengths by Hunter's (2004) MM algorithm on the n x n win matrix.

    A tie (`ties[k]` true) counts half a win to each side. `prior` adds that many virtual
    comparisons per candidate, spread as ties over all other candidates: a candidate that never
    wins or never loses gets a finite score, and a disconnected comparison graph still has one
    scale. Stops when no log-score moves by more than `tol`."""
    n = positive_count("n_candidates", n_candidates)
    win = index_array("winners", winners, n)
    lose = index_array("losers", losers, n)
    same_length(winners=win, losers=lose)
    if prior <= 0:
        raise ValueError(f"prior must be > 0, got {prior}")
    if (win == lose).any():
        raise ValueError(
            f"a candidate cannot be compared with itself (row {int(np.argmax(win == lose))})"
        )
    wins = _win_matrix(win, lose, n, ties)
    if n > 1:
        wins += (prior / (n - 1) / 2) * (1 - np.eye(n))
    scores, n_iter, converged = _mm(wins, max_iter, tol)
    return BradleyTerry(scores, np.argsort(-scores, kind="stable"), n_iter, converged)


def rankings_to_pairs(
    rankings: Iterable[Sequence[int | Sequence[int]]],
) -> tuple[Int64s, Int64s, npt.NDArray[np.bool_]]:
    """(winners, losers, ties) from rankings listed best first, where an entry is a candidate
    or a group of tied candidates: [[3], [1, 2], 0] says 3 > 1 = 2 > 0."""
    rows: list[tuple[int, int, bool]] = []
    for ranking in rankings:
        groups = [[int(c) for c in g] if isinstance(g, Sequence) else [int(g)] for g in ranking]
        seen = [c for group in groups for c in group]
        if len(set(seen)) != len(seen):
            raise ValueError(f"a ranking lists a candidate twice: {list(ranking)}")
        for rank, group in enumerate(groups):
            rows += [(a, b, True) for i, a in enumerate(group) for b in group[i + 1 :]]
            rows += [(a, b, False) for a in group for lower in groups[rank + 1 :] for b in lower]
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2].astype(bool)


def _answers(
    items: npt.ArrayLike, workers: npt.ArrayLike, labels: npt.ArrayLike, n_classes: int
) -> tuple[Int64s, Int64s, Int64s]:
    item_codes = index_array("items", items)
    worker_codes = index_array("workers", workers)
    label_codes = index_array("labels", labels, positive_count("n_classes", n_classes))
    same_length(items=item_codes, workers=worker_codes, labels=label_codes)
    return item_codes, worker_codes, label_codes


def _item_count(item_codes: Int64s, n_items: int | None) -> int:
    needed = int(item_codes.max()) + 1
    if n_items is None:
        return needed
    if n_items < needed:
        raise ValueError(f"items holds {needed - 1}; codes must be < n_items={n_items}")
    return n_items


def _worker_weights(weights: npt.ArrayLike, needed: int) -> Floats:
    per_worker = np.asarray(weights, dtype=np.float64)
    if per_worker.ndim != 1 or len(per_worker) < needed:
        raise ValueError(f"weights must have one entry per worker code (>= {needed} entries)")
    if not np.isfinite(per_worker).all() or (per_worker < 0).any():
        raise ValueError("weights must be finite and >= 0")
    return per_worker


def _answer_matrix(
    item_codes: Int64s, pair_codes: Int64s, n_items: int, n_pairs: int
) -> sparse.csr_array:
    """items x (worker, label) answer counts: the E-step is one sparse product with the log
    confusions, the M-step one with its transpose (a worker answering twice counts twice)."""
    ones = np.ones(len(item_codes))
    return sparse.csr_array((ones, (item_codes, pair_codes)), shape=(n_items, n_pairs))


def _vote_shares(item_codes: Int64s, label_codes: Int64s, n_items: int, n_classes: int) -> Floats:
    """Majority-vote shares as the EM's starting posterior, classes x items (the layout the
    EM keeps: a reduction over 5 classes is then a pass over 5 contiguous rows, not 250k
    5-wide ones); uniform for unanswered items."""
    votes = np.bincount(label_codes * n_items + item_codes, minlength=n_items * n_classes)
    votes = votes.reshape(n_classes, n_items).astype(np.float64)
    totals = votes.sum(axis=0)
    return np.divide(votes, totals, out=np.full_like(votes, 1 / n_classes), where=totals > 0)


def _m_step(
    answers: sparse.csr_array,
    posterior: Floats,
    answered: Floats,
    n_workers: int,
    n_classes: int,
    smoothing: float,
) -> tuple[Floats, Floats]:
    """Class priors over answered items (`answered` is 1 or 0) and log confusions, each as
    smoothed counts."""
    class_counts = posterior @ answered + smoothing
    priors = class_counts / class_counts.sum()
    counts = (answers.T @ posterior.T).reshape(n_workers, n_classes, n_classes) + smoothing
    log_confusion = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
    return priors, log_confusion.reshape(n_workers * n_classes, n_classes)


def _e_step(
    answers: sparse.csr_array, priors: Floats, log_confusion: Floats
) -> tuple[Floats, float]:
    """Posteriors (classes x items) in log space, shifted by each item's maximum before
    exponentiating, and the data's log-likelihood (the sum of the per-item normalisers)."""
    log_joint = np.ascontiguousarray((answers @ log_confusion).T)
    log_joint += np.log(priors)[:, None]
    shift = log_joint.max(axis=0)
    log_joint -= shift
    joint = np.exp(log_joint, out=log_joint)
    norm = joint.sum(axis=0)
    joint /= norm
    return joint, float(shift.sum() + np.log(norm).sum())


def _win_matrix(win: Int64s, lose: Int64s, n: int, ties: npt.ArrayLike | None) -> Floats:
    """wins[i, j] = times i beat j, a tie counting half to each."""
    if ties is None:
        return np.bincount(win * n + lose, minlength=n * n).reshape(n, n).astype(np.float64)
    tied = np.asarray(ties)
    if tied.shape != win.shape or tied.dtype.kind not in "biu":
        raise ValueError(f"ties must be a boolean array of length {len(win)}")
    tied = tied.astype(bool)
    decided = np.bincount(win[~tied] * n + lose[~tied], minlength=n * n).reshape(n, n)
    drawn = np.bincount(win[tied] * n + lose[tied], minlength=n * n).reshape(n, n)
    return decided + 0.5 * (drawn + drawn.T)


def _mm(wins: Floats, max_iter: int, tol: float) -> tuple[Floats, int, bool]:
    """Hunter's MM update s_i ← W_i / Σ_j N_ij / (s_i + s_j), renormalised to sum 1."""
    n = len(wins)
    total_wins = wins.sum(axis=1)
    games = wins + wins.T
    scores = np.full(n, 1 / n)
    for n_iter in range(1, max_iter + 1):
        updated = total_wins / (games / (scores[:, None] + scores[None, :])).sum(axis=1)
        updated /= updated.sum()
        change = float(np.abs(np.log(updated) - np.log(scores)).max())
        scores = updated
        if change < tol:
            return scores, n_iter, True
    return scores, max_iter, False
