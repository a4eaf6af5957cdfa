"""Agreement maths: hand-computed cases, degenerate data, properties, and the `krippendorff`
package as peer."""

import itertools

import krippendorff
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from fairlabel.quality.agreement import (
    ConsensusSpan,
    Level,
    Match,
    box_agreement,
    box_iou,
    kendall_tau,
    krippendorff_alpha,
    match_boxes,
    per_item_agreement,
    polygon_agreement,
    polygon_iou,
    span_f1,
    span_vote,
    weighted_box_fusion,
)
from tests.quality.simulate import ratings

LEVELS: list[Level] = ["nominal", "ordinal", "interval"]
PEER_TOLERANCE = 1e-9

# coders x units, NaN where a coder gave no value
reliability_matrices = st.tuples(st.integers(2, 5), st.integers(1, 12)).flatmap(
    lambda shape: st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


def _long_form(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coders, units = np.nonzero(~np.isnan(matrix))
    return units, coders, matrix[coders, units]


def _peer_alpha(matrix: np.ndarray, level: Level) -> float | None:
    """The package's alpha, or None where it refuses (one value) or divides 0 by 0."""
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))
    except ValueError:
        return None
    return None if np.isnan(value) else value


# Krippendorff's alpha


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_krippendorff_package_on_simulated_ratings(level: Level) -> None:
    units, coders, values = ratings(3000, 12, per_unit=4, seed=1)
    keep = np.random.default_rng(2).random(len(units)) > 0.2  # missing values, some lone ones
    units, coders, values = units[keep], coders[keep], values[keep]
    matrix = np.full((12, 3000), np.nan)
    matrix[coders, units] = values
    ours = krippendorff_alpha(units, coders, values, level)
    assert ours == pytest.approx(_peer_alpha(matrix, level), abs=PEER_TOLERANCE)


def test_alpha_matches_krippendorffs_worked_example() -> None:
    """Krippendorff (2011), 'Computing Krippendorff's alpha-reliability', the 4 x 12 example."""
    nan = np.nan
    matrix = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
        ]
    )
    units, coders, values = _long_form(matrix)
    assert krippendorff_alpha(units, coders, values, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(units, coders, values, "ordinal") == pytest.approx(0.815, abs=5e-4)
    assert krippendorff_alpha(units, coders, values, "interval") == pytest.approx(0.849, abs=5e-4)


@given(reliability_matrices, st.sampled_from(LEVELS), st.floats(-3, 3), st.floats(0.5, 4))
def test_alpha_matches_krippendorff_package_on_any_data(
    rows: list[list[int | None]], level: Level, shift: float, scale: float
) -> None:
    """Any coders x units table with gaps, values shifted and scaled (alpha ignores both at
    these levels); where the package is undefined, ours is None."""
    matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    matrix = matrix * scale + shift
    units, coders, values = _long_form(matrix)
    if len(values) == 0:
        return
    ours = krippendorff_alpha(units, coders, values, level)
    peer = _peer_alpha(matrix, level)
    if peer is None:
        assert ours is None
    else:
        assert ours == pytest.approx(peer, abs=PEER_TOLERANCE)


def test_alpha_is_one_when_coders_agree_on_varied_values() -> None:
    for level in LEVELS:
        assert krippendorff_alpha([0, 0, 1, 1], [0, 1, 0, 1], [2, 2, 5, 5], level) == 1.0


def test_alpha_is_none_without_variation_or_pairable_values() -> None:
    assert krippendorff_alpha([0, 0, 1, 1], [0, 1, 0, 1], [3, 3, 3, 3]) is None
    assert krippendorff_alpha([0, 1, 2], [0, 0, 1], [1, 2, 3]) is None  # one value per unit


def test_alpha_drops_units_with_one_value() -> None:
    full = krippendorff_alpha([0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1], [1, 1, 2, 1, 3, 3])
    with_lone = krippendorff_alpha(
        [0, 0, 1, 1, 2, 2, 3], [0, 1, 0, 1, 0, 1, 0], [1, 1, 2, 1, 3, 3, 9]
    )
    assert full == with_lone


def test_alpha_ignores_how_units_and_values_are_numbered() -> None:
    base = krippendorff_alpha([0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1], [0, 0, 1, 0, 2, 2])
    renamed = krippendorff_alpha(
        [7, 7, 10**9, 10**9, 3, 3], [0, 1, 0, 1, 0, 1], [5.5, 5.5, -1, 5.5, 40, 40]
    )
    assert base == pytest.approx(renamed)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (([0, 0], [0, 1], [1, 2], "ratio"), "level must be one of nominal, ordinal, interval"),
        (([0, 0], [0], [1, 2], "nominal"), "same length"),
        (([0, -2], [0, 1], [1, 2], "nominal"), "units holds -2"),
        (([0, 0], [0, 1], [1, np.nan], "interval"), "NaN"),
        (([], [], [], "nominal"), "must not be empty"),
    ],
)
def test_alpha_rejects_bad_input(arguments: tuple[list[float], ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        krippendorff_alpha(*arguments)  # type: ignore[arg-type]


def test_per_item_agreement_is_the_share_of_agreeing_pairs() -> None:
    units, shares = per_item_agreement([0, 0, 0, 1, 1, 2, 4, 4], [1, 1, 2, 3, 3, 1, 0, 1])
    assert units.tolist() == [0, 1, 4]  # unit 2 has one value
    assert shares.tolist() == pytest.approx([1 / 3, 1.0, 0.0])


# boxes and polygons


def test_box_iou_hand_cases() -> None:
    iou = box_iou([[0, 0, 2, 2]], [[0, 0, 2, 2], [1, 0, 2, 2], [5, 5, 1, 1], [0, 0, 0, 0]])
    assert iou == pytest.approx(np.array([[1.0, 1 / 3, 0.0, 0.0]]))
    assert box_iou([[0, 0, 0, 0]], [[0, 0, 0, 0]]).tolist() == [[0.0]]
    assert box_iou([], [[0, 0, 1, 1]]).shape == (0, 1)


boxes = st.lists(
    st.tuples(*[st.floats(0, 50)] * 2, *[st.floats(0, 20)] * 2).map(list), min_size=1, max_size=6
)


@given(boxes, boxes)
def test_box_iou_is_symmetric_and_between_zero_and_one(
    a: list[list[float]], b: list[list[float]]
) -> None:
    iou = box_iou(a, b)
    assert np.allclose(iou, box_iou(b, a).T)
    assert ((iou >= 0) & (iou <= 1 + 1e-12)).all()


def test_box_iou_rejects_negative_sizes_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match="w >= 0"):
        box_iou([[0, 0, -1, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match=r"\[x, y, w, h\]"):
        box_iou([[0, 0, 1]], [[0, 0, 1, 1]])


def test_polygon_iou_of_rectangles_equals_box_iou() -> None:
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    shifted = [(1, 0), (3, 0), (3, 2), (1, 2)]
    triangle = [(0, 0), (2, 0), (0, 2)]
    iou = polygon_iou([square], [shifted, triangle])
    assert iou == pytest.approx(np.array([[1 / 3, 0.5]]))


def test_polygon_iou_repairs_a_self_intersecting_outline() -> None:
    bow_tie = [(0, 0), (2, 2), (2, 0), (0, 2)]  # two triangles meeting at (1, 1), area 2
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert polygon_iou([bow_tie], [square])[0, 0] == pytest.approx(0.5)


def test_polygon_iou_rejects_too_few_vertices() -> None:
    with pytest.raises(ValueError, match=r"a\[0\] must be at least 3"):
        polygon_iou([[(0, 0), (1, 1)]], [[(0, 0), (1, 0), (0, 1)]])


def test_match_boxes_maximises_total_iou_not_first_come() -> None:
    """Greedy would give a0 its best box b0 (IoU .75) and leave a1 unmatched; the assignment
    matches both."""
    a = [[0, 0, 4, 4], [2, 0, 4, 4]]
    b = [[1, 0, 4, 4], [3, 0, 4, 4]]
    matches = match_boxes(a, b, threshold=0.5)
    assert [(m.a, m.b) for m in matches] == [(0, 0), (1, 1)]
    assert all(isinstance(m, Match) for m in matches)


def test_box_agreement_f1_and_mean_iou() -> None:
    result = box_agreement(
        [[0, 0, 2, 2], [10, 10, 2, 2]], [[0, 0, 2, 2], [1, 0, 2, 2], [20, 20, 1, 1]]
    )
    assert result.f1 == pytest.approx(2 * 1 / 5)
    assert result.mean_iou == pytest.approx(1.0)
    assert box_agreement([], []).f1 == 1.0
    assert box_agreement([], []).mean_iou is None
    assert box_agreement([[0, 0, 1, 1]], []).f1 == 0.0


def test_polygon_agreement_matches_overlapping_outlines() -> None:
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    result = polygon_agreement([square], [square, [(5, 5), (6, 5), (6, 6)]])
    assert result.f1 == pytest.approx(2 / 3)
    assert result.mean_iou == pytest.approx(1.0)


# spans and rankings


def test_span_f1_exact_and_overlap() -> None:
    a = [(0, 5, "PER"), (10, 15, "LOC"), (20, 25, "ORG")]
    b = [(0, 5, "PER"), (11, 15, "LOC"), (20, 25, "PER")]
    result = span_f1(a, b)
    assert result.exact == pytest.approx(1 / 3)
    assert result.overlap == pytest.approx(2 / 3)
    assert span_f1([], []).exact == 1.0
    assert span_f1([(0, 1, "X")], []).overlap == 0.0


def test_span_f1_rejects_empty_or_reversed_spans() -> None:
    with pytest.raises(ValueError, match="0 <= start < end"):
        span_f1([(5, 5, "X")], [])


def test_kendall_tau_matches_scipy_tau_b_with_ties() -> None:
    a, b = [1, 2, 2, 3, 4], [1, 3, 2, 2, 4]
    assert kendall_tau(a, b) == pytest.approx(stats.kendalltau(a, b).statistic)
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None
    assert kendall_tau([1], [1]) is None


# fusion and voting


def test_weighted_box_fusion_clusters_across_annotators() -> None:
    fused = weighted_box_fusion(
        [[[0, 0, 10, 10]], [[2, 0, 10, 10], [50, 50, 5, 5]], [[0, 0, 10, 10]]],
        scores=[[1.0], [3.0, 1.0], [1.0]],
    )
    assert fused.support.tolist() == [3, 1]
    assert fused.confidence.tolist() == pytest.approx([1.0, 1 / 3])
    assert fused.boxes[0].tolist() == pytest.approx([6 / 5, 0, 10, 10])
    assert fused.boxes[1].tolist() == pytest.approx([50, 50, 5, 5])


def test_weighted_box_fusion_keeps_one_box_per_annotator_in_a_cluster() -> None:
    fused = weighted_box_fusion([[[0, 0, 10, 10], [1, 0, 10, 10]], [[0, 0, 10, 10]]])
    assert sorted(fused.support.tolist()) == [1, 2]


def test_weighted_box_fusion_rejects_mismatched_scores() -> None:
    with pytest.raises(ValueError, match="one positive score per box"):
        weighted_box_fusion([[[0, 0, 1, 1]]], scores=[[1.0, 2.0]])


def test_span_vote_keeps_characters_a_share_of_workers_marked() -> None:
    spans = span_vote(
        [
            [(0, 10, "PER")],
            [(2, 10, "PER"), (20, 24, "LOC")],
            [(0, 8, "PER")],
            [],
        ],
        min_share=0.5,
    )
    assert [span[:3] for span in spans] == [(0, 10, "PER")]
    assert spans[0].confidence == pytest.approx((2 * 0.5 + 6 * 0.75 + 2 * 0.5) / 10)
    assert isinstance(spans[0], ConsensusSpan)


def test_span_vote_counts_a_workers_overlapping_spans_once() -> None:
    spans = span_vote([[(0, 5, "X"), (3, 8, "X")], []], min_share=0.6)
    assert spans == []


def test_span_vote_counts_the_workers_behind_each_span() -> None:
    spans = span_vote([[(0, 4, "X")], [(2, 6, "X")], [(3, 4, "X")], [(9, 10, "X")]])
    assert [(span.start, span.end, span.votes) for span in spans] == [(2, 4, 3)]


def test_overlap_off_keeps_the_span_with_more_votes_then_confidence_then_the_earlier() -> None:
    more_votes = [[(0, 6, "A"), (4, 9, "B")], [(0, 6, "A")], [(4, 9, "B")], [(4, 9, "B")]]
    assert [s[:3] for s in span_vote(more_votes, allow_overlap=False)] == [(4, 9, "B")]
    surer = [[(0, 6, "A"), (4, 9, "B")], [(0, 6, "A"), (4, 7, "B")]]
    assert [s[:3] for s in span_vote(surer, min_share=0.5, allow_overlap=False)] == [(0, 6, "A")]
    even = [[(0, 6, "B")], [(4, 10, "A")]]
    assert [s[:3] for s in span_vote(even, allow_overlap=False)] == [(0, 6, "B")]
    assert len(span_vote(even)) == 2


def _answers_without_overlap(length: int) -> st.SearchStrategy[list[tuple[int, int, str]]]:
    """One worker's spans on a text of `length` characters: sorted cut points paired up."""
    cuts = st.lists(st.integers(0, length), unique=True, max_size=8).map(sorted)
    return cuts.flatmap(
        lambda points: st.lists(
            st.sampled_from("ABC"), min_size=len(points) // 2, max_size=len(points) // 2
        ).map(
            lambda labels: [
                (points[2 * k], points[2 * k + 1], labels[k]) for k in range(len(labels))
            ]
        )
    )


@given(
    st.lists(_answers_without_overlap(30), min_size=1, max_size=6),
    st.sampled_from([0.3, 0.5, 0.7, 1.0]),
)
def test_overlap_off_never_overlaps_and_drops_only_weaker_spans(
    answers: list[list[tuple[int, int, str]]], share: float
) -> None:
    every = span_vote(answers, share)
    kept = span_vote(answers, share, allow_overlap=False)
    assert all(a.end <= b.start for a, b in itertools.pairwise(kept))
    assert set(kept) <= set(every)
    for dropped in set(every) - set(kept):
        assert any(
            k.start < dropped.end
            and dropped.start < k.end
            and (k.votes, k.confidence) >= (dropped.votes, dropped.confidence)
            for k in kept
        )
    assert all(share * len(answers) - 1e-9 <= s.votes <= len(answers) for s in every)


def test_span_vote_rejects_bad_share() -> None:
    with pytest.raises(ValueError, match="min_share"):
        span_vote([[(0, 1, "X")]], min_share=0)
