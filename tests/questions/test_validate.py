from typing import Any

import pytest

from fairlabel.errors import ValidationFailed
from fairlabel.questions import QuestionSpec, validate_answers, validate_question_definition

QUESTIONS: list[QuestionSpec] = [
    ("sentiment", "label", {"labels": ["pos", "neg"]}, True),
    ("quality", "rating", {"min": 1, "max": 7}, False),
    ("boxes", "bbox", {"labels": ["car"]}, False),
]
FIELDS = {"text": "hi", "image": {"src": "/api/m/1", "width": 10, "height": 10}}


def failure(answers: Any, questions: list[QuestionSpec] = QUESTIONS) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate_answers(questions, answers, FIELDS)
    return info.value


def test_a_good_submission_is_normalised() -> None:
    answers = {"sentiment": "pos", "quality": 4.0, "boxes": []}
    assert validate_answers(QUESTIONS, answers, FIELDS) == {
        "sentiment": "pos",
        "quality": 4,
        "boxes": [],
    }


def test_optional_questions_may_be_left_out_or_null() -> None:
    answers = {"sentiment": "neg", "quality": None}
    assert validate_answers(QUESTIONS, answers, FIELDS) == {"sentiment": "neg"}


def test_unknown_keys_are_rejected() -> None:
    error = failure({"sentiment": "pos", "sentimnet": "neg"})
    assert error.field == "answers.sentimnet"
    assert error.value == "sentimnet"
    assert error.expected == "one of the project's questions: sentiment, quality, boxes"


@pytest.mark.parametrize("answers", [{}, {"sentiment": None}, {"quality": 3}])
def test_required_answers_must_be_given(answers: dict[str, Any]) -> None:
    error = failure(answers)
    assert error.field == "answers.sentiment"
    assert error.expected is not None and "required" in error.expected


def test_answers_must_be_an_object() -> None:
    assert failure([["sentiment", "pos"]]).field == "answers"


def test_each_answer_error_is_named_under_its_question() -> None:
    error = failure({"sentiment": "pos", "boxes": [{"x": 0, "y": 0, "width": 11, "height": 1}]})
    assert error.field == "answers.boxes[0].label"


def test_every_bad_answer_is_listed_and_the_first_headlines() -> None:
    error = failure({"sentiment": "meh", "quality": 9})
    assert error.field == "answers.sentiment"
    assert [d["field"] for d in error.details] == ["answers.sentiment", "answers.quality"]
    assert all(d["expected"] for d in error.details)


def test_bad_stored_settings_surface_with_their_path() -> None:
    questions: list[QuestionSpec] = [("q", "rating", {"min": 3, "max": 3}, True)]
    error = failure({"q": 3}, questions)
    assert error.field == "questions[q].settings.min"


def test_an_unknown_stored_type_is_reported() -> None:
    error = failure({"q": 1}, [("q", "slider", {}, True)])
    assert error.field == "type"


def test_settings_that_are_not_json_still_validate() -> None:
    questions: list[QuestionSpec] = [("q", "label", {"labels": ["a"], "x": object()}, True)]
    assert failure({"q": "a"}, questions).field == "questions[q].settings.x"


def test_repeated_validation_reuses_parsed_settings() -> None:
    from fairlabel.questions.validate import _parse_cached

    _parse_cached.cache_clear()
    for _ in range(5):
        validate_answers(QUESTIONS, {"sentiment": "pos", "quality": 2, "boxes": []}, FIELDS)
    assert _parse_cached.cache_info().misses == 3


def test_a_definition_is_stored_with_defaults_filled_in() -> None:
    assert validate_question_definition("stars", "rating", {}) == {"min": 1, "max": 5}
    assert validate_question_definition("who", "span", {"labels": ["PER"]}) == {
        "labels": ["PER"],
        "field": "text",
        "allow_overlap": False,
    }
    assert validate_question_definition("pref", "pairwise", None)["strength_levels"] == 0


@pytest.mark.parametrize(
    ("type_name", "settings", "field", "expected"),
    [
        ("label", {"labels": []}, "questions[tone].settings.labels", "non-empty"),
        ("multi_label", {"labels": ["a", "a"]}, "questions[tone].settings.labels[1]", "unique"),
        ("rating", {"min": 5, "max": 1}, "questions[tone].settings.min", "less than max"),
        ("text", {"max_length": "long"}, "questions[tone].settings.max_length", "integer"),
        ("polygon", {"labels": ["a"], "fill": 1}, "questions[tone].settings.fill", "settings"),
        ("slider", {}, "type", "one of: label"),
    ],
)
def test_bad_definitions_name_the_field(
    type_name: str, settings: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_question_definition("tone", type_name, settings)
    assert info.value.field == field
    assert info.value.expected is not None and expected in info.value.expected


def test_several_settings_errors_are_all_listed() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_question_definition("tone", "text", {"min_length": "a", "max_length": "b"})
    assert {d["field"] for d in info.value.details} == {
        "questions[tone].settings.min_length",
        "questions[tone].settings.max_length",
    }


@pytest.mark.parametrize("name", ["", "has space", "a.b", "1st", None, "x" * 65])
def test_question_names_must_work_as_answer_keys(name: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_question_definition(name, "rating", {})
    assert info.value.field == "name"


def test_errors_serialise_for_clients() -> None:
    body = failure({"sentiment": "meh"}).to_dict()["error"]
    assert body["field"] == "answers.sentiment"
    assert body["value"] == "meh"
    assert body["expected"] == "one of: pos, neg"
