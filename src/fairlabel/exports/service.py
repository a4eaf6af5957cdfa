"""Feeds the export formats from the database in keyset pages: memory stays flat whatever
the project's size, and each pass opens its own read transaction."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from fairlabel.db import Database, utcnow
from fairlabel.formats.base import (
    ExportAnnotation,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
)
from fairlabel.models import Annotation, Item, Project

PAGE_SIZE = 2000


def describe_project(db: Session, project: Project) -> ExportProject:
    return ExportProject(
        id=project.id,
        name=project.name,
        organization=project.organization.name,
        questions=[ExportQuestion(q.name, q.type, dict(q.settings)) for q in project.questions],
        exported_at=utcnow(),
        guideline_version=project.guideline_version,
    )


def item_status(submitted: int, taken: int, overlap: int) -> str:
    """done: every requested label is in; in_progress: someone holds or submitted it."""
    if submitted >= overlap:
        return "done"
    return "in_progress" if taken else "new"


def record_source(database: Database, project_id: int, overlap: int) -> RecordSource:
    def records() -> Iterator[ExportRecord]:
        with database.session(write=False) as db:
            yield from _records(db, project_id, overlap)

    return records


# Plain SQL without ORM or type processing: at a million rows the per-row cost of result
# processing is the bulk of export time, so JSON and timestamps are decoded here directly.
_ITEMS_PAGE = text(
    "SELECT id, external_id, fields, meta, taken, submitted FROM items"
    " WHERE project_id = :project_id AND id > :after ORDER BY id LIMIT :limit"
)
_LATEST_ANNOTATIONS = text(
    "SELECT a.item_id, a.id, u.pseudonym, a.version, a.answers, a.guideline_version,"
    " a.time_spent_ms, a.created_at FROM annotations a JOIN users u ON u.id = a.worker_id"
    " WHERE a.item_id IN :item_ids AND a.is_latest ORDER BY a.item_id, a.id"
).bindparams(bindparam("item_ids", expanding=True))


def _records(db: Session, project_id: int, overlap: int) -> Iterator[ExportRecord]:
    after = 0
    while True:
        rows = db.execute(
            _ITEMS_PAGE, {"project_id": project_id, "after": after, "limit": PAGE_SIZE}
        ).all()
        if not rows:
            return
        annotations = _latest_annotations(db, [row[0] for row in rows])
        for item_id, external_id, fields, meta, taken, submitted in rows:
            yield ExportRecord(
                item_id=item_id,
                external_id=external_id,
                fields=_json(fields),
                meta=_json(meta) or {},
                status=item_status(submitted, taken, overlap),
                annotations=annotations.get(item_id, []),
            )
        after = rows[-1][0]


def _latest_annotations(db: Session, item_ids: Sequence[int]) -> dict[int, list[ExportAnnotation]]:
    found: dict[int, list[ExportAnnotation]] = defaultdict(list)
    for item_id, *row in db.execute(_LATEST_ANNOTATIONS, {"item_ids": item_ids}).all():
        annotation_id, worker, version, answers, guideline_version, spent, created = row
        found[item_id].append(
            ExportAnnotation(
                annotation_id,
                worker,
                version,
                _json(answers),
                guideline_version,
                spent,
                _timestamp(created),
            )
        )
    return found


def _json(value: Any) -> Any:
    """SQLite hands back JSON text, PostgreSQL already-decoded JSONB."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def annotation_count(db: Session, project_id: int) -> int:
    count: Any = db.scalar(
        select(func.count(Annotation.id)).where(
            Annotation.project_id == project_id, Annotation.is_latest
        )
    )
    return int(count or 0)


def item_count(db: Session, project_id: int) -> int:
    count: Any = db.scalar(select(func.count(Item.id)).where(Item.project_id == project_id))
    return int(count or 0)
