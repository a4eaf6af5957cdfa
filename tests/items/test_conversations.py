"""Conversation items through the real import API: OpenAI `messages` and ShareGPT
`conversations` rows, told apart per row and stored as `fields.messages`; every bad row named
by line and field, the whole file refused (nothing changed) or the good rows kept with
skip_invalid; and the stored conversation read back unchanged from the JSONL export."""

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from fairlabel.db import Database
from fairlabel.items.conversations import MAX_MESSAGE_CHARS, MAX_MESSAGES
from fairlabel.models import Item
from tests.factories import Factory
from tests.items.conftest import Setup

Stored = Callable[[int], dict[str, Item]]

CODE_REPLY = "Use `sorted`:\n\n```python\nprint(sorted([3, 1, 2]))\n```"
WEATHER_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "weather", "arguments": '{"city": "Nairobi"}'},
}


def jsonl(*rows: Any) -> bytes:
    return b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)


def items_table(database: Database) -> list[tuple[Any, ...]]:
    with database.session(write=False) as db:
        return sorted(
            (i.project_id, i.external_id, orjson.dumps(i.fields, option=orjson.OPT_SORT_KEYS))
            for i in db.scalars(select(Item))
        )


def problems(response: Any) -> list[tuple[int | None, str | None]]:
    return [(d["line"], d["field"]) for d in response.json()["error"]["details"]]


def test_openai_messages_are_stored_as_given(setup: Setup, stored_items: Stored) -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Weather in Nairobi?", "name": "ana"},
        {"role": "assistant", "content": None, "tool_calls": [WEATHER_CALL]},
        {"role": "tool", "content": '{"temp": 24}', "tool_call_id": "call_1"},
        {"role": "assistant", "content": CODE_REPLY, "weight": 1},
    ]
    response = setup.import_(jsonl({"external_id": "chat", "messages": messages, "lang": "en"}))
    assert response.status_code == 201, response.text
    stored = stored_items(setup.project_id)["chat"].fields
    assert stored["lang"] == "en"
    assert stored["messages"][2] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [WEATHER_CALL],
    }
    assert stored["messages"][:2] + stored["messages"][3:] == messages[:2] + messages[3:]


def test_null_optional_keys_are_dropped_and_object_arguments_written_as_json(
    setup: Setup, stored_items: Stored
) -> None:
    """A Parquet struct gives every message every key; a JSON file may spell arguments as
    an object where the chat API carries JSON text."""
    call = {"id": "c", "function": {"name": "add", "arguments": {"a": 1, "b": 2}}}
    messages = [
        {"role": "user", "content": "1 + 2?", "name": None, "tool_calls": None},
        {"role": "assistant", "content": "", "tool_calls": [call], "weight": None},
    ]
    assert setup.import_(jsonl({"external_id": "n", "messages": messages})).status_code == 201
    assert stored_items(setup.project_id)["n"].fields["messages"] == [
        {"role": "user", "content": "1 + 2?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a":1,"b":2}'},
                }
            ],
        },
    ]


def test_sharegpt_conversations_become_messages(setup: Setup, stored_items: Stored) -> None:
    rows = [
        {
            "external_id": "vicuna",
            "conversations": [
                {"from": "system", "value": "Be kind."},
                {"from": "human", "value": "Sort [3, 1, 2] in Python."},
                {"from": "gpt", "value": CODE_REPLY},
            ],
        },
        {
            "external_id": "factory",
            "system": "You may call tools.",
            "tools": '[{"name": "weather"}]',
            "conversations": [
                {"from": "Human", "value": "Weather in Nairobi?"},
                {
                    "from": "function_call",
                    "value": '{"name": "weather", "arguments": {"city": "Nairobi"}}',
                },
                {"from": "observation", "value": '{"temp": 24}'},
                {"from": "gpt", "value": "24 °C."},
            ],
        },
    ]
    response = setup.import_(jsonl(*rows))
    assert response.status_code == 201, response.text
    items = stored_items(setup.project_id)
    assert items["vicuna"].fields == {
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Sort [3, 1, 2] in Python."},
            {"role": "assistant", "content": CODE_REPLY},
        ]
    }
    call = {
        "id": "call_1_0",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city":"Nairobi"}'},
    }
    assert items["factory"].fields == {
        "tools": '[{"name": "weather"}]',
        "messages": [
            {"role": "system", "content": "You may call tools."},
            {"role": "user", "content": "Weather in Nairobi?"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "content": '{"temp": 24}', "tool_call_id": "call_1_0"},
            {"role": "assistant", "content": "24 °C."},
        ],
    }


def test_shapes_are_told_apart_per_row_and_the_same_chat_is_one_item(
    setup: Setup, stored_items: Stored
) -> None:
    """Without an external_id the id is derived from the stored (normalised) fields, so the
    same conversation in either shape upserts one item."""
    openai = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    }
    sharegpt = {
        "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]
    }
    response = setup.import_(jsonl(openai, sharegpt, {"text": "plain"}), fmt="jsonl")
    assert response.status_code == 422  # one file, the same item twice
    assert problems(response) == [(2, "external_id")]
    assert setup.import_(jsonl(openai, {"text": "plain"})).json()["created"] == 2
    report = setup.import_(jsonl(sharegpt)).json()
    assert (report["created"], report["updated"]) == (0, 1)
    assert len(stored_items(setup.project_id)) == 2


def test_json_array_and_csv_rows_carry_conversations(setup: Setup, stored_items: Stored) -> None:
    array = orjson.dumps([{"external_id": "j", "conversations": [{"from": "human", "value": "q"}]}])
    assert setup.import_(array, fmt="json").status_code == 201
    assert stored_items(setup.project_id)["j"].fields == {
        "messages": [{"role": "user", "content": "q"}]
    }
    response = setup.import_(
        b'external_id,messages\nc,"[{""role"": ""user"", ""content"": ""q""}]"\n', fmt="csv"
    )
    assert response.status_code == 422  # CSV cells are text: a conversation is not one
    assert problems(response) == [(2, "fields.messages")]


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


TOO_MANY = [user("hi")] * (MAX_MESSAGES + 1)
BAD_CONVERSATIONS: list[tuple[dict[str, Any], str]] = [
    ({"messages": [{"role": "robot", "content": "beep"}]}, "fields.messages[0].role"),
    ({"messages": [user("hi"), {"content": "no role"}]}, "fields.messages[1].role"),
    ({"messages": [user("")]}, "fields.messages[0].content"),
    ({"messages": [user(" \n\t")]}, "fields.messages[0].content"),
    ({"messages": [user(None)]}, "fields.messages[0].content"),
    ({"messages": [user(42)]}, "fields.messages[0].content"),
    ({"messages": [user([{"type": "text", "text": "parts"}])]}, "fields.messages[0].content"),
    ({"messages": TOO_MANY}, "fields.messages"),
    ({"messages": [user("x" * (MAX_MESSAGE_CHARS + 1))]}, "fields.messages[0].content"),
    ({"messages": []}, "fields.messages"),
    ({"messages": "hello"}, "fields.messages"),
    ({"messages": ["hello"]}, "fields.messages[0]"),
    ({"messages": [user("hi") | {"mood": "calm"}]}, "fields.messages[0].mood"),
    ({"messages": [user("hi") | {"tool_calls": [WEATHER_CALL]}]}, "fields.messages[0].tool_calls"),
    ({"messages": [user("hi") | {"weight": 1}]}, "fields.messages[0].weight"),
    (
        {"messages": [{"role": "assistant", "content": "a", "weight": 2}]},
        "fields.messages[0].weight",
    ),
    (
        {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]}]},
        "fields.messages[0].tool_calls[0].function",
    ),
    (
        {"messages": [{"role": "assistant", "content": None, "tool_calls": []}]},
        "fields.messages[0].tool_calls",
    ),
    ({"messages": [{"role": "assistant", "content": None}]}, "fields.messages[0].content"),
    (
        {"messages": [user("hi"), {"role": "tool", "content": "24", "tool_call_id": "nope"}]},
        "fields.messages[1].tool_call_id",
    ),
    ({"messages": [{"from": "human", "value": "sharegpt in messages"}]}, "fields.messages[0].role"),
    ({"conversations": [{"from": "alien", "value": "hi"}]}, "fields.conversations[0].from"),
    ({"conversations": [{"from": "human", "value": ""}]}, "fields.conversations[0].value"),
    ({"conversations": [{"from": "human", "value": ["x"]}]}, "fields.conversations[0].value"),
    ({"conversations": [{"from": "human"}]}, "fields.conversations[0].value"),
    ({"conversations": [user("openai in conversations")]}, "fields.conversations[0].role"),
    (
        {"conversations": [{"from": "function_call", "value": "weather(Nairobi)"}]},
        "fields.conversations[0].value",
    ),
    (
        {"conversations": [{"from": "human", "value": "q"}] * (MAX_MESSAGES + 1)},
        "fields.conversations",
    ),
    (
        {"messages": [user("hi")], "conversations": [{"from": "human", "value": "hi"}]},
        "fields.conversations",
    ),
    ({"fields": {"conversations": None}}, "fields.conversations"),
]


@pytest.mark.parametrize(("row", "field"), BAD_CONVERSATIONS)
def test_bad_conversation_is_named_and_changes_nothing(
    setup: Setup, database: Database, row: dict[str, Any], field: str
) -> None:
    assert (
        setup.import_(jsonl({"external_id": "kept", "messages": [user("old")]})).status_code == 201
    )
    before = items_table(database)
    body = jsonl({"external_id": "good", "messages": [user("fine")]}, {"external_id": "bad", **row})
    response = setup.import_(body)
    assert response.status_code == 422, response.text
    assert problems(response) == [(2, field)]
    detail = response.json()["error"]["details"][0]
    assert detail["expected"] and detail["message"]
    assert len(orjson.dumps(detail["value"])) < 400  # a megabyte of content is not echoed
    assert items_table(database) == before


def test_skip_invalid_keeps_the_good_conversations(setup: Setup, stored_items: Stored) -> None:
    rows = [
        ({"external_id": f"bad-{n}", **row}) for n, (row, _field) in enumerate(BAD_CONVERSATIONS)
    ]
    good = [
        {"external_id": "openai", "messages": [user("a")]},
        {"external_id": "sharegpt", "conversations": [{"from": "gpt", "value": "b"}]},
    ]
    response = setup.import_(jsonl(good[0], *rows, good[1]), skip_invalid="true")
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["created"], report["skipped"]) == (2, len(BAD_CONVERSATIONS))
    assert [e["field"] for e in report["errors"]] == [field for _row, field in BAD_CONVERSATIONS]
    assert sorted(stored_items(setup.project_id)) == ["openai", "sharegpt"]


def test_conversations_round_trip_through_the_jsonl_export(
    setup: Setup, factory: Factory, stored_items: Stored
) -> None:
    """The export carries `fields.messages` as stored, and importing that again (the
    normalised shape) stores the very same fields: the import is a fixed point of its own
    output."""
    rows = [
        {"external_id": "a", "messages": [{"role": "system", "content": "s"}, user(CODE_REPLY)]},
        {
            "external_id": "b",
            "conversations": [{"from": "human", "value": "<img src=x onerror=alert(1)>"}],
        },
        {
            "external_id": "c",
            "messages": [
                user("call"),
                {"role": "assistant", "content": None, "tool_calls": [WEATHER_CALL]},
            ],
        },
    ]
    assert setup.import_(jsonl(*rows)).status_code == 201
    stored = {key: item.fields for key, item in stored_items(setup.project_id).items()}
    response = setup.owner.get(
        f"/api/projects/{setup.project_id}/export", params={"format": "jsonl"}
    )
    assert response.status_code == 200, response.text
    exported = [orjson.loads(line)["item"] for line in response.content.splitlines()]
    assert {line["external_id"]: line["fields"] for line in exported} == stored

    again = factory.project(setup.owner, setup.org_id)
    back = jsonl(
        *({"external_id": line["external_id"], "fields": line["fields"]} for line in exported)
    )
    response = setup.owner.post(
        f"/api/projects/{again['id']}/imports", content=back, params={"format": "jsonl"}
    )
    assert response.status_code == 201, response.text
    assert {key: item.fields for key, item in stored_items(again["id"]).items()} == stored
