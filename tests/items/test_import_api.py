"""Imports through the real API: JSONL, JSON and CSV; upserts; bad rows rejected whole or
skipped; broken files; oversized uploads; who may import."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.models import Item
from tests.factories import Factory
from tests.items.conftest import Setup, post_with_headers

Stored = Callable[[int], dict[str, Item]]


def jsonl(*rows: Any) -> bytes:
    return b"\n".join(orjson.dumps(row) for row in rows) + b"\n"


def error_lines(response: Any) -> list[tuple[int | None, str | None]]:
    return [(d["line"], d["field"]) for d in response.json()["error"]["details"]]


def test_jsonl_import_creates_items(setup: Setup, stored_items: Stored) -> None:
    body = jsonl(
        {"external_id": "a", "fields": {"text": "first"}, "meta": {"batch": 7}, "priority": 5},
        {"external_id": "b", "text": "second", "lang": "en"},
    )
    response = setup.import_(body)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "error_count": 0,
        "errors": [],
    }
    items = stored_items(setup.project_id)
    assert items["a"].fields == {"text": "first"}
    assert (items["a"].meta, items["a"].priority) == ({"batch": 7}, 5)
    assert items["b"].fields == {"text": "second", "lang": "en"}
    assert (items["b"].is_open, items["b"].taken, items["b"].meta) == (True, 0, {})


def test_json_array_import(setup: Setup, stored_items: Stored) -> None:
    body = b'[{"external_id": "x", "fields": {"text": "one"}},\n {"text": "two"}]'
    response = setup.import_(body, fmt="json")
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    assert {item.fields["text"] for item in stored_items(setup.project_id).values()} == {
        "one",
        "two",
    }


def test_csv_import(setup: Setup, stored_items: Stored) -> None:
    body = b'external_id,text,meta.source,priority\nr1,"Hello, world",web,2\nr2,"two\nlines",,\n'
    response = setup.import_(body, fmt="csv")
    assert response.status_code == 201, response.text
    items = stored_items(setup.project_id)
    assert items["r1"].fields == {"text": "Hello, world"}
    assert (items["r1"].meta, items["r1"].priority) == ({"source": "web"}, 2)
    assert items["r2"].fields == {"text": "two\nlines"}


def test_format_inferred_from_content_type(setup: Setup) -> None:
    response = post_with_headers(
        setup.owner,
        f"/api/projects/{setup.project_id}/imports",
        {"Content-Type": "text/csv"},
        content=b"text\nhello\n",
    )
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 1


def test_unknown_format_is_refused(setup: Setup) -> None:
    response = post_with_headers(
        setup.owner,
        f"/api/projects/{setup.project_id}/imports",
        {"Content-Type": "application/octet-stream"},
        content=b"text\nhello\n",
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "format"
    response = setup.import_(b"x", fmt="xml")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "format"


def test_reimport_upserts_and_keeps_queue_counters(
    setup: Setup, stored_items: Stored, database: Database
) -> None:
    assert (
        setup.import_(jsonl({"external_id": "a", "text": "old"}, {"text": "no id"})).status_code
        == 201
    )
    before = stored_items(setup.project_id)
    with database.session() as db:
        db.execute(
            update(Item).where(Item.external_id == "a").values(taken=1, submitted=1, is_open=False)
        )
    response = setup.import_(
        jsonl(
            {"external_id": "a", "text": "new", "priority": 9},
            {"text": "no id"},
            {"external_id": "c", "text": "added"},
        )
    )
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 1
    assert response.json()["updated"] == 2
    after = stored_items(setup.project_id)
    assert len(after) == 3
    assert after["a"].id == before["a"].id
    assert (after["a"].fields, after["a"].priority) == ({"text": "new"}, 9)
    assert (after["a"].taken, after["a"].submitted, after["a"].is_open) == (1, 1, False)
    derived = [key for key in after if key.startswith("sha1:")]
    assert len(derived) == 1 and derived[0] in before


BAD_ROWS = (
    jsonl(
        {"external_id": "ok-1", "text": "fine"},
        {"external_id": "x" * 600, "text": "id too long"},
        {"external_id": "ok-2", "text": "fine"},
        {"external_id": "p", "text": "t", "priority": "high"},
        {"external_id": "f", "fields": []},
        {"external_id": 12, "text": "id not a string"},
    )
    + b'{"text": "broken\n'
    + jsonl(
        {"external_id": "ok-1", "text": "repeated"},
        {"external_id": "m", "text": "t", "meta": "not an object"},
        {"external_id": "e", "fields": {}},
        {"external_id": "k", "fields": {"text": "t"}, "extra": 1},
        [1, 2],
        {"external_id": "n", "text": "nul \x00 inside"},
        {"external_id": "b", "text": "t", "priority": True},
        {"external_id": "ok-3", "text": "fine"},
    )
)
BAD_LINES = [
    (2, "external_id"),
    (4, "priority"),
    (5, "fields"),
    (6, "external_id"),
    (7, "json"),
    (8, "external_id"),
    (9, "meta"),
    (10, "fields"),
    (11, "extra"),
    (12, "row"),
    (13, "fields"),
    (14, "priority"),
]


@pytest.mark.parametrize("batch_rows", [5000, 2])
def test_bad_rows_reject_the_whole_file_with_every_line(
    setup: Setup,
    stored_items: Stored,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    batch_rows: int,
) -> None:
    monkeypatch.setattr(settings, "import_batch_rows", batch_rows)
    response = setup.import_(BAD_ROWS)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["field"], error["value"]) == ("rows", len(BAD_LINES))
    assert error_lines(response) == BAD_LINES
    repeated = error["details"][5]
    assert (repeated["value"], repeated["first_line"]) == ("ok-1", 1)
    assert stored_items(setup.project_id) == {}


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(
    setup: Setup, stored_items: Stored
) -> None:
    response = setup.import_(BAD_ROWS, skip_invalid="true")
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["created"], report["skipped"], report["error_count"]) == (3, 12, 12)
    assert [(e["line"], e["field"]) for e in report["errors"]] == BAD_LINES
    items = stored_items(setup.project_id)
    assert sorted(items) == ["ok-1", "ok-2", "ok-3"]
    assert items["ok-1"].fields == {"text": "fine"}


def test_error_list_is_capped_but_counted(setup: Setup) -> None:
    body = jsonl(*([{"fields": "not an object"}] * 1500), {"external_id": "ok", "text": "t"})
    response = setup.import_(body, skip_invalid="true")
    report = response.json()
    assert (report["created"], report["error_count"]) == (1, 1500)
    assert len(report["errors"]) == 1000
    assert report["errors"][-1]["line"] == 1000


def test_values_the_databases_cannot_store_are_row_errors(
    setup: Setup, stored_items: Stored
) -> None:
    body = (
        b'[{"external_id": "big", "fields": {"n": 123456789012345678901234567890}},\n'
        b' {"external_id": "nul", "fields": {"t": "a\\u0000b"}},\n'
        b' {"external_id": "fine", "fields": {"t": "a\\\\u0000b"}}]'
    )
    response = setup.import_(body, fmt="json")
    assert response.status_code == 422
    assert error_lines(response) == [(1, "fields"), (2, "fields")]
    response = setup.import_(body, fmt="json", skip_invalid="true")
    assert response.json()["created"] == 1
    assert stored_items(setup.project_id)["fine"].fields == {"t": "a\\u0000b"}


@pytest.mark.parametrize(
    ("fmt", "body", "line"),
    [
        ("json", b'[{"text": "a"},\n {"text": "b"}\n {"text": "c"}]', 3),
        ("json", b'{"text": "not an array"}', 1),
        ("json", b'[{"text": "a"},\n {"text": ', 2),
        ("csv", b'text,other\n"a",b\n"unterminated,c\n', 3),
    ],
)
def test_broken_files_are_refused_even_with_skip_invalid(
    setup: Setup, stored_items: Stored, fmt: str, body: bytes, line: int
) -> None:
    for skip in ("false", "true"):
        response = setup.import_(body, fmt=fmt, skip_invalid=skip)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == "file"
        assert error["details"][-1]["line"] == line
    assert stored_items(setup.project_id) == {}


def test_csv_row_with_the_wrong_number_of_columns(setup: Setup, stored_items: Stored) -> None:
    response = setup.import_(b"external_id,text\na,one\nb,two,extra\nc\n", fmt="csv")
    assert response.status_code == 422
    assert error_lines(response) == [(3, "columns"), (4, "columns")]
    assert stored_items(setup.project_id) == {}


def test_declared_oversized_upload_is_refused_before_reading(
    setup: Setup, settings: Settings, monkeypatch: pytest.MonkeyPatch, stored_items: Stored
) -> None:
    monkeypatch.setattr(settings, "max_upload_bytes", 100)
    response = setup.import_(jsonl(*[{"text": f"row {n}"} for n in range(20)]))
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "Content-Length"
    assert stored_items(setup.project_id) == {}


def test_streamed_upload_stops_at_the_limit(
    setup: Setup, settings: Settings, monkeypatch: pytest.MonkeyPatch, stored_items: Stored
) -> None:
    monkeypatch.setattr(settings, "max_upload_bytes", 1000)
    monkeypatch.setattr(settings, "import_batch_rows", 3)

    def chunks() -> Iterator[bytes]:
        for n in range(100):
            yield jsonl({"text": f"row {n}"})

    response = setup.owner.post(
        f"/api/projects/{setup.project_id}/imports", params={"format": "jsonl"}, content=chunks()
    )
    assert response.status_code == 413, response.text
    assert stored_items(setup.project_id) == {}


def test_who_may_import(setup: Setup, factory: Factory) -> None:
    url = f"/api/projects/{setup.project_id}/imports"
    body = jsonl({"text": "t"})
    viewer = factory.user(org_id=setup.org_id, role="viewer")
    stranger, _other_org = factory.owner()
    worker = factory.worker()
    assert viewer.post(url, content=body, params={"format": "jsonl"}).status_code == 403
    assert stranger.post(url, content=body, params={"format": "jsonl"}).status_code == 404
    assert worker.post(url, content=body, params={"format": "jsonl"}).status_code == 404
    assert setup.owner.client.post(url, content=body).status_code == 401
    missing = setup.owner.post("/api/projects/999999/imports", content=body)
    assert missing.status_code == 404


def test_operation_ids_are_snake_case(setup: Setup) -> None:
    spec = setup.owner.get("/api/openapi.json").json()
    ids = {
        op["operationId"]
        for path, ops in spec["paths"].items()
        for op in ops.values()
        if "items" in op["tags"]
    }
    assert ids == {"import_items", "upload_media", "list_items", "get_item", "get_media"}


TRICKY = [
    {"external_id": "tab\there", "fields": {"text": "back\\slash \\n not a newline"}},
    {"external_id": "new\nline\r", "fields": {"text": "quote \" and 'apostrophe'"}},
    {"external_id": "back\\slash", "fields": {"text": "émoji 🎉 and \u2028", "n": [1.5, None]}},
    {"external_id": "\\.", "fields": {"text": "\\."}, "meta": {"k": "\t\n"}},
]


def test_strings_round_trip_on_first_import_and_on_upsert(
    setup: Setup, stored_items: Stored
) -> None:
    for expected_created in (4, 0):
        response = setup.import_(jsonl(*TRICKY))
        assert response.status_code == 201, response.text
        assert response.json()["created"] == expected_created
        items = stored_items(setup.project_id)
        for row in TRICKY:
            item = items[row["external_id"]]
            assert item.fields == row["fields"]
            assert item.meta == row.get("meta", {})


def test_streamed_upload_over_real_http(
    setup: Setup, live_server: str, stored_items: Stored
) -> None:
    """Through uvicorn, with a chunked body cut mid-line, as a slow client would send it."""
    body = jsonl(*[{"external_id": f"r{n}", "text": f"row {n}"} for n in range(20_000)])

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 7_777):
            yield body[start : start + 7_777]

    response = httpx.post(
        f"{live_server}/api/projects/{setup.project_id}/imports",
        params={"format": "jsonl"},
        content=chunks(),
        headers=setup.owner.headers,
        timeout=60,
    )
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 20_000
    assert stored_items(setup.project_id)["r19999"].fields == {"text": "row 19999"}
