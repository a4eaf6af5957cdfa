"""The native format: one JSON line per item with every annotation, nothing lost."""

from collections.abc import Iterator
from typing import Any

import orjson

from fairlabel.formats.base import (
    ExportAnnotation,
    ExportFormat,
    ExportProject,
    ExportRecord,
    RecordSource,
    json_value,
    rechunk,
)
from fairlabel.formats.registry import register

_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NAIVE_UTC


@register
class JsonlFormat(ExportFormat):
    name = "jsonl"
    media_type = "application/x-ndjson"
    extension = ".jsonl"
    description = "fairlabel JSON Lines: each item with its fields, status and every annotation"

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        return rechunk(orjson.dumps(_line(record), option=_OPTIONS) for record in source())


def _line(record: ExportRecord) -> dict[str, Any]:
    """Fields, meta and answers are copied as stored (see JsonObject), never re-encoded."""
    return {
        "item": {
            "id": record.item_id,
            "external_id": record.external_id,
            "fields": json_value(record.fields),
            "meta": json_value(record.meta),
        },
        "status": record.status,
        "annotations": [_annotation(a) for a in record.annotations],
    }


def _annotation(annotation: ExportAnnotation) -> dict[str, Any]:
    return {
        "id": annotation.id,
        "worker": annotation.worker,
        "version": annotation.version,
        "answers": json_value(annotation.answers),
        "guideline_version": annotation.guideline_version,
        "time_spent_ms": annotation.time_spent_ms,
        "created_at": annotation.created_at,
    }
