"""rewrite: the worker edits a response into the ideal one; the server stores the text with
its word diff against the original. Through the API: every bad answer a 422 storing nothing."""

from typing import Any

import pytest

from fairlabel.questions import get_question_type
from fairlabel.questions.rewrite import diff_original, edit_distance, word_diff
from tests.factories import Account, Factory
from tests.queue.helpers import snapshot

from ._api import leased, refused, stored, submit
from ._helpers import settings_rejected

ORIGINAL = "The cat sat on the mat."
FIELDS = {"prompt": "Describe the picture.", "response": ORIGINAL}
REWRITE = {"type": "rewrite", "settings": {"min_length": 5, "max_length": 60}}
CHAT = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Greet me."},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": "Again, warmly."},
        {"role": "assistant", "content": "Hello there, friend."},
    ]
}


@pytest.fixture
def held(factory: Factory) -> tuple[Account, dict[str, Any]]:
    return leased(factory, REWRITE, FIELDS)


def test_the_rewrite_is_stored_with_its_word_diff(held: tuple[Account, dict[str, Any]]) -> None:
    worker, assignment = held
    result = stored(worker, assignment, "The black cat sat on a mat!")
    assert result == {
        "text": "The black cat sat on a mat!",
        "diff": [
            ["=", "The "],
            ["+", "black "],
            ["=", "cat sat on "],
            ["-", "the "],
            ["+", "a "],
            ["=", "mat"],
            ["-", "."],
            ["+", "!"],
        ],
    }
    assert diff_original(result["diff"]) == ORIGINAL


def test_a_diff_sent_by_the_client_is_replaced_by_the_servers(
    held: tuple[Account, dict[str, Any]],
) -> None:
    worker, assignment = held
    forged = [["=", "Something else entirely"]]
    result = stored(worker, assignment, {"text": "The dog sat on the mat.", "diff": forged})
    assert result["diff"] == [["=", "The "], ["-", "cat "], ["+", "dog "], ["=", "sat on the mat."]]


def test_a_conversation_rewrites_its_last_assistant_message(factory: Factory) -> None:
    question = {"type": "rewrite", "settings": {"field": "messages"}}
    worker, assignment = leased(factory, question, CHAT)
    result = stored(worker, assignment, "Hello there, dear friend!")
    assert diff_original(result["diff"]) == "Hello there, friend."


def test_an_unchanged_rewrite_when_the_project_allows_it(factory: Factory) -> None:
    question = {"type": "rewrite", "settings": {"allow_unchanged": True}}
    worker, assignment = leased(factory, question, FIELDS)
    assert stored(worker, assignment, ORIGINAL) == {"text": ORIGINAL, "diff": [["=", ORIGINAL]]}


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        (42, "", "the rewritten text: a string, or an object with keys text"),
        (["The dog"], "", "the rewritten text"),
        ({}, ".text", "a value"),
        ({"text": 3}, ".text", "a string"),
        ({"text": "The dog sat.", "why": "better"}, ".why", "no such key"),
        ("   \n ", "", "a non-blank rewrite"),
        ("Dog.", "", "between 5 and 60 characters (got 4)"),
        ("x" * 61, "", "between 5 and 60 characters (got 61)"),
        ({"text": "y" * 61}, ".text", "between 5 and 60 characters (got 61)"),
        (ORIGINAL, "", "a rewrite that changes the response (allow_unchanged is off)"),
        ("The cat  sat on\nthe mat. ", "", "a rewrite that changes the response"),
    ],
)
def test_bad_rewrites_are_refused_and_store_nothing(
    factory: Factory,
    held: tuple[Account, dict[str, Any]],
    answer: Any,
    field: str,
    expected: str,
) -> None:
    worker, assignment = held
    refused(factory, worker, assignment, answer, field, expected)


@pytest.mark.parametrize(
    ("config", "fields", "field", "expected"),
    [
        ({}, {"prompt": "no response"}, "item.fields.response", "a field 'response'"),
        ({}, {"response": ["a", "b"]}, "item.fields.response", "a string, or chat messages"),
        (
            {"field": "messages"},
            {"messages": [{"role": "user", "content": "Hi"}]},
            "item.fields.messages",
            "with an assistant message",
        ),
    ],
)
def test_an_item_without_a_response_to_rewrite_is_refused(
    factory: Factory, config: dict[str, Any], fields: dict[str, Any], field: str, expected: str
) -> None:
    worker, assignment = leased(factory, {"type": "rewrite", "settings": config}, fields)
    before = snapshot(factory.database)
    response = submit(worker, assignment, "A better answer.")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and expected in error["expected"]
    assert snapshot(factory.database) == before


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({"min_length": 9, "max_length": 8}, ".min_length", "at most max_length (8)"),
        ({"min_length": -1}, ".min_length", "greater than or equal to 0"),
        ({"field": ""}, ".field", "at least 1 character"),
        ({"pass_threshold": 0}, ".pass_threshold", "greater than 0"),
        ({"pass_threshold": 1.5}, ".pass_threshold", "less than or equal to 1"),
        ({"allow_unchanged": "yes"}, ".allow_unchanged", "a valid boolean"),
    ],
)
def test_bad_settings(settings: dict[str, Any], field: str, expected: str) -> None:
    settings_rejected("rewrite", settings, field, expected)


def test_the_diff_gives_back_both_texts() -> None:
    before = "  Line one.\n\nLine two, with commas, and more words here. "
    after = "Line one!\nA new line two, without commas and with more words.\n"
    diff = word_diff(before, after)
    assert "".join(text for op, text in diff if op != "+") == before
    assert "".join(text for op, text in diff if op != "-") == after
    assert all(op in "=-+" for op, _ in diff)
    assert word_diff("", "New.") == [["+", "New."]]


def test_edit_distance_is_normalised_levenshtein_on_collapsed_whitespace() -> None:
    assert edit_distance("kitten", "sitting") == pytest.approx(3 / 7)
    assert edit_distance("a  b\n", "a b") == 0.0
    assert edit_distance("abc", "xyz") == 1.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("The cat sat on the mat.", 1.0),
        ("The cat sat on the mat!", 1.0),  # similarity 22/23 = 0.957 passes the 0.9 bar
        ("The cat sat on a mat.", 1 - 3 / 23),  # 20/23 = 0.870 does not: its similarity
        ("A dog sat on the mat.", 1 - 6 / 23),  # below the bar: its similarity
    ],
)
def test_gold_scores_similarity_with_a_pass_threshold(answer: str, expected: float) -> None:
    question_type = get_question_type("rewrite")
    settings = question_type.parse_settings({"allow_unchanged": True})
    fields = {"response": "The cat is on the mat."}
    mine = question_type.validate_answer(settings, answer, fields, "answers.q")
    known = question_type.validate_answer(settings, "The cat sat on the mat.", fields, "answers.q")
    assert question_type.score(settings, mine, known) == pytest.approx(expected)
