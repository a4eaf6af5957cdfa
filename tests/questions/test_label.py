from typing import Any

import pytest

from ._helpers import check, rejects, settings_rejected

SETTINGS = {"labels": ["positive", "negative", "neutral"]}


def test_a_label_is_accepted_as_is() -> None:
    assert check("label", SETTINGS, "negative") == "negative"


@pytest.mark.parametrize("answer", ["happy", "Positive", "", 1, None, ["positive"], True])
def test_anything_but_a_listed_label_is_rejected(answer: Any) -> None:
    error = rejects("label", SETTINGS, answer, "", "one of: positive, negative, neutral")
    assert error.value == answer


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"labels": []}, ".labels", "non-empty"),
        ({"labels": ["a", "b", "a"]}, ".labels[2]", "unique labels ('a' is also labels[0])"),
        ({"labels": ["a", "  "]}, ".labels[1]", "non-blank"),
        ({"labels": ["a", 3]}, ".labels[1]", "a valid string"),
        ({"labels": "a,b"}, ".labels", "a valid list"),
        ({}, ".labels", "required"),
        ({"labels": ["a"], "colour": "red"}, ".colour", "one of the settings: labels"),
    ],
)
def test_bad_settings_name_the_setting(settings: Any, field: str, expected: str) -> None:
    settings_rejected("label", settings, field, expected)


def test_settings_must_be_an_object() -> None:
    settings_rejected("label", ["a"], "", "an object of settings")


def test_long_label_lists_are_summarised_in_errors() -> None:
    labels = [f"l{i}" for i in range(100)]
    error = rejects("label", {"labels": labels}, "x", "", "one of: l0, l1")
    assert error.expected is not None and "(100 in all)" in error.expected
