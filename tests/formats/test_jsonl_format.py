"""JSONL: every item with every annotation, read back unchanged."""

from datetime import datetime

import orjson

from fairlabel.formats import get_format

from .factories import BOXES, TOPIC, export, image, make_annotation, make_project, make_record

RECORDS = [
    make_record(
        1,
        {"text": 'Grüße, 東京 \u2028 "quoted"\nline', "image": image()},
        make_annotation({"topic": "news", "boxes": [{"x": 1.5, "y": 2, "width": 3, "height": 4}]}),
        make_annotation({"topic": "sport"}, id=2, worker="w-birch"),
    ),
    make_record(2, {"text": ""}),
]


def test_round_trip() -> None:
    data = export(get_format("jsonl"), make_project(TOPIC, BOXES), RECORDS)
    lines = data.split(b"\n")
    assert lines[-1] == b""
    assert len(lines) == len(RECORDS) + 1
    for line, record in zip(lines, RECORDS, strict=False):
        row = orjson.loads(line)
        assert row["item"] == {
            "id": record.item_id,
            "external_id": record.external_id,
            "fields": record.fields,
            "meta": record.meta,
        }
        assert row["status"] == record.status
        assert len(row["annotations"]) == len(record.annotations)
        for written, annotation in zip(row["annotations"], record.annotations, strict=True):
            assert datetime.fromisoformat(written.pop("created_at")) == annotation.created_at
            assert written == {
                "id": annotation.id,
                "worker": annotation.worker,
                "version": annotation.version,
                "answers": annotation.answers,
                "guideline_version": annotation.guideline_version,
                "time_spent_ms": annotation.time_spent_ms,
            }


def test_timestamps_are_iso_8601_with_offset() -> None:
    row = orjson.loads(export(get_format("jsonl"), make_project(TOPIC), RECORDS[:1]))
    assert row["annotations"][0]["created_at"] == "2024-05-16T12:00:05.250000+00:00"


def test_empty_project_gives_an_empty_file() -> None:
    assert export(get_format("jsonl"), make_project(TOPIC), []) == b""
