from typing import Any

import pytest

from ._helpers import check, rejects, settings_rejected

LABELS = ["violence", "sexual", "hate", "self_harm"]


def test_answers_are_normalised_to_the_order_of_labels() -> None:
    assert check("multi_label", {"labels": LABELS}, ["self_harm", "violence", "hate"]) == [
        "violence",
        "hate",
        "self_harm",
    ]


def test_an_empty_selection_is_allowed_by_default() -> None:
    assert check("multi_label", {"labels": LABELS}, []) == []


def test_a_tuple_is_accepted_as_a_list() -> None:
    assert check("multi_label", {"labels": LABELS}, ("hate",)) == ["hate"]


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ("hate", "", "a list of labels"),
        ({"hate": True}, "", "a list of labels"),
        (["hate", "spam"], "[1]", "one of: violence, sexual"),
        (["hate", 3], "[1]", "one of:"),
        (["hate", "sexual", "hate"], "[2]", "distinct labels ('hate' is also answers.q[0])"),
    ],
)
def test_bad_selections_are_rejected(answer: Any, field: str, expected: str) -> None:
    rejects("multi_label", {"labels": LABELS}, answer, field, expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [([], "between 1 and 2 labels"), (["hate", "sexual", "violence"], "between 1 and 2")],
)
def test_the_count_must_be_within_bounds(answer: list[str], expected: str) -> None:
    settings = {"labels": LABELS, "min_selected": 1, "max_selected": 2}
    rejects("multi_label", settings, answer, "", expected)


def test_a_minimum_without_maximum_says_at_least() -> None:
    rejects("multi_label", {"labels": LABELS, "min_selected": 2}, ["hate"], "", "at least 2")


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"labels": LABELS, "min_selected": -1}, ".min_selected", "greater than or equal to 0"),
        ({"labels": LABELS, "min_selected": 5}, ".min_selected", "number of labels (4)"),
        (
            {"labels": LABELS, "min_selected": 3, "max_selected": 2},
            ".max_selected",
            "at least min_selected (3)",
        ),
        ({"labels": LABELS, "max_selected": 0}, ".max_selected", "greater than or equal to 1"),
        ({"labels": ["a", "a"]}, ".labels[1]", "unique"),
    ],
)
def test_bad_settings(settings: dict[str, Any], field: str, expected: str) -> None:
    settings_rejected("multi_label", settings, field, expected)
