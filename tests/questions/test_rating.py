from typing import Any

import pytest

from ._helpers import check, rejects, settings_rejected


@pytest.mark.parametrize(("answer", "stored"), [(1, 1), (5, 5), (3.0, 3)])
def test_integers_on_the_scale_are_accepted(answer: Any, stored: int) -> None:
    result = check("rating", {}, answer)
    assert result == stored and type(result) is int


@pytest.mark.parametrize("answer", [3.5, True, False, "3", None, [3], float("nan"), float("inf")])
def test_non_integers_are_rejected(answer: Any) -> None:
    rejects("rating", {}, answer, "", "an integer")


@pytest.mark.parametrize("answer", [0, 6, -1, 100])
def test_values_off_the_scale_are_rejected(answer: int) -> None:
    rejects("rating", {}, answer, "", "an integer from 1 to 5")


def test_a_custom_scale_is_respected() -> None:
    assert check("rating", {"min": 0, "max": 10}, 0) == 0
    rejects("rating", {"min": 0, "max": 10}, 11, "", "from 0 to 10")


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"min": 5, "max": 5}, ".min", "less than max (5)"),
        ({"min": 7, "max": 2}, ".min", "less than max (2)"),
        ({"min": 1.5}, ".min", "a valid integer"),
        ({"max": True}, ".max", "a valid integer"),
    ],
)
def test_bad_scales_are_rejected(settings: dict[str, Any], field: str, expected: str) -> None:
    settings_rejected("rating", settings, field, expected)
