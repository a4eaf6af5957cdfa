"""How each question type scores an answer against a known (gold) one: hand-computed cases."""

import math
from typing import Any

import pytest

from fairlabel.questions import get_question_type, question_type_names, score_answers
from fairlabel.questions.geometry import polygon_iou, triangulate

from ._helpers import check

LABELS = {"labels": ["cat", "dog", "bird"]}
TEXT = {"text": "Alice met Bob in Paris."}
IMAGE = {"image": {"url": "x.png", "width": 100, "height": 100}}
PAIR = {"responses": [{"id": "a"}, {"id": "b"}]}
THREE = {"responses": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}


def score(
    type_name: str, settings: dict[str, Any], answer: Any, expected: Any, fields: Any = None
) -> float:
    """Validate both sides as a submission would, then score."""
    question_type = get_question_type(type_name)
    parsed = question_type.parse_settings(settings, question="q")
    mine, known = (
        check(type_name, settings, answer, fields),
        check(type_name, settings, expected, fields),
    )
    return question_type.score(parsed, mine, known)


def box(x: float, y: float, w: float, h: float, label: str = "cat") -> dict[str, Any]:
    return {"x": x, "y": y, "width": w, "height": h, "label": label}


def square(x: float, y: float, side: float, label: str = "cat") -> dict[str, Any]:
    points = [[x, y], [x + side, y], [x + side, y + side], [x, y + side]]
    return {"points": points, "label": label}


def test_every_registered_type_scores() -> None:
    for name in question_type_names():
        assert callable(get_question_type(name).score)


@pytest.mark.parametrize(
    ("answer", "expected", "result"), [("cat", "cat", 1.0), ("dog", "cat", 0.0)]
)
def test_label_is_exact(answer: str, expected: str, result: float) -> None:
    assert score("label", LABELS, answer, expected) == result


@pytest.mark.parametrize(("answer", "result"), [(4, 1.0), (5, 0.0), (3, 0.0)])
def test_rating_is_exact_with_no_credit_for_a_near_miss(answer: int, result: float) -> None:
    assert score("rating", {"min": 1, "max": 5}, answer, 4) == result


@pytest.mark.parametrize(
    ("answer", "expected", "result"),
    [
        (["cat", "dog"], ["cat", "dog"], 1.0),
        (["cat"], ["cat", "dog"], 0.5),  # 1 shared of 2 in the union
        (["cat", "bird"], ["cat", "dog"], 1 / 3),
        (["bird"], ["cat"], 0.0),
        ([], [], 1.0),
        ([], ["cat"], 0.0),
    ],
)
def test_multi_label_is_jaccard(answer: list[str], expected: list[str], result: float) -> None:
    assert score("multi_label", LABELS, answer, expected) == pytest.approx(result)


@pytest.mark.parametrize(
    ("answer", "result"),
    [("The  cat\nsat ", 1.0), ("the cat sat", 1.0), ("THE CAT SAT", 1.0), ("the cat sits", 0.0)],
)
def test_text_matches_after_case_and_whitespace_are_normalised(answer: str, result: float) -> None:
    assert score("text", {}, answer, "The cat sat") == result


SPAN = {"labels": ["PER", "LOC"]}


def span(start: int, end: int, label: str) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ([span(0, 5, "PER"), span(17, 22, "LOC")], 1.0),
        # "Alic" (4 chars) against "Alice" (5) and the same LOC: 2*9 / (9 + 10)
        ([span(0, 4, "PER"), span(17, 22, "LOC")], 18 / 19),
        # right place, wrong label for Paris: 2*5 / (10 + 10)
        ([span(0, 5, "PER"), span(17, 22, "PER")], 0.5),
        ([], 0.0),
    ],
)
def test_span_is_overlap_f1_over_labelled_characters(answer: list[Any], result: float) -> None:
    expected = [span(0, 5, "PER"), span(17, 22, "LOC")]
    assert score("span", SPAN, answer, expected, TEXT) == pytest.approx(result)


def test_no_spans_where_gold_has_none_scores_one() -> None:
    assert score("span", SPAN, [], [], TEXT) == 1.0


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ([box(10, 10, 20, 20)], 1.0),
        # shifted by 5: overlap 15*20 = 300, union 800 - 300 = 500, IoU 0.6 >= 0.5
        ([box(15, 10, 20, 20)], 1.0),
        # shifted by 10: overlap 200, union 600, IoU 1/3 < 0.5: no match
        ([box(20, 10, 20, 20)], 0.0),
        ([box(10, 10, 20, 20, "dog")], 0.0),
        # one match, one extra box: 2*1 / (2 + 1)
        ([box(10, 10, 20, 20), box(60, 60, 10, 10)], 2 / 3),
        ([], 0.0),
    ],
)
def test_bbox_is_f1_of_iou_matches(answer: list[Any], result: float) -> None:
    expected = [box(10, 10, 20, 20)]
    assert score("bbox", LABELS | {"field": "image"}, answer, expected, IMAGE) == pytest.approx(
        result
    )


def test_each_box_matches_at_most_once() -> None:
    expected = [box(10, 10, 20, 20), box(12, 10, 20, 20)]
    # two answers on the first, nothing near the second's twin: the best pairs match one to one
    answer = [box(10, 10, 20, 20), box(11, 10, 20, 20)]
    assert score("bbox", LABELS, answer, expected, IMAGE) == 1.0
    assert score("bbox", LABELS, [box(10, 10, 20, 20)], expected, IMAGE) == pytest.approx(2 / 3)


def test_no_boxes_where_gold_has_none_scores_one() -> None:
    assert score("bbox", LABELS, [], [], IMAGE) == 1.0


def test_polygon_iou_of_offset_squares() -> None:
    # two 10x10 squares overlapping in a 5x10 strip: 50 / (200 - 50)
    assert polygon_iou(square(0, 0, 10), square(5, 0, 10)) == pytest.approx(1 / 3)
    assert polygon_iou(square(0, 0, 10), square(20, 0, 10)) == 0.0


def test_polygon_iou_of_a_concave_outline_is_exact() -> None:
    # An L of area 300 (a 20x20 square less its top-right 10x10) against the 20x20 square.
    ell = {"points": [[0, 0], [20, 0], [20, 10], [10, 10], [10, 20], [0, 20]], "label": "cat"}
    assert sum(abs(_area(t)) for t in triangulate([tuple(p) for p in ell["points"]])) == 300
    assert polygon_iou(ell, square(0, 0, 20)) == pytest.approx(300 / 400)
    # the missing corner itself does not overlap the L at all
    assert polygon_iou(ell, square(10, 10, 10)) == pytest.approx(0.0)


def _area(t: list[tuple[float, float]]) -> float:
    (ax, ay), (bx, by), (cx, cy) = t
    return ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) / 2


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ([square(10, 10, 20)], 1.0),
        ([square(15, 10, 20)], 1.0),  # IoU 0.6
        ([square(20, 10, 20)], 0.0),  # IoU 1/3
        ([], 0.0),
    ],
)
def test_polygon_is_f1_of_iou_matches(answer: list[Any], result: float) -> None:
    assert score("polygon", LABELS, answer, [square(10, 10, 20)], IMAGE) == result


def test_no_polygons_where_gold_has_none_scores_one() -> None:
    assert score("polygon", LABELS, [], [], IMAGE) == 1.0


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ([["a"], ["b"], ["c"]], 1.0),
        ([["c"], ["b"], ["a"]], 0.0),
        # one discordant pair of three: tau = 1/3
        ([["b"], ["a"], ["c"]], 2 / 3),
        # a and b tied: tau-b = 2 / sqrt(2 * 3)
        ([["a", "b"], ["c"]], (2 / math.sqrt(6) + 1) / 2),
        # everything tied: tau-b undefined, no correlation
        ([["a", "b", "c"]], 0.5),
    ],
)
def test_ranking_is_kendall_tau_b_mapped_to_unit(answer: list[Any], result: float) -> None:
    got = score("ranking", {}, answer, [["a"], ["b"], ["c"]], THREE)
    assert got == pytest.approx(result)


def test_two_rankings_of_all_ties_agree() -> None:
    assert score("ranking", {}, [["a", "b", "c"]], [["a", "b", "c"]], THREE) == 1.0


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ({"choice": "a", "strength": 1}, 1.0),
        ({"choice": "a", "strength": 3}, 1.0),
        ({"choice": "b", "strength": 3}, 0.0),
        ({"choice": "tie"}, 0.0),
    ],
)
def test_pairwise_is_the_choice(answer: dict[str, Any], result: float) -> None:
    settings = {"strength_levels": 3}
    assert score("pairwise", settings, answer, {"choice": "a", "strength": 3}, PAIR) == result


def test_score_answers_covers_the_questions_gold_answers() -> None:
    questions = [
        ("kind", "label", LABELS, True),
        ("tags", "multi_label", LABELS, False),
        ("note", "text", {}, False),
    ]
    scores = score_answers(questions, {"kind": "cat"}, {"kind": "cat", "tags": ["dog"]})
    # tags unanswered scores 0; note has no gold answer and is not scored
    assert scores == {"kind": 1.0, "tags": 0.0}
