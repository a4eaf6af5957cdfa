from typing import Any

import pytest

from ._helpers import check, rejects, settings_rejected


def test_text_is_returned_unchanged() -> None:
    assert check("text", {}, "  two\nlines ") == "  two\nlines "


def test_length_is_counted_in_characters_not_bytes() -> None:
    assert check("text", {"max_length": 3}, "日本語") == "日本語"


@pytest.mark.parametrize("answer", [3, None, ["a"], b"bytes"])
def test_non_strings_are_rejected(answer: Any) -> None:
    rejects("text", {}, answer, "", "a string")


@pytest.mark.parametrize(("answer", "expected"), [("ab", "got 2"), ("abcdef", "got 6")])
def test_length_bounds_are_enforced(answer: str, expected: str) -> None:
    rejects("text", {"min_length": 3, "max_length": 5}, answer, "", expected)


@pytest.mark.parametrize("answer", ["a\nb", "a\r\nb"])
def test_single_line_questions_reject_newlines(answer: str) -> None:
    rejects("text", {"multiline": False}, answer, "", "a single line")


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"min_length": 10, "max_length": 5}, ".min_length", "at most max_length (5)"),
        ({"min_length": -1}, ".min_length", "greater than or equal to 0"),
        ({"max_length": 0}, ".max_length", "greater than or equal to 1"),
        ({"multiline": "yes"}, ".multiline", "a valid boolean"),
    ],
)
def test_bad_settings(settings: dict[str, Any], field: str, expected: str) -> None:
    settings_rejected("text", settings, field, expected)
