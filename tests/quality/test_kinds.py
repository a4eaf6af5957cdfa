"""Each answer kind's consensus and agreement figures, on hand-made answers: the documented
rules (ties, shares, medoids, Bradley-Terry order) and defined results on degenerate input."""

import pytest

from fairlabel.quality.kinds import Shapes, aggregator_for
from fairlabel.questions import get_question_type


def settings(type_name: str, raw: dict[str, object]) -> object:
    return get_question_type(type_name).parse_settings(raw)


LABELS = settings("multi_label", {"labels": ["a", "b", "c"]})


def test_multi_label_keeps_labels_ticked_by_at_least_half() -> None:
    kind = aggregator_for("categorical_set")
    answers = [(1, ["a", "b"]), (2, ["a"]), (3, ["a", "c"]), (4, ["b"])]
    assert kind.consensus(LABELS, answers) == ["a", "b"]
    by_item = {1: answers, 2: [(1, ["c"]), (2, ["c"])]}
    (answer, confidence) = kind.project(LABELS, "dawid_skene", by_item)[2]
    assert answer == ["c"] and 0 < confidence <= 1
    names = [f.name for f in kind.figures(LABELS, by_item)]
    assert names == [
        "alpha_nominal_mean",
        "alpha_nominal[a]",
        "alpha_nominal[b]",
        "alpha_nominal[c]",
    ]


def test_rating_uses_ordinal_and_interval_alpha() -> None:
    kind = aggregator_for("ordinal")
    scale = settings("rating", {"min": 1, "max": 5})
    by_item = {1: [(1, 5), (2, 4)], 2: [(1, 1), (2, 2)], 3: [(1, 3), (2, 3)]}
    ordinal, interval = kind.figures(scale, by_item)
    assert (ordinal.name, interval.name) == ("alpha_ordinal", "alpha_interval")
    assert ordinal.value is not None and 0.5 < ordinal.value < 1
    assert interval.value is not None and 0.5 < interval.value < 1
    assert kind.consensus(scale, [(1, 4), (2, 2)]) == 2  # a tie goes to the lowest rating


def test_free_text_takes_the_most_common_normalised_answer() -> None:
    kind = aggregator_for("free_text")
    text = settings("text", {})
    answers = [(1, "Hello  World"), (2, "goodbye"), (3, "hello world")]
    assert kind.consensus(text, answers) == "Hello  World"
    assert kind.consensus(text, [(1, "x"), (2, "y")]) == "x"


def test_spans_vote_by_character() -> None:
    kind = aggregator_for("spans")
    spans = settings("span", {"labels": ["PER"]})
    answers = [
        (1, [{"start": 0, "end": 5, "label": "PER"}]),
        (2, [{"start": 0, "end": 4, "label": "PER"}]),
        (3, []),
    ]
    assert kind.consensus(spans, answers) == [{"start": 0, "end": 4, "label": "PER"}]
    exact, overlap = kind.figures(spans, {1: answers})
    assert exact.value == pytest.approx(0.0) and overlap.value == pytest.approx(1 / 3)


def square(x: float, size: float = 10) -> list[list[float]]:
    return [[x, 0], [x + size, 0], [x + size, size], [x, size]]


def test_polygons_cluster_by_iou_and_keep_the_medoid() -> None:
    kind = aggregator_for("polygons")
    shapes = settings("polygon", {"labels": ["cat"]})
    answers = [
        (1, [{"points": square(0), "label": "cat"}]),
        (2, [{"points": square(1), "label": "cat"}]),
        (3, [{"points": square(2), "label": "cat"}, {"points": square(50), "label": "cat"}]),
    ]
    assert kind.consensus(shapes, answers) == [{"points": square(1), "label": "cat"}]
    f1, mean_iou = kind.figures(shapes, {1: answers})
    assert f1.value is not None and mean_iou.value is not None
    assert kind.figures(shapes, {1: answers[:1]})[0].reason  # one annotator: no pairs


def test_shape_support_is_the_share_of_annotators_who_drew_each_object() -> None:
    boxes = aggregator_for("boxes")
    cat = {"x": 0, "y": 0, "width": 10, "height": 10, "label": "cat"}
    dog = {"x": 50, "y": 50, "width": 10, "height": 10, "label": "dog"}
    near = {**cat, "x": 1}
    drawn = [[cat, dog], [near], [near, {**dog, "label": "cat"}]]
    assert isinstance(boxes, Shapes)
    assert boxes.support([cat, dog], drawn) == [1.0, pytest.approx(1 / 3)]
    assert boxes.support([cat], []) == [0.0]
    polygons = aggregator_for("polygons")
    assert isinstance(polygons, Shapes)
    kept = [{"points": square(1), "label": "cat"}]
    given = [[{"points": square(0), "label": "cat"}], [{"points": square(50), "label": "cat"}]]
    assert polygons.support(kept, given) == [0.5]


def test_ranking_by_bradley_terry_with_equal_strengths_tied() -> None:
    kind = aggregator_for("ranking")
    ranking = settings("ranking", {})
    answers = [(1, [["a"], ["b"], ["c"]]), (2, [["a"], ["c"], ["b"]])]
    assert kind.consensus(ranking, answers) == [["a"], ["b", "c"]]
    (tau,) = kind.figures(ranking, {1: answers})
    assert tau.value == pytest.approx(1 / 3)
    all_tied = kind.figures(ranking, {1: [(1, [["a", "b"]]), (2, [["a", "b"]])]})[0]
    assert all_tied.value is None and all_tied.reason


def choices(*picked: str) -> list[tuple[int, dict[str, object]]]:
    return [(worker, {"choice": choice}) for worker, choice in enumerate(picked, start=1)]


def test_pairwise_is_a_vote_over_outcomes_with_its_tally() -> None:
    kind = aggregator_for("pairwise")
    pair = settings("pairwise", {})
    assert kind.consensus(pair, choices("b", "b", "a")) == {
        "choice": "b",
        "strength": None,
        "votes": {"a": 1, "b": 2, "tie": 0, "both_bad": 0},
    }
    assert kind.consensus(pair, choices("both_bad", "both_bad", "tie"))["choice"] == "both_bad"


def test_a_tie_majority_wins() -> None:
    kind = aggregator_for("pairwise")
    pair = settings("pairwise", {})
    assert kind.consensus(pair, choices("tie", "tie", "a"))["choice"] == "tie"


@pytest.mark.parametrize(
    ("picked", "expected"),
    [
        (("a", "b"), "tie"),
        (("a", "b", "tie"), "tie"),
        (("a", "tie"), "tie"),
        (("b", "both_bad"), "both_bad"),
        (("tie", "both_bad"), "tie"),
        (("a", "a", "b", "b", "both_bad"), "tie"),
    ],
)
def test_a_draw_never_picks_a_side(picked: tuple[str, ...], expected: str) -> None:
    kind = aggregator_for("pairwise")
    assert kind.consensus(settings("pairwise", {}), choices(*picked))["choice"] == expected


def test_pairwise_export_figures_name_the_preference_pair() -> None:
    kind = aggregator_for("pairwise")
    pair = settings("pairwise", {"field": "responses"})
    fields = {"responses": [{"id": "r1", "text": "x"}, {"id": "r2", "text": "y"}]}
    for picked, chosen, rejected in [(("b", "b", "a"), "r2", "r1"), (("a",), "r1", "r2")]:
        consensus = kind.consensus(pair, choices(*picked))
        figures = kind.exported(pair, consensus, fields)
        share = consensus["votes"][consensus["choice"]] / len(picked)
        assert figures == {"chosen": chosen, "rejected": rejected, "share": share}
    tied = kind.exported(pair, kind.consensus(pair, choices("tie", "tie", "a")), fields)
    assert tied == {"chosen": None, "rejected": None, "share": pytest.approx(2 / 3)}


def test_spans_without_overlap_keep_the_most_voted() -> None:
    kind = aggregator_for("spans")
    per = {"start": 0, "end": 8, "label": "PER"}
    loc = {"start": 4, "end": 12, "label": "LOC"}
    answers = [(1, [per]), (2, [per, loc]), (3, [loc]), (4, [loc])]
    strict = settings("span", {"labels": ["PER", "LOC"]})
    nested = settings("span", {"labels": ["PER", "LOC"], "allow_overlap": True})
    assert kind.consensus(strict, answers) == [loc]
    assert kind.consensus(nested, answers) == [per, loc]
