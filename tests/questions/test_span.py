import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlabel.errors import ValidationFailed

from ._helpers import PATH, check, rejects, settings_rejected

TEXT = "Ada Lovelace met Charles Babbage in London."
FIELDS = {"text": TEXT}
SETTINGS = {"labels": ["PER", "LOC"]}


def span(start: Any, end: Any, label: str = "PER", **extra: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, **extra}


def test_spans_are_sorted_and_carry_their_text() -> None:
    answer = [span(36, 42, "LOC"), span(0, 12), span(17, 32)]
    assert check("span", SETTINGS, answer, FIELDS) == [
        {"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"},
        {"start": 17, "end": 32, "label": "PER", "text": "Charles Babbage"},
        {"start": 36, "end": 42, "label": "LOC", "text": "London"},
    ]


def test_a_matching_text_is_accepted_and_float_offsets_normalised() -> None:
    result = check("span", SETTINGS, [span(0.0, 3.0, text="Ada")], FIELDS)
    assert result == [{"start": 0, "end": 3, "label": "PER", "text": "Ada"}]


def test_offsets_count_characters_not_bytes() -> None:
    result = check("span", SETTINGS, [span(3, 6)], {"text": "日本 Ada!"})
    assert result[0]["text"] == "Ada"


def test_the_text_field_is_configurable() -> None:
    settings = {**SETTINGS, "field": "body"}
    assert check("span", settings, [], {"body": "x"}) == []


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ({"start": 0}, "", "a list of spans"),
        (["x"], "[0]", "an object with keys start, end, label"),
        ([{"start": 0, "label": "PER"}], "[0].end", "a value"),
        ([span(0, 3, colour="red")], "[0].colour", "no such key"),
        ([span("0", 3)], "[0].start", "an integer"),
        ([span(0, 2.5)], "[0].end", "an integer"),
        ([span(-1, 3)], "[0].start", "an offset >= 0"),
        ([span(5, 5)], "[0].end", "greater than start (5)"),
        ([span(5, 2)], "[0].end", "greater than start (5)"),
        ([span(0, 3), span(40, 44)], "[1].end", "<= 43 (the length of item.fields.text)"),
        ([span(0, 3, "ORG")], "[0].label", "one of: PER, LOC"),
        ([span(0, 3, text="Bob")], "[0].text", "the text at [0:3], 'Ada'"),
        ([span(0, 12), span(4, 20)], "[1]", "no overlap with answers.q[0]"),
        ([span(4, 20), span(0, 12)], "[0]", "no overlap with answers.q[1]"),
        ([span(0, 30), span(2, 5), span(10, 12)], "[1]", "no overlap with answers.q[0]"),
    ],
)
def test_bad_spans_are_rejected(answer: Any, field: str, expected: str) -> None:
    rejects("span", SETTINGS, answer, field, expected, FIELDS)


def test_overlap_is_allowed_when_configured_but_duplicates_never() -> None:
    settings = {**SETTINGS, "allow_overlap": True}
    result = check("span", settings, [span(4, 20, "LOC"), span(0, 12)], FIELDS)
    assert [(s["start"], s["end"]) for s in result] == [(0, 12), (4, 20)]
    answer = [span(0, 3), span(0, 3, "LOC"), span(0, 3)]
    rejects("span", settings, answer, "[2]", "no duplicate spans", FIELDS)


def test_adjacent_spans_do_not_overlap() -> None:
    assert len(check("span", SETTINGS, [span(0, 3), span(3, 6)], FIELDS)) == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({}, "the item to have a field 'text'"), ({"text": ["a"]}, "a string")],
)
def test_the_item_must_have_text(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        check("span", SETTINGS, [], fields)
    assert info.value.field == "item.fields.text"
    assert info.value.expected is not None and expected in info.value.expected


def test_bad_settings() -> None:
    settings_rejected("span", {"labels": ["A"], "field": ""}, ".field", "at least 1 character")
    settings_rejected("span", {"labels": ["A", "A"]}, ".labels[1]", "unique")


@given(text=st.text(max_size=40), data=st.data())
def test_spans_inside_the_text_round_trip(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, max(len(text) - 1, 0)))
    end = data.draw(st.integers(start + 1, max(len(text), start + 1)))
    if end > len(text):
        return
    result = check("span", SETTINGS, [span(start, end)], {"text": text})
    assert result == [{"start": start, "end": end, "label": "PER", "text": text[start:end]}]


@given(text=st.text(max_size=40), start=st.integers(-5, 60), end=st.integers(-5, 60))
def test_spans_are_accepted_exactly_when_inside_the_text(text: str, start: int, end: int) -> None:
    inside = 0 <= start < end <= len(text)
    try:
        check("span", SETTINGS, [span(start, end)], {"text": text})
    except ValidationFailed as error:
        assert not inside
        assert error.field in (f"{PATH}[0].start", f"{PATH}[0].end")
    else:
        assert inside


@given(
    bounds=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 10)), max_size=6),
)
def test_non_overlapping_spans_pass_and_overlapping_ones_fail(
    bounds: list[tuple[int, int]],
) -> None:
    spans = [span(start, start + length) for start, length in bounds]
    ordered = sorted((s["start"], s["end"]) for s in spans)
    overlapping = any(b[0] < a[1] for a, b in itertools.pairwise(ordered))
    try:
        result = check("span", SETTINGS, spans, {"text": "x" * 40})
    except ValidationFailed as error:
        assert overlapping
        assert error.expected is not None
        assert "overlap" in error.expected or "duplicate" in error.expected
    else:
        assert not overlapping
        assert [(s["start"], s["end"]) for s in result] == ordered
