"""Shorthand for running one question type the way a submission does."""

from __future__ import annotations

from typing import Any

import pytest

from fairlabel.errors import ValidationFailed
from fairlabel.questions import get_question_type

PATH = "answers.q"


def check(type_name: str, settings: dict[str, Any], answer: Any, fields: Any = None) -> Any:
    """Parse the settings and validate one answer under the path `answers.q`."""
    question_type = get_question_type(type_name)
    parsed = question_type.parse_settings(settings, question="q")
    return question_type.validate_answer(parsed, answer, fields or {}, PATH)


def rejects(
    type_name: str,
    settings: dict[str, Any],
    answer: Any,
    field: str,
    expected: str,
    fields: Any = None,
) -> ValidationFailed:
    """Assert the answer fails at `field` (relative to the answer) and `expected` says why."""
    with pytest.raises(ValidationFailed) as info:
        check(type_name, settings, answer, fields)
    error = info.value
    assert error.field == PATH + field
    assert error.expected is not None and expected in error.expected
    assert error.field in error.message
    return error


def settings_rejected(type_name: str, settings: Any, field: str, expected: str) -> None:
    """Assert settings fail at `questions[q].settings<field>` with `expected` in the reason."""
    with pytest.raises(ValidationFailed) as info:
        get_question_type(type_name).parse_settings(settings, question="q")
    error = info.value
    assert error.field == "questions[q].settings" + field
    assert error.expected is not None and expected in error.expected
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
