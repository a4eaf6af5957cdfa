"""Checking a whole submission, and a question definition before a project stores it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
from pydantic import BaseModel

from fairlabel.errors import ValidationFailed
from fairlabel.questions.base import fail, one_of
from fairlabel.questions.registry import get_question_type

#: (name, type, settings, required), the shape a project's questions are passed in.
QuestionSpec = tuple[str, str, dict[str, Any], bool]

#: Names become answer keys and field paths, so they keep to characters that read well there.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def validate_question_definition(name: Any, type: Any, settings: Any) -> dict[str, Any]:
    """Normalised settings (defaults filled in) to store, or an error naming the bad setting."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        fail(
            "name",
            name,
            "1 to 64 letters, digits, '_' or '-', starting with a letter or '_'",
        )
    parsed = get_question_type(type).parse_settings(settings, question=name)
    return parsed.model_dump(mode="json")


def validate_answers(
    questions: Sequence[QuestionSpec], answers: Any, fields: dict[str, Any]
) -> dict[str, Any]:
    """Normalised answers for one item; every bad answer is listed, the first one headlines."""
    if not isinstance(answers, dict):
        fail("answers", answers, "an object mapping question names to answers")
    _reject_unknown_keys(questions, answers)
    result: dict[str, Any] = {}
    errors: list[ValidationFailed] = []
    for name, type_name, settings, required in questions:
        path = f"answers.{name}"
        answer = answers.get(name)
        try:
            if answer is None:
                if required:
                    fail(path, None, "an answer (this question is required)")
                continue
            question_type = get_question_type(type_name)
            parsed = _parsed_settings(type_name, name, settings)
            result[name] = question_type.validate_answer(parsed, answer, fields, path)
        except ValidationFailed as exc:
            errors.append(exc)
    if errors:
        raise _combined(errors)
    return result


def score_answers(
    questions: Sequence[QuestionSpec], answers: dict[str, Any], expected: dict[str, Any]
) -> dict[str, float]:
    """Each question the known answers cover, scored 0 to 1 by its type; a question the
    worker left unanswered scores 0. Both sides must be normalised (validated) answers."""
    scores: dict[str, float] = {}
    for name, type_name, settings, _required in questions:
        if name not in expected:
            continue
        answer = answers.get(name)
        if answer is None:
            scores[name] = 0.0
            continue
        parsed = _parsed_settings(type_name, name, settings)
        scores[name] = get_question_type(type_name).score(parsed, answer, expected[name])
    return scores


def _reject_unknown_keys(questions: Sequence[QuestionSpec], answers: dict[str, Any]) -> None:
    """An answer to no question is a client bug (or a renamed question): never drop it silently."""
    names = {spec[0] for spec in questions}
    for key in answers:
        if key not in names:
            fail(
                f"answers.{key}",
                key,
                one_of([spec[0] for spec in questions], "one of the project's questions"),
            )


def _parsed_settings(type_name: str, name: str, settings: Any) -> BaseModel:
    """Settings are parsed once and reused: keyed by their canonical JSON, which is cheap."""
    try:
        key = orjson.dumps(settings, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return get_question_type(type_name).parse_settings(settings, question=name)
    return _parse_cached(type_name, name, key)


@lru_cache(maxsize=4096)
def _parse_cached(type_name: str, name: str, key: bytes) -> BaseModel:
    parsed: BaseModel = get_question_type(type_name).parse_settings(
        orjson.loads(key), question=name
    )
    return parsed


def _combined(errors: list[ValidationFailed]) -> ValidationFailed:
    """The first error's field and value, with all of them in details for the form to show."""
    if len(errors) == 1:
        return errors[0]
    return summarised(
        f"{len(errors)} answers are invalid; first: ", errors, [error_detail(e) for e in errors]
    )


def error_detail(error: ValidationFailed) -> dict[str, Any]:
    """One error as an entry of another's `details`."""
    return {
        "field": error.field,
        "value": error.value,
        "expected": error.expected,
        "message": error.message,
    }


def summarised(
    lead: str, errors: Sequence[ValidationFailed], details: list[dict[str, Any]]
) -> ValidationFailed:
    """Several errors as one: the first one's field and value headline, all are listed."""
    first = errors[0]
    return ValidationFailed(
        lead + first.message,
        field=first.field,
        value=first.value,
        expected=first.expected,
        details=details,
    )
