"""Feeds the export formats from the database in keyset pages: memory stays flat whatever
the project's size, and each pass reads one snapshot (a read transaction: WAL on SQLite,
REPEATABLE READ on PostgreSQL), so its pages agree with each other."""

from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairlabel.db import Database, utcnow
from fairlabel.errors import ValidationFailed
from fairlabel.evaluation.battles import arena_export, battle_sides
from fairlabel.formats.base import (
    ExportAnnotation,
    ExportOptions,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    JsonObject,
    MediaStore,
    RecordSource,
)
from fairlabel.formats.registry import format_names, get_format
from fairlabel.formats.split import IMAGE_SPLITS, check_seed, parse_split
from fairlabel.items.media import media_path
from fairlabel.models import Annotation, Item, Media, Project

PAGE_SIZE = 5000
"""Items per round trip: large enough that round trips cost nothing, small enough that a
page's records stay a few megabytes."""


def describe_project(
    db: Session, project: Project, options: ExportOptions | None = None
) -> ExportProject:
    return ExportProject(
        id=project.id,
        name=project.name,
        organization=project.organization.name,
        questions=[ExportQuestion(q.name, q.type, dict(q.settings)) for q in project.questions],
        exported_at=utcnow(),
        guideline_version=project.guideline_version,
        options=options or ExportOptions(),
        battle_models=battle_sides(db, project.id),
        arena_votes=arena_export(db, project.id),
    )


def export_options(
    db: Session,
    database: Database,
    project: Project,
    *,
    split: str | None = None,
    seed: int | None = None,
    include_media: bool = False,
    format: str | None = None,
) -> ExportOptions:
    """The options of an export request, checked before anything is streamed: a bad split or
    seed, or media asked of a project that stores none, is a 422 and writes nothing. The
    format, when given, says which splits it needs (see formats.split.SplitNeeds)."""
    checked_seed = None if seed is None else check_seed(seed)
    needs = get_format(format).split_needs if format in format_names() else IMAGE_SPLITS
    parsed = None if split is None else parse_split(split, checked_seed or 0, needs)
    if include_media and not has_media(db, project.id):
        raise ValidationFailed(
            f"project {project.name!r} stores no media files: its images are URLs only",
            field="include_media",
            value=True,
            expected="a project with imported media files, or include_media=false",
        )
    media = media_store(database, project.id) if include_media else None
    return ExportOptions(parsed, checked_seed, include_media, media)


def has_media(db: Session, project_id: int) -> bool:
    found = db.scalar(select(Media.id).where(Media.project_id == project_id).limit(1))
    return found is not None


def media_store(database: Database, project_id: int) -> MediaStore:
    """Looks each hash up among the project's own media, so that an item whose fields name
    another project's file never copies it into this project's export."""

    def stored(sha256: str) -> Path | None:
        with database.session(write=False) as db:
            owned = db.scalar(
                select(Media.id).where(Media.project_id == project_id, Media.sha256 == sha256)
            )
        path = media_path(database.settings, sha256)
        return path if owned is not None and path.is_file() else None

    return stored


def item_status(submitted: int, taken: int, overlap: int) -> str:
    """done: every requested label is in; in_progress: someone holds or submitted it."""
    if submitted >= overlap:
        return "done"
    return "in_progress" if taken else "new"


def record_source(database: Database, project_id: int, overlap: int) -> RecordSource:
    """Each call reads the project in its own transaction. Later calls stop at the last item
    of the first, so that an item imported in between cannot show up in one pass of a
    two-pass format (COCO's annotations) and be missing from the other (its images)."""
    first_pass_end: list[int] = []

    def records(*, with_annotations: bool = True) -> Iterator[ExportRecord]:
        with database.session(write=False) as db:
            reader = _Reader(db, project_id, overlap)
            last = first_pass_end[0] if first_pass_end else _NO_END
            yield from reader.records(with_annotations, last)
            if not first_pass_end:
                first_pass_end.append(reader.last_item_id)

    return records


_NO_END = 2**63 - 1
_Rows = list[tuple[Any, ...]]
_Page = tuple[_Rows, _Rows]


@dataclass(frozen=True, slots=True)
class _Dialect:
    """Where SQLite and PostgreSQL differ. JSON comes back as text on both (JSONL copies it
    as it is); timestamps as text that fromisoformat reads (SQLite) or as UTC datetimes."""

    items: str
    annotations: str
    setup: tuple[str, ...]
    parse_time: Callable[[Any], datetime]
    read_ahead: bool
    """PostgreSQL computes a page in its own process, so fetching the next one while this
    one is processed gains; SQLite computes it in ours, holding the GIL as it hands rows out."""


def _same(value: Any) -> Any:
    return value


# Plain DB-API cursors without ORM, SQLAlchemy rows or type processing: at a million rows
# the per-row cost of result processing is the bulk of export time.
def _dialect(
    json: Callable[[str], str],
    stamp: str,
    mark: str,
    setup: tuple[str, ...] = (),
    parse_time: Callable[[Any], datetime] = _same,
    read_ahead: bool = False,
) -> _Dialect:
    """`json` selects a JSON column as text, `stamp` the annotation time, `mark` is the
    driver's parameter placeholder."""
    p = mark
    items = (
        f"SELECT id, external_id, {json('fields')}, {json('meta')}, taken, submitted FROM items"
        f" WHERE project_id = {p} AND id > {p} AND id <= {p} ORDER BY id LIMIT {p}"
    )
    annotations = (
        f"SELECT a.item_id, a.id, u.pseudonym, a.version, {json('a.answers')},"
        f" a.guideline_version, a.time_spent_ms, {stamp}, a.verdict"
        " FROM annotations a JOIN users u ON u.id = a.worker_id"
        f" WHERE a.item_id BETWEEN {p} AND {p} AND a.project_id = {p} AND a.is_latest"
        " ORDER BY a.item_id, a.id"
    )
    return _Dialect(items, annotations, setup, parse_time, read_ahead)


_SQLITE = _dialect(
    json=str, stamp="a.created_at || '+00:00'", mark="?", parse_time=datetime.fromisoformat
)
_POSTGRESQL = _dialect(
    json="{}::text".format,
    stamp="a.created_at",
    mark="%s",
    setup=(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "SET LOCAL TIME ZONE 'UTC'",
    ),
    read_ahead=True,
)


class _Reader:
    """One pass over a project's items, page by page, with the latest annotations of each."""

    def __init__(self, db: Session, project_id: int, overlap: int) -> None:
        self._db = db
        self._project_id = project_id
        self._overlap = overlap
        self._dialect = _SQLITE if db.get_bind().dialect.name == "sqlite" else _POSTGRESQL
        self.last_item_id = 0

    def records(self, with_annotations: bool, last: int) -> Iterator[ExportRecord]:
        """Rows are turned into records only as they are handed out: objects that die young
        cost the garbage collector little, a page of them kept alive costs it much."""
        pages = self._pages(with_annotations, last)
        for rows, notes in _read_ahead(pages) if self._dialect.read_ahead else pages:
            yield from self._page_records(rows, notes)

    def _pages(self, with_annotations: bool, last: int) -> Generator[_Page]:
        """(items, their latest annotations), a page at a time, in item id order."""
        dialect, project_id = self._dialect, self._project_id
        cursor = self._db.connection().connection.cursor()
        try:
            for statement in dialect.setup:
                cursor.execute(statement)
            while rows := _fetch(
                cursor, dialect.items, (project_id, self.last_item_id, last, PAGE_SIZE)
            ):
                first, self.last_item_id = rows[0][0], rows[-1][0]
                notes: _Rows = []
                if with_annotations:
                    bounds = (first, self.last_item_id, project_id)
                    notes = _fetch(cursor, dialect.annotations, bounds)
                yield rows, notes
        finally:
            cursor.close()

    def _page_records(self, rows: _Rows, notes: _Rows) -> Iterator[ExportRecord]:
        """Items and their annotations, both in item id order, walked side by side. Every
        exported annotation goes through this loop, so it calls no helper per annotation."""
        overlap, parse_time = self._overlap, self._dialect.parse_time
        position, end = 0, len(notes)
        for item_id, external_id, fields, meta, taken, submitted in rows:
            annotations = []
            while position < end and notes[position][0] == item_id:
                _, number, worker, version, answers, guideline, spent, stamp, verdict = notes[
                    position
                ]
                annotations.append(
                    ExportAnnotation(
                        number,
                        worker,
                        version,
                        JsonObject(answers),
                        guideline,
                        spent,
                        parse_time(stamp),
                        verdict,
                    )
                )
                position += 1
            status = item_status(submitted, taken, overlap)
            yield ExportRecord(
                item_id, external_id, JsonObject(fields), JsonObject(meta), status, annotations
            )


def _read_ahead(pages: Generator[_Page]) -> Iterator[_Page]:
    """Fetches the next page in a background thread while the caller works on this one: the
    database server computes it meanwhile, on another core. Abandoned, it waits for the page
    in flight before closing, so the connection is never used by two threads at once."""
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read-ahead") as pool:
            pending = pool.submit(next, pages, None)
            while (page := pending.result()) is not None:
                pending = pool.submit(next, pages, None)
                yield page
    finally:
        pages.close()


def _fetch(cursor: Any, sql: str, params: tuple[Any, ...]) -> _Rows:
    cursor.execute(sql, params)
    rows: _Rows = cursor.fetchall()
    return rows


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
