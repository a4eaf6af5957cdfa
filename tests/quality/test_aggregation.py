"""Consensus maths: hand-computed cases, degenerate crowds, properties, and crowd-kit as peer."""

from random import Random

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene as CrowdKitDawidSkene
from crowdkit.aggregation import MajorityVote as CrowdKitMajorityVote
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from fairlabel.quality.aggregation import (
    bradley_terry,
    dawid_skene,
    majority_vote,
    multi_label,
    rankings_to_pairs,
)
from tests.quality.simulate import Crowd, comparisons, crowd

# crowd-kit 1.4.2 uses pandas features that pandas 3 deprecates; its warnings are not ours
pytestmark = pytest.mark.filterwarnings(r"ignore::Warning:crowdkit\..*")

Answers = tuple[list[int], list[int], list[int]]
answers = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
    )
)


# majority vote


def test_majority_vote_counts_shares_and_breaks_ties_to_the_lowest_label() -> None:
    vote = majority_vote([0, 0, 0, 1, 1], [0, 1, 2, 0, 1], [1, 1, 0, 2, 0], n_classes=3)
    assert vote.labels.tolist() == [1, 0]
    assert vote.confidence.tolist() == pytest.approx([2 / 3, 1 / 2])
    assert vote.votes.tolist() == [[1, 2, 0], [1, 0, 1]]


def test_majority_vote_weighs_workers() -> None:
    vote = majority_vote([0, 0, 0], [0, 1, 2], [1, 1, 0], n_classes=2, weights=[0.2, 0.2, 1.0])
    assert vote.labels.tolist() == [0]
    assert vote.confidence[0] == pytest.approx(1 / 1.4)


def test_majority_vote_item_without_votes_gets_minus_one_and_zero_confidence() -> None:
    vote = majority_vote([0, 2], [0, 0], [1, 1], n_classes=2, n_items=4)
    assert vote.labels.tolist() == [1, -1, 1, -1]
    assert vote.confidence.tolist() == [1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    ("items", "workers", "labels", "message"),
    [
        ([0, 1], [0], [0, 1], "same length"),
        ([0, -1], [0, 0], [0, 1], "must be >= 0"),
        ([0, 1], [0, 0], [0, 3], "must be < 3"),
        ([], [], [], "must not be empty"),
        ([0.5], [0], [0], "integer codes"),
    ],
)
def test_majority_vote_rejects_bad_arrays(
    items: list[float], workers: list[int], labels: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        majority_vote(items, workers, labels, n_classes=3)


def test_majority_vote_rejects_negative_weights() -> None:
    with pytest.raises(ValueError, match="weights"):
        majority_vote([0], [0], [0], n_classes=2, weights=[-1.0])


@given(answers, st.randoms(use_true_random=False))
def test_majority_vote_ignores_row_order_and_confidence_is_a_share(
    data: Answers, random: Random
) -> None:
    items, workers, labels = map(np.array, data)
    order = np.array(random.sample(range(len(items)), len(items)))
    vote = majority_vote(items, workers, labels, n_classes=3)
    shuffled = majority_vote(items[order], workers[order], labels[order], n_classes=3)
    assert vote.labels.tolist() == shuffled.labels.tolist()
    assert np.allclose(vote.confidence, shuffled.confidence)
    assert ((vote.confidence >= 0) & (vote.confidence <= 1)).all()


def test_majority_vote_matches_crowd_kit() -> None:
    """Shares equal to 1e-12; the same winner wherever one label leads. On ties crowd-kit picks
    the tied label it met first in the data, we the lowest: both must be among the tied."""
    data = crowd(20_000, 200, 5, seed=1)
    ours = majority_vote(data.items, data.workers, data.labels, data.n_classes)
    peer = CrowdKitMajorityVote().fit(_frame(data))
    assert peer.probas_ is not None and peer.labels_ is not None
    peer_shares = peer.probas_.reindex(index=range(data.n_items), columns=range(5)).fillna(0)
    assert (
        np.abs(peer_shares.to_numpy() - ours.votes / ours.votes.sum(1, keepdims=True)).max() < 1e-12
    )
    peer_labels = peer.labels_.reindex(range(data.n_items)).to_numpy().astype(int)
    top_two = np.sort(ours.votes, axis=1)[:, -2:]
    clear = top_two[:, 1] > top_two[:, 0]
    assert (peer_labels[clear] == ours.labels[clear]).all()
    best = ours.votes.max(axis=1)
    assert (ours.votes[np.arange(data.n_items), peer_labels] == best).all()


# Dawid-Skene


def test_dawid_skene_one_worker_follows_that_worker() -> None:
    result = dawid_skene([0, 1, 2, 3], [0, 0, 0, 0], [1, 0, 2, 1], 4, 1, 3)
    assert result.labels.tolist() == [1, 0, 2, 1]
    assert np.isfinite(result.posterior).all() and np.isfinite(result.confusion).all()
    assert (result.confidence > 0.9).all()


def test_dawid_skene_unanimous_workers_are_certain_and_reliable() -> None:
    items = np.repeat(np.arange(50), 3)
    labels = items % 2
    result = dawid_skene(items, np.tile([0, 1, 2], 50), labels, 50, 3, 2)
    assert result.labels.tolist() == (np.arange(50) % 2).tolist()
    assert (result.confidence > 0.999).all()
    assert (result.reliability > 0.99).all()
    assert result.converged


def test_dawid_skene_worker_who_always_answers_the_same_is_found_out() -> None:
    data = crowd(2000, 10, 3, per_item=3, seed=2)
    spammer = np.flatnonzero(data.workers == 0)
    labels = data.labels.copy()
    labels[spammer] = 0
    result = dawid_skene(data.items, data.workers, labels, data.n_items, data.n_workers, 3)
    assert np.isfinite(result.posterior).all()
    assert np.allclose(result.posterior.sum(axis=1), 1)
    assert result.confusion[0, 0].min() > 0.99  # answers 0 whatever the truth
    assert result.reliability[0] == pytest.approx(result.priors[0], abs=0.01)
    assert result.reliability[0] < np.median(result.reliability)


def test_dawid_skene_unanswered_item_gets_the_priors() -> None:
    result = dawid_skene([0, 0, 2, 2], [0, 1, 0, 1], [1, 1, 0, 1], 3, 2, 2)
    assert result.posterior[1] == pytest.approx(result.priors)
    assert result.priors.sum() == pytest.approx(1)


def test_dawid_skene_beats_majority_vote_when_workers_differ() -> None:
    data = crowd(5000, 50, 4, per_item=5, seed=3)
    ds = dawid_skene(data.items, data.workers, data.labels, data.n_items, data.n_workers, 4)
    mv = majority_vote(data.items, data.workers, data.labels, 4)
    assert (ds.labels == data.truth).mean() > (mv.labels == data.truth).mean() + 0.01


@given(answers, st.randoms(use_true_random=False))
@settings(max_examples=50)
def test_dawid_skene_is_a_distribution_and_ignores_row_order(data: Answers, random: Random) -> None:
    items, workers, labels = map(np.array, data)
    order = np.array(random.sample(range(len(items)), len(items)))
    result = dawid_skene(items, workers, labels, 6, 4, 3)
    shuffled = dawid_skene(items[order], workers[order], labels[order], 6, 4, 3)
    assert np.isfinite(result.posterior).all()
    assert np.allclose(result.posterior.sum(axis=1), 1)
    assert ((result.confidence >= 0) & (result.confidence <= 1)).all()
    assert ((result.reliability >= 0) & (result.reliability <= 1)).all()
    assert np.allclose(result.posterior, shuffled.posterior, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_workers": 1}, "workers holds 1; codes must be < 1"),
        ({"n_items": 0}, "n_items must be >= 1"),
        ({"smoothing": 0.0}, "smoothing must be > 0"),
    ],
)
def test_dawid_skene_rejects_bad_input(kwargs: dict[str, float], message: str) -> None:
    arguments: dict[str, float] = {"n_items": 2, "n_workers": 2, "n_classes": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        dawid_skene([0, 1], [0, 1], [0, 1], **arguments)  # type: ignore[arg-type]


def test_dawid_skene_matches_crowd_kit() -> None:
    """With crowd-kit's own floor (1e-10) in place of our pseudo-count, the two agree on every
    label and to 1e-6 in posterior (3.6e-10 measured) after the same number of iterations; with
    our default smoothing 0.01, >= 99.9% equal labels (99.98% measured), mean posterior
    difference <= 1e-3 (2e-4 measured) and the same accuracy to 0.1%."""
    data = crowd(20_000, 200, 5, seed=4)
    peer = CrowdKitDawidSkene(n_iter=100, tol=1e-5).fit(_frame(data))
    assert peer.probas_ is not None
    peer_posterior = peer.probas_.reindex(index=range(data.n_items), columns=range(5)).to_numpy()
    args = (data.items, data.workers, data.labels, data.n_items, data.n_workers, data.n_classes)
    tight = dawid_skene(*args, smoothing=1e-10)
    assert (tight.labels == peer_posterior.argmax(axis=1)).all()
    assert np.abs(tight.posterior - peer_posterior).max() < 1e-6
    assert abs(tight.n_iter - len(peer.loss_history_)) <= 1
    default = dawid_skene(*args)
    assert (default.labels == peer_posterior.argmax(axis=1)).mean() >= 0.999
    assert np.abs(default.posterior - peer_posterior).mean() <= 1e-3
    peer_accuracy = (peer_posterior.argmax(axis=1) == data.truth).mean()
    assert (default.labels == data.truth).mean() == pytest.approx(peer_accuracy, abs=1e-3)


# multi-label


def test_multi_label_aggregates_each_label_on_its_own() -> None:
    chosen = [[1, 0], [1, 1], [1, 0], [0, 1], [0, 1], [1, 1]]
    result = multi_label([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2], chosen, 2, 3)
    assert result.present.tolist() == [[True, False], [False, True]]
    assert ((result.confidence >= 0.5) & (result.confidence <= 1)).all()
    assert result.reliability.shape == (3, 2)


def test_multi_label_rejects_non_boolean_choices() -> None:
    with pytest.raises(ValueError, match="0/1"):
        multi_label([0], [0], [[2, 0]], 1, 1)


# Bradley-Terry


def test_bradley_terry_two_candidates_match_the_win_share() -> None:
    result = bradley_terry([0, 0, 0, 1], [1, 1, 1, 0], 2, prior=1e-9)
    assert result.scores.tolist() == pytest.approx([0.75, 0.25], abs=1e-6)
    assert result.order.tolist() == [0, 1]
    assert result.converged


def test_bradley_terry_unbeaten_and_winless_candidates_stay_finite() -> None:
    result = bradley_terry([0, 0, 1], [1, 2, 2], 3)
    assert np.isfinite(np.log(result.scores)).all()
    assert result.order.tolist() == [0, 1, 2]
    assert result.scores.sum() == pytest.approx(1)


def test_bradley_terry_ties_count_half_and_all_ties_give_equal_scores() -> None:
    result = bradley_terry([0, 1, 2], [1, 2, 0], 3, ties=[True, True, True])
    assert result.scores == pytest.approx([1 / 3] * 3)
    assert result.order.tolist() == [0, 1, 2]  # equal scores keep the lower code first
    half = bradley_terry([0, 0], [1, 1], 2, ties=[True, False], prior=1e-9)
    assert half.scores.tolist() == pytest.approx([0.75, 0.25], abs=1e-6)


def test_bradley_terry_never_compared_candidate_gets_the_average() -> None:
    result = bradley_terry([0], [1], 3)
    assert result.scores[0] > result.scores[2] > result.scores[1]


def test_bradley_terry_recovers_simulated_strengths() -> None:
    winners, losers, strengths = comparisons(200_000, 20, seed=5)
    result = bradley_terry(winners, losers, 20)
    assert spearmanr(result.scores, strengths).statistic > 0.99
    assert np.abs(np.log(result.scores) - np.log(strengths)).max() < 0.1


@given(
    st.permutations(range(4)), st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1)
)
def test_bradley_terry_renaming_candidates_renames_scores(
    perm: list[int], pairs: list[tuple[int, int]]
) -> None:
    mapping = np.array(perm)
    winners = np.array([a for a, _ in pairs])
    losers = (winners + np.array([d for _, d in pairs])) % 4
    result = bradley_terry(winners, losers, 4)
    renamed = bradley_terry(mapping[winners], mapping[losers], 4)
    assert np.allclose(renamed.scores[mapping], result.scores, atol=1e-7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"winners": [0], "losers": [0]}, "compared with itself"),
        ({"winners": [0], "losers": [5]}, "losers holds 5"),
        ({"winners": [0, 1], "losers": [1]}, "same length"),
        ({"ties": [True, False]}, "ties must be a boolean array of length 1"),
        ({"prior": 0.0}, "prior must be > 0"),
    ],
)
def test_bradley_terry_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"winners": [0], "losers": [1], "n_candidates": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        bradley_terry(**arguments)  # type: ignore[arg-type]


def test_rankings_to_pairs_expands_groups_and_ties() -> None:
    winners, losers, ties = rankings_to_pairs([[[3], [1, 2], 0]])
    assert list(zip(winners.tolist(), losers.tolist(), ties.tolist(), strict=True)) == [
        (3, 1, False),
        (3, 2, False),
        (3, 0, False),
        (1, 2, True),
        (1, 0, False),
        (2, 0, False),
    ]


def test_rankings_to_pairs_feed_bradley_terry() -> None:
    winners, losers, ties = rankings_to_pairs([[2, 0, 1], [2, [0, 1]], [0, 2, 1]])
    assert bradley_terry(winners, losers, 3, ties=ties).order.tolist() == [2, 0, 1]


def test_rankings_to_pairs_rejects_a_repeated_candidate() -> None:
    with pytest.raises(ValueError, match="twice"):
        rankings_to_pairs([[1, [2, 1]]])


def _frame(data: Crowd) -> pd.DataFrame:
    return pd.DataFrame({"task": data.items, "worker": data.workers, "label": data.labels})
