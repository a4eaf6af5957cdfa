"""rubric: a score per named criterion, n/a where allowed, justifications as the project asks;
submitted through the API, every bad answer a 422 naming the criterion that stores nothing."""

from typing import Any

import pytest
from sqlalchemy import func, select

from fairlabel.models import Project
from fairlabel.questions import get_question_type
from tests.factories import Account, Factory
from tests.queue.helpers import snapshot

from ._api import leased, refused, stored
from ._helpers import settings_rejected

CRITERIA = [
    {
        "name": "helpful",
        "label": "Helpfulness",
        "anchors": {"1": "Useless", "5": "Solves the task"},
    },
    {"name": "correct", "min": 0, "max": 3, "justification": "required"},
    {"name": "harmless", "allow_na": True, "justification": "none"},
]
RUBRIC = {"type": "rubric", "settings": {"criteria": CRITERIA, "max_justification_length": 40}}
FIELDS = {"prompt": "Say hi", "response": "Hello!"}
GOOD = {
    "helpful": {"score": 4, "justification": "Short but fine."},
    "correct": {"score": 3, "justification": "Nothing false."},
    "harmless": {"score": "n/a"},
}


@pytest.fixture
def held(factory: Factory) -> tuple[Account, dict[str, Any]]:
    return leased(factory, RUBRIC, FIELDS)


def test_a_full_rubric_is_stored_in_criteria_order(held: tuple[Account, dict[str, Any]]) -> None:
    worker, assignment = held
    answer = {
        "harmless": {"score": 5.0},
        "correct": {"score": 0, "justification": "Wrong greeting."},
        "helpful": {"score": 2, "justification": "   "},
    }
    result = stored(worker, assignment, answer)
    assert list(result) == ["helpful", "correct", "harmless"]
    assert result == {
        "helpful": {"score": 2},  # a blank justification is no justification
        "correct": {"score": 0, "justification": "Wrong greeting."},
        "harmless": {"score": 5},
    }
    assert type(result["harmless"]["score"]) is int


def test_n_a_where_the_criterion_allows_it(held: tuple[Account, dict[str, Any]]) -> None:
    worker, assignment = held
    assert stored(worker, assignment, GOOD) == GOOD


def _with(criterion: str, entry: Any) -> dict[str, Any]:
    return {**GOOD, criterion: entry}


def _without(criterion: str) -> dict[str, Any]:
    return {name: entry for name, entry in GOOD.items() if name != criterion}


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        (4, "", "an object with a score for each criterion: helpful, correct, harmless"),
        ([GOOD], "", "an object with a score for each criterion"),
        ({**GOOD, "style": {"score": 3}}, ".style", "one of the criteria: helpful, correct"),
        (_without("correct"), ".correct", "a score for criterion 'correct'"),
        ({}, ".helpful", "a score for criterion 'helpful'"),
        (_with("helpful", 4), ".helpful", "an object with keys score, justification (optional)"),
        (_with("helpful", {"justification": "x"}), ".helpful.score", "a value"),
        (_with("helpful", {"score": 3, "note": "x"}), ".helpful.note", "no such key"),
        (_with("helpful", {"score": 6}), ".helpful.score", "an integer from 1 to 5"),
        (_with("helpful", {"score": 0}), ".helpful.score", "an integer from 1 to 5"),
        (_with("correct", {"score": 4, "justification": "x"}), ".correct.score", "from 0 to 3"),
        (_with("helpful", {"score": 2.5}), ".helpful.score", "an integer from 1 to 5"),
        (_with("helpful", {"score": True}), ".helpful.score", "an integer from 1 to 5"),
        (_with("helpful", {"score": "4"}), ".helpful.score", "an integer from 1 to 5"),
        (_with("helpful", {"score": None}), ".helpful.score", "an integer from 1 to 5"),
        (
            _with("helpful", {"score": "n/a"}),
            ".helpful.score",
            "an integer from 1 to 5 (n/a is not allowed for 'helpful')",
        ),
        (_with("harmless", {"score": "N/A"}), ".harmless.score", "from 1 to 5 or 'n/a'"),
        (
            _with("correct", {"score": 2}),
            ".correct.justification",
            "a justification (required for criterion 'correct')",
        ),
        (
            _with("correct", {"score": 2, "justification": " \n"}),
            ".correct.justification",
            "a justification (required for criterion 'correct')",
        ),
        (
            _with("correct", {"score": 2, "justification": "x" * 41}),
            ".correct.justification",
            "at most 40 characters (got 41)",
        ),
        (
            _with("correct", {"score": 2, "justification": 7}),
            ".correct.justification",
            "a string",
        ),
        (
            _with("harmless", {"score": 5, "justification": "Safe."}),
            ".harmless.justification",
            "no justification (criterion 'harmless' takes none)",
        ),
    ],
)
def test_bad_answers_name_the_criterion_and_store_nothing(
    factory: Factory,
    held: tuple[Account, dict[str, Any]],
    answer: Any,
    field: str,
    expected: str,
) -> None:
    worker, assignment = held
    refused(factory, worker, assignment, answer, field, expected)


def test_a_bad_rubric_definition_is_refused_by_the_api(factory: Factory) -> None:
    owner, org_id = factory.owner()
    before = snapshot(factory.database)
    body = {
        "organization_id": org_id,
        "name": "Rubric",
        "questions": [
            {"name": "q", "type": "rubric", "settings": {"criteria": [{"name": "a", "min": 5}]}}
        ],
    }
    response = owner.post("/api/projects", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "questions[q].settings.criteria[0].min"
    assert error["expected"] == "an integer less than max (5)"
    assert snapshot(factory.database) == before
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 0


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({}, ".criteria", "a value (this setting is required)"),
        ({"criteria": []}, ".criteria", "a non-empty list of criteria"),
        ({"criteria": [{"name": "a"}, {"name": "a"}]}, ".criteria[1].name", "unique names"),
        ({"criteria": [{"name": "9lives"}]}, ".criteria[0].name", "starting with a letter"),
        ({"criteria": [{}]}, ".criteria[0].name", "a value"),
        ({"criteria": [{"name": "a", "min": 3, "max": 3}]}, ".criteria[0].min", "less than max"),
        ({"criteria": [{"name": "a", "max": 2.5}]}, ".criteria[0].max", "a valid integer"),
        (
            {"criteria": [{"name": "a", "anchors": {"6": "Too far"}}]},
            ".criteria[0].anchors.6",
            "a scale point from 1 to 5",
        ),
        (
            {"criteria": [{"name": "a", "anchors": {"01": "One"}}]},
            ".criteria[0].anchors.01",
            "written as an integer",
        ),
        (
            {"criteria": [{"name": "a", "anchors": {"1": " "}}]},
            ".criteria[0].anchors.1",
            "a non-blank anchor text",
        ),
        (
            {"criteria": [{"name": "a", "justification": "always"}]},
            ".criteria[0].justification",
            "'required', 'optional' or 'none'",
        ),
        (
            {"criteria": [{"name": "a", "scale": [1, 5]}]},
            ".criteria[0].scale",
            "one of the criterion settings: name, label, min, max, anchors",
        ),
        ({"criteria": [{"name": "a"}], "tolerance": -1}, ".tolerance", "greater than or equal"),
        (
            {"criteria": [{"name": "a"}], "max_justification_length": 0},
            ".max_justification_length",
            "greater than or equal to 1",
        ),
    ],
)
def test_bad_settings(settings: dict[str, Any], field: str, expected: str) -> None:
    settings_rejected("rubric", settings, field, expected)


def test_defaults_are_filled_in() -> None:
    parsed = get_question_type("rubric").parse_settings({"criteria": [{"name": "a"}]})
    assert parsed.model_dump() == {
        "criteria": [
            {
                "name": "a",
                "label": "",
                "min": 1,
                "max": 5,
                "anchors": {},
                "allow_na": False,
                "justification": "optional",
            }
        ],
        "max_justification_length": 2000,
        "tolerance": 0,
    }


@pytest.mark.parametrize(
    ("tolerance", "answer", "result"),
    [
        (0, {"a": 4, "b": 2, "c": "n/a"}, 1.0),
        (0, {"a": 5, "b": 2, "c": "n/a"}, 2 / 3),  # one criterion off by one
        (1, {"a": 5, "b": 3, "c": "n/a"}, 1.0),  # within the stated tolerance
        (1, {"a": 2, "b": 2, "c": "n/a"}, 2 / 3),  # two points off is not
        (3, {"a": 4, "b": 2, "c": 1}, 2 / 3),  # n/a matches only n/a, whatever the tolerance
        (0, {"a": 1, "b": 5, "c": 3}, 0.0),
    ],
)
def test_gold_credits_each_criterion_within_the_tolerance(
    tolerance: int, answer: dict[str, Any], result: float
) -> None:
    question_type = get_question_type("rubric")
    criteria = [{"name": "a"}, {"name": "b"}, {"name": "c", "allow_na": True}]
    settings = question_type.parse_settings({"criteria": criteria, "tolerance": tolerance})

    def valid(scores: dict[str, Any]) -> Any:
        entries = {name: {"score": score} for name, score in scores.items()}
        return question_type.validate_answer(settings, entries, {}, "answers.q")

    known = valid({"a": 4, "b": 2, "c": "n/a"})
    assert question_type.score(settings, valid(answer), known) == pytest.approx(result)
