"""In-memory projects and records for the export-format tests: no database involved."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fairlabel.formats import (
    ExportAnnotation,
    ExportFormat,
    ExportOptions,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
)

EXPORTED_AT = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)


def make_project(
    *questions: ExportQuestion,
    name: str = "Street scenes",
    options: ExportOptions | None = None,
) -> ExportProject:
    return ExportProject(
        id=7,
        name=name,
        organization="Acme Vision",
        questions=list(questions),
        exported_at=EXPORTED_AT,
        guideline_version=3,
        options=options or ExportOptions(),
    )


def make_annotation(
    answers: dict[str, Any], *, id: int = 1, worker: str = "w-amber"
) -> ExportAnnotation:
    return ExportAnnotation(
        id=id,
        worker=worker,
        version=2,
        answers=answers,
        guideline_version=3,
        time_spent_ms=41_500,
        created_at=datetime(2024, 5, 16, 12, 0, 5, 250_000, tzinfo=UTC),
    )


def make_record(
    item_id: int,
    fields: dict[str, Any],
    *annotations: ExportAnnotation,
    external_id: str | None = None,
) -> ExportRecord:
    return ExportRecord(
        item_id=item_id,
        external_id=external_id or f"ext-{item_id}",
        fields=fields,
        meta={"batch": "b1"},
        status="done",
        annotations=list(annotations),
    )


def image(
    width: int | None = 640, height: int | None = 480, name: str | None = "scene.png"
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "src": "/api/projects/7/media/ab12",
        "sha256": "ab12",
        "width": width,
        "height": height,
        "content_type": "image/png",
    }
    if name is not None:
        value["name"] = name
    return value


BOXES = ExportQuestion("boxes", "bbox", {"field": "image", "labels": ["car", "person"]})
OUTLINES = ExportQuestion("outlines", "polygon", {"labels": ["road", "car"]})
ENTITIES = ExportQuestion("entities", "span", {"labels": ["PER", "LOC"]})
TOPIC = ExportQuestion("topic", "label", {"labels": ["sport", "news"]})


def generated(make: Callable[[], Iterable[ExportRecord]]) -> RecordSource:
    """A source whose every pass calls `make` afresh, as the database's runs a fresh query."""

    def read(*, with_annotations: bool = True) -> Iterator[ExportRecord]:
        records = iter(make())
        if with_annotations:
            return records
        return (replace(record, annotations=()) for record in records)

    return read


def source_of(records: Iterable[ExportRecord]) -> RecordSource:
    """A source that can be read as many times as a format needs."""
    kept = list(records)
    return generated(lambda: kept)


def export(fmt: ExportFormat, project: ExportProject, records: Iterable[ExportRecord]) -> bytes:
    """The whole file."""
    return b"".join(fmt.chunks(project, source_of(records)))
