"""prompt: a prompt written to a brief (category, difficulty, language, each chosen or fixed by
the item), and in red-team mode whether the attempt succeeded and its harm category. Every bad
answer or setting is refused with the field it is about; through the API, storing nothing."""

from typing import Any

import pytest

from fairlabel.errors import ValidationFailed
from fairlabel.questions import get_question_type
from tests.factories import Account, Factory

from ._api import leased, refused, stored
from ._helpers import check, rejects, settings_rejected

BRIEF = {
    "categories": ["coding", "travel"],
    "difficulties": ["easy", "hard"],
    "languages": ["en", "fr"],
    "min_length": 5,
    "max_length": 60,
}
RED_TEAM = {**BRIEF, "red_team": {"endpoints": [1], "harm_categories": ["violence", "fraud"]}}
GOOD = {"prompt": "Write a haiku about Lisbon.", "category": "travel", "difficulty": "easy"}
GOOD = {**GOOD, "language": "en"}
MARKS = {"succeeded": True, "harm_category": "fraud"}


def test_a_prompt_to_the_brief_is_kept_as_written() -> None:
    assert check("prompt", BRIEF, GOOD) == GOOD


def test_the_item_fixes_a_dimension_and_fills_it_in() -> None:
    fields = {"brief": {"language": "fr", "instructions": "Ask about **trains**."}}
    answer = {key: value for key, value in GOOD.items() if key != "language"}
    assert check("prompt", BRIEF, answer, fields)["language"] == "fr"


def test_a_dimension_the_question_does_not_ask_is_null() -> None:
    answer = check(
        "prompt", {"categories": ["coding"]}, {"prompt": "Sort a list.", "category": "coding"}
    )
    assert answer == {
        "prompt": "Sort a list.",
        "category": "coding",
        "difficulty": None,
        "language": None,
    }


def test_red_team_marks_are_kept_and_blank_notes_dropped() -> None:
    answer = check("prompt", RED_TEAM, {**GOOD, **MARKS, "notes": "  "})
    assert answer == {**GOOD, **MARKS, "notes": None, "response": None}


@pytest.mark.parametrize(
    ("answer", "field", "expected", "fields"),
    [
        ("a prompt", "", "an object with keys prompt", None),
        ({**GOOD, "prompt": 3}, ".prompt", "a string", None),
        ({**GOOD, "prompt": "   \n  "}, ".prompt", "a non-blank prompt", None),
        ({**GOOD, "prompt": "Hey"}, ".prompt", "between 5 and 60 characters", None),
        ({**GOOD, "prompt": "x" * 61}, ".prompt", "between 5 and 60 characters", None),
        (
            {k: v for k, v in GOOD.items() if k != "category"},
            ".category",
            "a category, one of",
            None,
        ),
        ({**GOOD, "category": "cooking"}, ".category", "one of: coding, travel", None),
        ({**GOOD, "difficulty": 2}, ".difficulty", "one of: easy, hard", None),
        ({**GOOD, "language": "de"}, ".language", "one of: en, fr", None),
        (
            {**GOOD, "language": "en"},
            ".language",
            "'fr' (the item's brief fixes",
            {"brief": {"language": "fr"}},
        ),
        ({**GOOD, "tone": "dry"}, ".tone", "no such key", None),
        ({**GOOD, "succeeded": True}, ".succeeded", "no red-team mode", None),
        ({**GOOD, "harm_category": "fraud"}, ".harm_category", "no red-team mode", None),
    ],
)
def test_bad_answers(answer: Any, field: str, expected: str, fields: Any) -> None:
    rejects("prompt", BRIEF, answer, field, expected, fields)


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        (GOOD, ".succeeded", "a value"),
        ({**GOOD, "harm_category": "fraud"}, ".succeeded", "a value"),
        ({**GOOD, "succeeded": True}, ".harm_category", "a value"),
        ({**GOOD, **MARKS, "succeeded": "yes"}, ".succeeded", "true or false"),
        ({**GOOD, **MARKS, "succeeded": 1}, ".succeeded", "true or false"),
        ({**GOOD, **MARKS, "harm_category": "spam"}, ".harm_category", "one of: violence, fraud"),
        ({**GOOD, **MARKS, "notes": 5}, ".notes", "a string"),
        ({**GOOD, **MARKS, "notes": "n" * 4001}, ".notes", "at most 4000 characters"),
        ({**GOOD, **MARKS, "response": ["x"]}, ".response", "a string"),
    ],
)
def test_bad_red_team_answers(answer: Any, field: str, expected: str) -> None:
    rejects("prompt", RED_TEAM, answer, field, expected)


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        ({"brief": "travel"}, "item.fields.brief", "an object with keys"),
        ({"brief": {"category": "cooking"}}, "item.fields.brief.category", "one of: coding"),
        ({"brief": {"topic": "x"}}, "item.fields.brief.topic", "no such key"),
        ({"brief": {"instructions": 3}}, "item.fields.brief.instructions", "a string"),
    ],
)
def test_an_item_with_a_bad_brief_is_refused(fields: Any, field: str, expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        check("prompt", BRIEF, GOOD, fields)
    assert info.value.field == field and expected in (info.value.expected or "")


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"categories": ["a", "a"]}, ".categories[1]", "unique labels"),
        ({"languages": [" "]}, ".languages[0]", "a non-blank label"),
        ({"min_length": 0}, ".min_length", "greater than or equal to 1"),
        ({"min_length": 9, "max_length": 8}, ".min_length", "at most max_length (8)"),
        ({"duplicate_threshold": 0}, ".duplicate_threshold", "greater than 0"),
        ({"duplicate_threshold": 1.2}, ".duplicate_threshold", "less than or equal to 1"),
        ({"brief_field": ""}, ".brief_field", "at least 1 character"),
        ({"red_team": {"harm_categories": ["x"]}}, ".red_team.endpoints", "a value"),
        (
            {"red_team": {"endpoints": [], "harm_categories": ["x"]}},
            ".red_team.endpoints",
            "at least 1",
        ),
        (
            {"red_team": {"endpoints": [1, 2], "harm_categories": ["x"]}},
            ".red_team.endpoints",
            "at most 1",
        ),
        ({"red_team": {"endpoints": [1]}}, ".red_team.harm_categories", "a value"),
        (
            {"red_team": {"endpoints": [1], "harm_categories": []}},
            ".red_team.harm_categories",
            "a non-empty list",
        ),
        (
            {
                "red_team": {
                    "endpoints": [1],
                    "harm_categories": ["x"],
                    "sampling": {"temperature": 5},
                }
            },
            ".red_team.sampling.temperature",
            "less than or equal to 2",
        ),
        (
            {"red_team": {"endpoints": [1], "harm_categories": ["x"], "seed": 1}},
            ".red_team.seed",
            "one of the settings",
        ),
    ],
)
def test_bad_settings(settings: dict[str, Any], field: str, expected: str) -> None:
    settings_rejected("prompt", settings, field, expected)


def test_scores_compare_the_marks_or_the_brief() -> None:
    kind = get_question_type("prompt")
    red = kind.parse_settings(RED_TEAM)
    answer = {**GOOD, **MARKS}
    assert kind.score(red, answer, {**answer, "prompt": "another"}) == 1.0
    assert kind.score(red, answer, {**answer, "harm_category": "violence"}) == 0.5
    plain = kind.parse_settings(BRIEF)
    assert kind.score(plain, GOOD, {**GOOD, "difficulty": "hard"}) == pytest.approx(2 / 3)
    bare = kind.parse_settings({})
    mine = {"prompt": "Hello  there", "category": None, "difficulty": None, "language": None}
    assert kind.score(bare, mine, {**mine, "prompt": "Hello there"}) == 1.0


@pytest.fixture
def held(factory: Factory) -> tuple[Account, dict[str, Any]]:
    return leased(factory, {"type": "prompt", "settings": BRIEF}, {"brief": {"difficulty": "hard"}})


def test_through_the_api_the_answer_records_no_nearest_for_the_first_prompt(
    held: tuple[Account, dict[str, Any]],
) -> None:
    worker, assignment = held
    answer = {key: value for key, value in GOOD.items() if key != "difficulty"}
    assert stored(worker, assignment, answer) == {
        **GOOD,
        "difficulty": "hard",
        "nearest": None,
        "duplicate": False,
    }


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ({**GOOD, "prompt": ""}, ".prompt", "a non-blank prompt"),
        ({**GOOD, "difficulty": "easy"}, ".difficulty", "the item's brief fixes"),
        ({**GOOD, "category": None}, ".category", "a category, one of"),
        ({**GOOD, "succeeded": False}, ".succeeded", "no red-team mode"),
    ],
)
def test_through_the_api_bad_answers_store_nothing(
    factory: Factory,
    held: tuple[Account, dict[str, Any]],
    answer: Any,
    field: str,
    expected: str,
) -> None:
    worker, assignment = held
    refused(factory, worker, assignment, answer, field, expected)
