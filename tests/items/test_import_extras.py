"""Gold answers and model suggestions in import rows: checked per line like any value,
stored with the items, and a bad one rejects its row."""

from collections.abc import Callable

from sqlalchemy import func, select

from fairlabel.db import Database
from fairlabel.models import Gold, Item, Suggestion
from tests.items.conftest import Setup
from tests.items.test_import_api import error_lines, jsonl

Stored = Callable[[int], dict[str, Item]]


def gold_and_suggestions(database: Database) -> tuple[dict[int, dict], list[tuple]]:
    with database.session(write=False) as db:
        gold = {row.item_id: row.answers for row in db.scalars(select(Gold))}
        suggestions = sorted(
            (s.item_id, s.question, s.answer, s.score, s.agent)
            for s in db.scalars(select(Suggestion))
        )
        return gold, suggestions


def test_gold_and_suggestions_are_stored_with_the_items(
    setup: Setup, stored_items: Stored, database: Database
) -> None:
    body = jsonl(
        {"external_id": "g", "fields": {"text": "great"}, "gold": {"sentiment": "positive"}},
        {"external_id": "s", "text": "meh", "suggestions": {"sentiment": "neutral"}},
        {
            "external_id": "both",
            "fields": {"text": "awful"},
            "gold": {"sentiment": "negative"},
            "suggestions": [
                {"question": "sentiment", "answer": "negative", "score": 0.8, "agent": "m1"}
            ],
        },
        {"external_id": "plain", "text": "nothing extra"},
    )
    response = setup.import_(body)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 4
    items = stored_items(setup.project_id)
    assert items["s"].fields == {"text": "meh"}  # suggestions are not a field
    assert (items["g"].is_gold, items["g"].is_open) == (True, False)
    assert not items["plain"].is_gold
    gold, suggestions = gold_and_suggestions(database)
    assert gold == {
        items["g"].id: {"sentiment": "positive"},
        items["both"].id: {"sentiment": "negative"},
    }
    assert suggestions == sorted(
        [
            (items["s"].id, "sentiment", "neutral", None, "import"),
            (items["both"].id, "sentiment", "negative", 0.8, "m1"),
        ]
    )


def test_csv_columns_hold_json(setup: Setup, stored_items: Stored, database: Database) -> None:
    body = (
        b"external_id,text,gold,suggestions\n"
        b'c1,hello,"{""sentiment"": ""positive""}","{""sentiment"": ""neutral""}"\n'
    )
    response = setup.import_(body, fmt="csv")
    assert response.status_code == 201, response.text
    item = stored_items(setup.project_id)["c1"]
    assert item.fields == {"text": "hello"} and item.is_gold
    gold, suggestions = gold_and_suggestions(database)
    assert gold == {item.id: {"sentiment": "positive"}}
    assert [s[2] for s in suggestions] == ["neutral"]


def test_bad_gold_or_suggestions_reject_the_file_with_their_lines(
    setup: Setup, stored_items: Stored, database: Database
) -> None:
    body = jsonl(
        {"external_id": "ok", "text": "fine", "gold": {"sentiment": "positive"}},
        {"external_id": "bad-gold", "text": "x", "gold": {"sentiment": "furious"}},
        {"external_id": "no-answer", "text": "x", "gold": {}},
        {"external_id": "bad-q", "text": "x", "suggestions": {"colour": "red"}},
        {
            "external_id": "bad-score",
            "text": "x",
            "suggestions": [{"question": "sentiment", "answer": "positive", "score": 3}],
        },
        {"external_id": "bad-shape", "text": "x", "suggestions": "positive"},
    )
    response = setup.import_(body)
    assert response.status_code == 422
    assert error_lines(response) == [
        (2, "gold.answers.sentiment"),
        (3, "gold.answers.sentiment"),
        (4, "suggestions[0].question"),
        (5, "suggestions[0].score"),
        (6, "suggestions"),
    ]
    assert stored_items(setup.project_id) == {}
    assert gold_and_suggestions(database) == ({}, [])


def test_skip_invalid_keeps_the_good_rows_and_their_extras(
    setup: Setup, stored_items: Stored, database: Database
) -> None:
    body = jsonl(
        {"external_id": "ok", "text": "fine", "gold": {"sentiment": "positive"}},
        {"external_id": "bad", "text": "x", "gold": {"sentiment": "furious"}},
    )
    response = setup.import_(body, skip_invalid="true")
    assert response.status_code == 201, response.text
    assert response.json()["skipped"] == 1
    items = stored_items(setup.project_id)
    assert set(items) == {"ok"}
    gold, _ = gold_and_suggestions(database)
    assert gold == {items["ok"].id: {"sentiment": "positive"}}


def test_a_repeated_row_takes_no_extras(setup: Setup, database: Database) -> None:
    body = jsonl(
        {"external_id": "r", "text": "first"},
        {"external_id": "r", "text": "again", "gold": {"sentiment": "negative"}},
    )
    response = setup.import_(body, skip_invalid="true")
    assert response.status_code == 201 and response.json()["skipped"] == 1
    with database.session(write=False) as db:
        assert db.scalar(select(func.count()).select_from(Gold)) == 0
