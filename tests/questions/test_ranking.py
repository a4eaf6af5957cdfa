from typing import Any

import pytest

from fairlabel.errors import ValidationFailed

from ._helpers import check, rejects, settings_rejected

FIELDS = {"responses": [{"id": "a", "text": "…"}, {"id": "b", "text": "…"}, {"id": "c"}]}


def test_tiers_are_accepted_best_first() -> None:
    assert check("ranking", {}, [["b"], ["a", "c"]], FIELDS) == [["b"], ["a", "c"]]


def test_plain_candidates_are_named_by_index() -> None:
    fields = {"responses": ["first answer", "second answer"]}
    assert check("ranking", {}, [["1"], ["0"]], fields) == [["1"], ["0"]]


def test_dicts_without_a_string_id_fall_back_to_the_index() -> None:
    fields = {"responses": [{"id": "x"}, {"id": 7}, {"text": "no id"}]}
    assert check("ranking", {}, [["x", "1", "2"]], fields) == [["x", "1", "2"]]


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ("a>b>c", "", "a list of tiers"),
        (["a", "b", "c"], "[0]", "a list of candidate ids"),
        ([["a"], [], ["b", "c"]], "[1]", "a non-empty tier"),
        ([["a", "d"], ["b", "c"]], "[0][1]", "one of the candidate ids: a, b, c"),
        ([["a", 1], ["b", "c"]], "[0][1]", "one of the candidate ids"),
        ([["a"], ["b", "a"], ["c"]], "[1][1]", "each candidate once ('a' is also answers.q[0][0])"),
        ([["a", "a"], ["b", "c"]], "[0][1]", "each candidate once"),
        ([["a"], ["c"]], "", "every candidate ranked; missing: b"),
        ([], "", "missing: a, b, c"),
    ],
)
def test_bad_rankings_are_rejected(answer: Any, field: str, expected: str) -> None:
    rejects("ranking", {}, answer, field, expected, FIELDS)


def test_ties_can_be_forbidden() -> None:
    settings = {"allow_ties": False}
    assert check("ranking", settings, [["c"], ["a"], ["b"]], FIELDS) == [["c"], ["a"], ["b"]]
    rejects("ranking", settings, [["b"], ["a", "c"]], "[1]", "a single candidate per tier", FIELDS)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "the item to have a field 'responses'"),
        ({"responses": "a, b"}, "a list of candidates"),
        ({"responses": [{"id": "1"}, "x"]}, "distinct ids"),
    ],
)
def test_the_item_must_hold_candidates(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        check("ranking", {}, [], fields)
    assert info.value.field == "item.fields.responses"
    assert info.value.expected is not None and expected in info.value.expected


def test_bad_settings() -> None:
    settings_rejected("ranking", {"allow_ties": 1}, ".allow_ties", "a valid boolean")
    settings_rejected("ranking", {"labels": ["a"]}, ".labels", "one of the settings: field")
