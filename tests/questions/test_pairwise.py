from typing import Any

import pytest

from fairlabel.errors import ValidationFailed

from ._helpers import check, rejects, settings_rejected

FIELDS = {"responses": [{"id": "r1", "text": "…"}, {"id": "r2", "text": "…"}]}
GRADED = {"strength_levels": 3}


@pytest.mark.parametrize("choice", ["a", "b", "tie", "both_bad"])
def test_every_choice_is_allowed_by_default(choice: str) -> None:
    assert check("pairwise", {}, {"choice": choice}, FIELDS) == {"choice": choice, "strength": None}


def test_an_explicit_null_strength_is_fine_without_levels() -> None:
    assert check("pairwise", {}, {"choice": "a", "strength": None}, FIELDS)["strength"] is None


@pytest.mark.parametrize(("strength", "stored"), [(1, 1), (3, 3), (2.0, 2)])
def test_strength_is_kept_when_asked(strength: Any, stored: int) -> None:
    answer = {"choice": "b", "strength": strength}
    assert check("pairwise", GRADED, answer, FIELDS) == {"choice": "b", "strength": stored}


def test_a_tie_needs_no_strength_even_when_levels_are_asked() -> None:
    assert check("pairwise", GRADED, {"choice": "tie"}, FIELDS) == {
        "choice": "tie",
        "strength": None,
    }


@pytest.mark.parametrize(
    ("settings", "answer", "field", "expected"),
    [
        ({}, "a", "", "an object with keys choice"),
        ({}, {}, ".choice", "a value"),
        ({}, {"choice": "a", "why": "x"}, ".why", "no such key"),
        ({}, {"choice": "c"}, ".choice", "one of: a, b, tie, both_bad"),
        ({}, {"choice": ["a"]}, ".choice", "one of: a, b"),
        ({"allow_tie": False}, {"choice": "tie"}, ".choice", "one of: a, b, both_bad"),
        ({"allow_both_bad": False}, {"choice": "both_bad"}, ".choice", "one of: a, b, tie"),
        ({}, {"choice": "a", "strength": 2}, ".strength", "no strength (strength_levels is 0)"),
        (GRADED, {"choice": "a"}, ".strength", "an integer from 1 to 3"),
        (GRADED, {"choice": "a", "strength": 4}, ".strength", "an integer from 1 to 3"),
        (GRADED, {"choice": "a", "strength": 0}, ".strength", "an integer from 1 to 3"),
        (GRADED, {"choice": "a", "strength": True}, ".strength", "an integer"),
        (GRADED, {"choice": "a", "strength": 1.5}, ".strength", "an integer"),
        (GRADED, {"choice": "tie", "strength": 1}, ".strength", "no strength (choice is 'tie')"),
    ],
)
def test_bad_choices_are_rejected(
    settings: dict[str, Any], answer: Any, field: str, expected: str
) -> None:
    rejects("pairwise", settings, answer, field, expected, FIELDS)


@pytest.mark.parametrize("responses", [[{"id": "a"}], ["x", "y", "z"], []])
def test_the_item_must_hold_exactly_two_candidates(responses: list[Any]) -> None:
    with pytest.raises(ValidationFailed) as info:
        check("pairwise", {}, {"choice": "a"}, {"responses": responses})
    assert info.value.field == "item.fields.responses"
    assert info.value.expected is not None and "exactly 2 candidates" in info.value.expected


def test_bad_settings() -> None:
    settings_rejected(
        "pairwise", {"strength_levels": -1}, ".strength_levels", "greater than or equal to 0"
    )
    settings_rejected("pairwise", {"allow_tie": "no"}, ".allow_tie", "a valid boolean")
