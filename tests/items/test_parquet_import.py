"""Parquet imports: files written with pyarrow here, sent through the real API (by
Content-Type or format=parquet); flat columns, a `fields` struct, and conversations in
either shape; rows named by their row number; broken files refused; and the file read a
batch at a time, never whole."""

import io
import os
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fairlabel.config import Settings
from fairlabel.items import parsing
from fairlabel.models import Item
from tests.items.conftest import Setup, post_with_headers

Stored = Callable[[int], dict[str, Item]]
PARQUET = "application/vnd.apache.parquet"


def parquet(table: pa.Table, **options: Any) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


def send(setup: Setup, body: bytes, **params: Any) -> Any:
    return post_with_headers(
        setup.owner,
        f"/api/projects/{setup.project_id}/imports",
        {"Content-Type": PARQUET},
        content=body,
        params=params,
    )


def test_flat_columns_and_openai_messages(setup: Setup, stored_items: Stored) -> None:
    table = pa.Table.from_pylist(
        [
            {
                "external_id": "chat-1",
                "topic": "code",
                "messages": [
                    {"role": "system", "content": "Be brief.", "name": None},
                    {"role": "user", "content": "Sort a list?", "name": "ana"},
                ],
            },
            {
                "external_id": "chat-2",
                "topic": None,
                "messages": [{"role": "user", "content": "Hi", "name": None}],
            },
        ]
    )
    response = send(setup, parquet(table))
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    items = stored_items(setup.project_id)
    assert items["chat-1"].fields == {
        "topic": "code",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Sort a list?", "name": "ana"},
        ],
    }
    assert items["chat-2"].fields == {
        "topic": None,
        "messages": [{"role": "user", "content": "Hi"}],
    }


def test_fields_struct_meta_priority_and_sharegpt(setup: Setup, stored_items: Stored) -> None:
    table = pa.Table.from_pylist(
        [
            {
                "external_id": "s1",
                "fields": {
                    "conversations": [
                        {"from": "human", "value": "2 + 2?", "weight": None},
                        {"from": "gpt", "value": "4", "weight": 1},
                    ]
                },
                "meta": {"source": "sharegpt", "batch": 3},
                "priority": 7,
            }
        ]
    )
    response = setup.import_(parquet(table), fmt="parquet")
    assert response.status_code == 201, response.text
    item = stored_items(setup.project_id)["s1"]
    assert item.fields == {
        "messages": [
            {"role": "user", "content": "2 + 2?"},
            {"role": "assistant", "content": "4", "weight": 1},
        ]
    }
    assert (item.meta, item.priority) == ({"source": "sharegpt", "batch": 3}, 7)


def rows_with_bad(n: int, bad: dict[int, Any]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "external_id": f"r{row}",
                "messages": [{"role": bad.get(row, "user"), "content": f"message {row}"}],
            }
            for row in range(1, n + 1)
        ]
    )


@pytest.mark.parametrize("batch_rows", [5000, 2])
def test_bad_rows_are_named_by_row_number_across_batches(
    setup: Setup,
    stored_items: Stored,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    batch_rows: int,
) -> None:
    monkeypatch.setattr(settings, "import_batch_rows", batch_rows)
    body = parquet(rows_with_bad(10, {3: "robot", 8: "narrator"}), row_group_size=3)
    response = send(setup, body)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [(d["line"], d["field"], d["value"]) for d in details] == [
        (3, "fields.messages[0].role", "robot"),
        (8, "fields.messages[0].role", "narrator"),
    ]
    assert stored_items(setup.project_id) == {}
    response = send(setup, body, skip_invalid="true")
    assert response.json()["created"] == 8
    assert len(stored_items(setup.project_id)) == 8


def test_values_json_cannot_hold_are_row_errors(setup: Setup, stored_items: Stored) -> None:
    table = pa.table({"external_id": ["ok", "blob"], "data": [None, b"\x00\xff"]})
    response = send(setup, parquet(table), skip_invalid="true")
    assert response.status_code == 201, response.text
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(2, "fields")]
    assert list(stored_items(setup.project_id)) == ["ok"]


def test_broken_files_are_refused_even_with_skip_invalid(
    setup: Setup, stored_items: Stored
) -> None:
    whole = parquet(rows_with_bad(50, {}), row_group_size=10)
    for body in (b"external_id,text\na,b\n", whole[: len(whole) // 2], b""):
        for skip in ("false", "true"):
            response = send(setup, body, skip_invalid=skip)
            assert response.status_code == 422, response.text
            error = response.json()["error"]
            assert error["field"] == "file"
            assert "Parquet" in error["message"]
    assert stored_items(setup.project_id) == {}


class CountingFile(io.BytesIO):
    """A file that remembers how many bytes were read from it, and how far."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_the_file_is_read_a_batch_at_a_time() -> None:
    """The first row arrives once its row group is read, not the file: pyarrow would read
    every page up front with pre_buffer, which the parser turns off."""
    texts = [os.urandom(4000).hex() for _ in range(200)]  # incompressible, ~1.6 MB in all
    table = pa.table({"external_id": [f"r{n}" for n in range(200)], "text": texts})
    source = CountingFile(parquet(table, row_group_size=10))
    rows = parsing.parse("parquet", source, batch_rows=5)
    assert next(rows)[0] == 1
    after_first = source.bytes_read
    assert after_first < len(source.getvalue()) / 10
    taken = [next(rows) for _ in range(98)]  # ten row groups
    assert taken[-1][0] == 99
    assert source.bytes_read < len(source.getvalue()) * 0.6
    assert [line for line, _record in rows] == list(range(100, 201))
    assert source.closed


def test_a_stream_that_cannot_seek_is_copied_first() -> None:
    body = parquet(pa.table({"text": ["a", "b", "c"]}))
    chunks = [body[n : n + 7] for n in range(0, len(body), 7)]
    assert list(parsing.parse("parquet", iter(chunks))) == [
        (1, {"text": "a"}),
        (2, {"text": "b"}),
        (3, {"text": "c"}),
    ]


def test_format_from_extension_and_content_type() -> None:
    assert parsing.format_of_file("chats.parquet") == "parquet"
    assert parsing.format_of_file("chats.pq") == "parquet"
    assert parsing.resolve_format(None, "application/x-parquet") == "parquet"
