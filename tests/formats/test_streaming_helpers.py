"""The pieces every format is built from: lazily decoded JSON, JSON arrays written in
pieces, and chunking."""

import orjson
import pytest

from fairlabel.formats import CHUNK_SIZE, JsonObject, get_format
from fairlabel.formats.base import json_items, rechunk

from .factories import TOPIC, export, make_annotation, make_project, make_record

STORED = '{"text":  "as stored",\n "n": [1, 2.50]}'


def test_json_object_reads_like_a_dict() -> None:
    value = JsonObject(STORED)
    assert value == {"text": "as stored", "n": [1, 2.5]}
    assert value["text"] == value.get("text") == "as stored"
    assert (value.get("missing"), value.get("missing", 7)) == (None, 7)
    assert sorted(value) == ["n", "text"] and len(value) == 2
    with pytest.raises(KeyError):
        value["missing"]


def test_jsonl_copies_stored_json_without_re_encoding_it() -> None:
    annotation = make_annotation({})
    annotation.answers = JsonObject(STORED)
    record = make_record(1, {})
    record.fields, record.annotations = JsonObject(STORED), [annotation]
    line = export(get_format("jsonl"), make_project(TOPIC), [record])
    assert line.count(STORED.encode()) == 2
    row = orjson.loads(line)
    assert row["item"]["fields"] == row["annotations"][0]["answers"] == orjson.loads(STORED)


@pytest.mark.parametrize("count", [0, 1, 5, 450])
def test_json_items_write_a_valid_array_in_pieces(count: int) -> None:
    values = [{"id": n, "name": f"v{n}"} for n in range(count)]
    pieces = list(json_items(iter(values), batch=200))
    assert len(pieces) == -(-count // 200)
    assert orjson.loads(b"[" + b"".join(pieces) + b"]") == values


def test_rechunk_joins_small_pieces_and_passes_large_ones_uncopied() -> None:
    large = b"L" * CHUNK_SIZE
    chunks = list(rechunk([b"a" * 10] * 3 + [large] + [b"b"]))
    assert chunks[0] == b"a" * 30 + large
    assert next(rechunk([large, b"b"])) is large
    assert b"".join(chunks) == b"a" * 30 + large + b"b"
