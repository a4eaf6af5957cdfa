"""The streaming parsers, on their own: rows, line numbers, row errors, broken files, and the
same answer however the bytes are cut into chunks."""

import io
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlabel.items import parsing
from fairlabel.items.parsing import ParseError, RowError


def entries(fmt: parsing.ImportFormat, data: bytes, **kw: Any) -> list[Any]:
    return list(parsing.parse(fmt, io.BytesIO(data), **kw))


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def parse_error(fmt: parsing.ImportFormat, data: bytes, **kw: Any) -> RowError:
    with pytest.raises(ParseError) as caught:
        entries(fmt, data, **kw)
    return caught.value.problem


JSONL = (
    b'\xef\xbb\xbf{"external_id": "a", "fields": {"text": "caf\xc3\xa9"}}\r\n'
    b"\n"
    b'{"text": "second", "priority": 2}\n'
    b"   \n"
    b"[1, 2]\n"
    b'{"text": "no newline at the end"}'
)
JSON = (
    b'\n[\n  {"external_id": "a", "fields": {"text": "one"}},\n'
    b'  {"text": "two\\n\\"quoted\\" ]}"},\n\n  {"text": "three", "nested": {"a": [1, {"b": 2}]}}'
    b"\n]\n"
)
CSV = (
    b"external_id,text,meta.source,priority\r\n"
    b"a,hello,web,3\r\n"
    b'b,"multi\nline, with comma",,\r\n'
    b"\r\n"
    b"c,x,y,\r\n"
)


def test_jsonl_numbers_lines_skips_blanks_and_reports_bad_lines() -> None:
    got = entries("jsonl", JSONL)
    assert got[0] == (1, {"external_id": "a", "fields": {"text": "café"}})
    assert got[1] == (3, {"text": "second", "priority": 2})
    assert got[2] == (5, [1, 2])
    assert got[3] == (6, {"text": "no newline at the end"})
    assert len(got) == 4


def test_jsonl_malformed_line_is_a_row_error_and_parsing_goes_on() -> None:
    got = entries("jsonl", b'{"text": 1}\n{"text": \n{"text": 3}\n')
    assert got[0] == (1, {"text": 1})
    assert isinstance(got[1], RowError)
    assert (got[1].line, got[1].field) == (2, "json")
    assert got[2] == (3, {"text": 3})


def test_jsonl_too_long_line_is_dropped_as_it_streams() -> None:
    data = b'{"a": 1}\n' + b'{"a": "' + b"x" * 500 + b'"}\n{"a": 3}\n'
    got = list(parsing.parse("jsonl", cut(data, list(range(0, len(data), 7))), 100))
    assert got[0] == (1, {"a": 1})
    assert isinstance(got[1], RowError)
    assert got[1].line == 2
    assert got[2] == (3, {"a": 3})


def test_json_array_elements_with_their_lines() -> None:
    got = entries("json", JSON)
    assert [line for line, _record in got] == [3, 4, 6]
    assert got[1][1] == {"text": 'two\n"quoted" ]}'}
    assert got[2][1]["nested"] == {"a": [1, {"b": 2}]}


@pytest.mark.parametrize(
    ("data", "line", "needle"),
    [
        (b'{"a": 1}', 1, "'['"),
        (b'[{"a": 1}\n {"a": 2}]', 2, "','"),
        (b'[{"a": 1},\n\n {"a": }]', 3, "malformed JSON"),
        (b'[{"a": 1}] trailing', 1, "after the array"),
        (b'[{"a": 1},\n {"a": 2}', 2, "','"),
        (b'[{"a": NaN}]', 1, "NaN"),
        (b'[{"a": "\xff"}]', 1, "UTF-8"),
        (b'[{"a": "unterminated}]', 1, "malformed JSON"),
    ],
)
def test_broken_json_stops_the_import_with_the_line(data: bytes, line: int, needle: str) -> None:
    problem = parse_error("json", data)
    assert problem.line == line
    assert needle in problem.message
    assert problem.field == "file"


def test_json_element_larger_than_the_limit() -> None:
    data = b'[{"a": "' + b"x" * 1000 + b'"}]'
    problem = parse_error("json", data, max_record_bytes=100)
    assert "longer than 100 characters" in problem.message


def test_json_large_element_across_many_chunks() -> None:
    text = "y" * 3_000_000
    data = b'[{"a": 1}, {"text": "' + text.encode() + b'"}, {"a": 3}]'
    got = list(parsing.parse("json", cut(data, list(range(0, len(data), 65536)))))
    assert [record for _line, record in got] == [{"a": 1}, {"text": text}, {"a": 3}]


def test_empty_array_and_empty_files() -> None:
    assert entries("json", b" [ ] ") == []
    assert entries("jsonl", b"") == []
    assert entries("csv", b"") == []


def test_csv_columns_go_to_external_id_priority_meta_and_fields() -> None:
    got = entries("csv", CSV)
    assert got[0] == (
        2,
        {"fields": {"text": "hello"}, "external_id": "a", "priority": 3, "meta": {"source": "web"}},
    )
    assert got[1] == (
        3,
        {"fields": {"text": "multi\nline, with comma"}, "external_id": "b", "meta": {"source": ""}},
    )
    assert got[2][0] == 6


def test_csv_row_errors_wrong_column_count_and_bad_priority() -> None:
    got = entries("csv", b"text,priority\na,1\nb\nc,1,2\nd,high\n")
    assert got[0] == (2, {"fields": {"text": "a"}, "priority": 1})
    assert [(e.line, e.field) for e in got[1:]] == [(3, "columns"), (4, "columns"), (5, "priority")]
    assert got[1].value == 1 and "2 columns" in got[1].expected


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b'text\n"unterminated\n', "malformed CSV"),
        (b"text,text\na,b\n", "twice"),
        (b"text,\na,b\n", "empty column name"),
        (b"text\n\xff\xfe\n", "UTF-8"),
    ],
)
def test_broken_csv_stops_the_import(data: bytes, needle: str) -> None:
    assert needle in parse_error("csv", data).message


@pytest.mark.parametrize(
    ("requested", "content_type", "expected"),
    [
        ("csv", "application/json", "csv"),
        (None, "application/x-ndjson", "jsonl"),
        (None, "application/json; charset=utf-8", "json"),
        (None, "text/csv", "csv"),
    ],
)
def test_format_from_query_or_content_type(
    requested: str | None, content_type: str, expected: str
) -> None:
    assert parsing.resolve_format(requested, content_type) == expected


def test_unknown_format() -> None:
    with pytest.raises(ValueError):
        parsing.resolve_format(None, "application/octet-stream")
    with pytest.raises(ValueError):
        parsing.format_of_file("items.xml")


def test_format_of_a_file_name() -> None:
    assert [parsing.format_of_file(n) for n in ("a.JSONL", "b.ndjson", "c.json", "d.csv")] == [
        "jsonl",
        "jsonl",
        "json",
        "csv",
    ]


@settings(max_examples=60, deadline=None)
@given(fmt=st.sampled_from(["jsonl", "json", "csv"]), cuts=st.lists(st.integers(0, 400)))
def test_any_chunking_gives_the_same_rows(fmt: parsing.ImportFormat, cuts: list[int]) -> None:
    data = {"jsonl": JSONL, "json": JSON, "csv": CSV}[fmt]

    def normal(items: list[Any]) -> list[Any]:
        return [item.to_dict() if isinstance(item, RowError) else item for item in items]

    whole = normal(entries(fmt, data))
    assert normal(list(parsing.parse(fmt, cut(data, cuts)))) == whole
