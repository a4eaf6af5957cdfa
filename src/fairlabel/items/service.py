"""Items: streaming import, listing, and media items.

The import path avoids ORM objects and per-row pydantic: rows are checked in plain Python
(`rows.py`), encoded for the database by orjson as they arrive, and upserted a batch per
statement (`writers.py`) by a thread beside the parser."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import String, cast, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.config import Settings
from fairlabel.db import utcnow
from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.items import archive, media
from fairlabel.items.dedupe import DuplicateFinder
from fairlabel.items.errors import item_not_found, media_not_found
from fairlabel.items.extras import RowExtras, check_extras, store_extras, take_extras
from fairlabel.items.parsing import Entry, ParseError, RowError
from fairlabel.items.rows import PreparedRow, prepare_row, unstorable
from fairlabel.items.schemas import MAX_LISTED_ERRORS, ImportReport
from fairlabel.items.writers import ItemWriter, WriterThread, lock_project_items, writer_for
from fairlabel.models import Assignment, AssignmentStatus, Item, Media, Project
from fairlabel.questions import QuestionSpec

HOLDING_STATUSES = (AssignmentStatus.active, AssignmentStatus.submitted)


# --- import ----------------------------------------------------------------------------------


class _Problems:
    """Every bad row counted; the first MAX_LISTED_ERRORS kept to be listed."""

    def __init__(self) -> None:
        self.listed: list[dict[str, Any]] = []
        self.total = 0

    def add(self, problem: RowError) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(problem.to_dict())

    def by_line(self) -> list[dict[str, Any]]:
        return sorted(self.listed, key=lambda p: (p["line"] is None, p["line"] or 0))

    def report(self, created: int, updated: int) -> ImportReport:
        return ImportReport.model_validate(
            {
                "created": created,
                "updated": updated,
                "skipped": self.total,
                "error_count": self.total,
                "errors": self.by_line(),
            }
        )


class _ImportRun:
    """One import: check each row and encode it for the writer at once, so a batch holds
    only bytes, strings and ints (nothing for the garbage collector to scan); drop repeated
    ids a batch at a time; hand batches to the writer thread. Without skip_invalid the first
    bad row stops all writing, and parsing goes on only to list every bad row."""

    def __init__(
        self,
        writer: ItemWriter,
        *,
        specs: list[QuestionSpec],
        skip_invalid: bool,
        batch_rows: int,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        self.writer = writer
        self.specs = specs
        self.extras: dict[int, RowExtras] = {}
        self.skip_invalid = skip_invalid
        self.batch_rows = max(1, batch_rows)
        self.on_progress = on_progress
        self.problems = _Problems()
        self.duplicates = DuplicateFinder()
        self.thread: WriterThread | None = None
        self.encoded: list[bytes] = []
        self.ids: list[str] = []
        self.lines: list[int] = []
        self.rows_seen = 0

    def consume(self, entries: Iterable[Entry]) -> None:
        encoded, ids, lines, size = self.encoded, self.ids, self.lines, self.batch_rows
        add_problem, encode = self.problems.add, self._encode
        for entry in entries:
            if type(entry) is RowError:
                add_problem(entry)
                continue
            line, record = entry  # type: ignore[misc]
            extra = take_extras(record)
            row = prepare_row(line, record)
            if type(row) is RowError:
                add_problem(row)
                continue
            data = encode(line, row)  # type: ignore[arg-type]
            if type(data) is RowError:
                add_problem(data)
                continue
            if extra is not None and not self._keep_extras(line, row, extra):  # type: ignore[arg-type]
                continue
            encoded.append(data)  # type: ignore[arg-type]
            ids.append(row[0])  # type: ignore[index]
            lines.append(line)
            if len(encoded) >= size:
                self.flush()
        self.flush()

    def _keep_extras(self, line: int, row: PreparedRow, extra: dict[str, Any]) -> bool:
        """Check a row's gold answers and suggestions; a bad one makes the row bad."""
        checked = check_extras(line, row[0], row[1], extra, self.specs)
        if type(checked) is RowError:
            self.problems.add(checked)
            return False
        self.extras[line] = checked  # type: ignore[assignment]
        return True

    def _encode(self, line: int, row: PreparedRow) -> bytes | RowError:
        """The row as the writer sends it, or why no database can store it the same way."""
        try:
            data = self.writer.encode_row(row)
        except TypeError:
            return unstorable(line, row) or RowError(
                line, "fields", row[1], "JSON values", "the row cannot be serialised"
            )
        if b"\\u0000" in data:
            return unstorable(line, row) or data
        return data

    def flush(self) -> None:
        self.rows_seen = self.lines[-1] if self.lines else self.rows_seen
        rows = self._without_repeats()
        if rows and (self.skip_invalid or not self.problems.total):
            if self.thread is None:
                self.thread = WriterThread(self.writer)
            self.thread.submit(rows)
        self.encoded.clear()
        self.ids.clear()
        self.lines.clear()
        if self.on_progress is not None:
            self.on_progress(self.rows_seen)

    def _without_repeats(self) -> list[bytes]:
        repeats = self.duplicates.check(self.ids, self.lines)
        if not repeats:
            return self.encoded
        for index, first_line in sorted(repeats.items()):
            external_id = self.ids[index]
            self.extras.pop(self.lines[index], None)
            self.problems.add(
                RowError(
                    self.lines[index],
                    "external_id",
                    external_id,
                    "an external_id used once in the file",
                    f"external_id {external_id!r} repeats line {first_line}",
                    first_line,
                )
            )
        return [row for index, row in enumerate(self.encoded) if index not in repeats]

    def close(self, *, failing: bool) -> None:
        if self.thread is not None:
            self.thread.close(raise_errors=not failing)

    def rejection(self, message: str, field: str, value: Any) -> ValidationFailed:
        return ValidationFailed(
            message,
            field=field,
            value=value,
            expected="every row valid, or skip_invalid to import the rest",
            details=self.problems.by_line(),
        )

    def report(self) -> ImportReport:
        total = self.problems.total
        if total and not self.skip_invalid:
            raise self.rejection(f"{total} invalid row(s); nothing was imported", "rows", total)
        created, updated = self.writer.totals()
        return self.problems.report(created, updated)


def import_rows(
    db: Session,
    project: Project,
    rows: Iterable[Entry],
    *,
    skip_invalid: bool,
    on_progress: Callable[[int], None] | None = None,
    batch_rows: int = 5000,
) -> ImportReport:
    """Upsert parsed rows by (project, external_id) in the caller's write transaction.
    Without skip_invalid any bad row rejects the whole file (422 listing every bad line) and
    the transaction rolls back; a broken file structure rejects it whatever skip_invalid says.
    `on_progress` hears how many lines were read, once a batch."""
    run = _ImportRun(
        writer_for(db, project),
        specs=[(q.name, q.type, q.settings, q.required) for q in project.questions],
        skip_invalid=skip_invalid,
        batch_rows=batch_rows,
        on_progress=on_progress,
    )
    try:
        run.consume(rows)
    except ParseError as exc:
        run.close(failing=True)
        run.problems.add(exc.problem)
        raise run.rejection(
            f"the file is malformed: {exc}; nothing was imported", "file", exc.problem.value
        ) from None
    except BaseException:
        run.close(failing=True)
        raise
    run.close(failing=False)
    report = run.report()
    store_extras(db, project, list(run.extras.values()))
    return report


# --- reading ---------------------------------------------------------------------------------


def list_items(db: Session, project_id: int, after_id: int | None, limit: int) -> list[Item]:
    """A page in id order; keyset pagination stays fast on the millionth item."""
    query = select(Item).where(Item.project_id == project_id)
    if after_id is not None:
        query = query.where(Item.id > after_id)
    return list(db.scalars(query.order_by(Item.id).limit(limit)))


def get_item(db: Session, item_id: int) -> Item:
    item = db.get(Item, item_id)
    if item is None:
        raise item_not_found(item_id)
    return item


def worker_holds_item(db: Session, worker_id: int, item_id: int) -> bool:
    return bool(
        db.scalar(
            select(
                exists().where(
                    Assignment.item_id == item_id,
                    Assignment.worker_id == worker_id,
                    Assignment.status.in_(HOLDING_STATUSES),
                )
            )
        )
    )


def worker_holds_media(db: Session, worker_id: int, row: Media) -> bool:
    """True when the worker holds an assignment on an item that shows this file: its own
    item, or any item of the project whose fields name its hash."""
    shows_file = or_(Item.id == row.item_id, cast(Item.fields, String).contains(row.sha256))
    return bool(
        db.scalar(
            select(
                exists().where(
                    Assignment.item_id == Item.id,
                    Assignment.worker_id == worker_id,
                    Assignment.project_id == row.project_id,
                    Assignment.status.in_(HOLDING_STATUSES),
                    shows_file,
                )
            )
        )
    )


def get_media(db: Session, project_id: int, sha256: str) -> Media:
    found = None
    if media.is_sha256(sha256):
        found = db.scalar(
            select(Media).where(Media.project_id == project_id, Media.sha256 == sha256)
        )
    if found is None:
        raise media_not_found(sha256)
    return found


# --- media -----------------------------------------------------------------------------------


def import_media_file(
    db: Session,
    settings: Settings,
    project: Project,
    filename: str | None,
    stream: BinaryIO,
    content_type: str | None = None,
) -> Item:
    """Store one file by content, read what it is (an image's size), and upsert its item
    under the file's name. The client's content type is not trusted: the bytes decide."""
    del content_type
    return upsert_media_item(db, settings, project, filename, stream)[0]


def upsert_media_item(
    db: Session, settings: Settings, project: Project, filename: str | None, stream: BinaryIO
) -> tuple[Item, bool]:
    """`import_media_file`, also saying whether the item is new."""
    with media.Staging(settings) as staging:
        staged = staging.add(media.safe_name(filename), stream)
        return add_media_item(db, project, staging.place(staged))


def stage_uploads(
    staging: media.Staging, uploads: Iterable[tuple[str | None, BinaryIO]]
) -> list[media.StoredFile]:
    """Each uploaded file, or in a zip archive's place the media files it holds, written and
    checked; the first bad one raises, and the staging then keeps none."""
    staged = []
    for filename, stream in uploads:
        name = media.safe_name(filename)
        head = stream.read(archive.ZIP_HEAD_BYTES)
        stream.seek(0)
        if not archive.is_zip(head):
            staged.append(staging.add(name, stream))
            continue
        entries = archive.media_entries(stream, name, staging.settings)
        staged.extend(staging.add(entry, entry_stream) for entry, entry_stream in entries)
    return staged


def add_media_item(db: Session, project: Project, stored: media.StoredFile) -> tuple[Item, bool]:
    """Upsert the item of a placed file under its name, and the project's media row."""
    if db.get_bind().dialect.name == "postgresql":
        lock_project_items(db, project.id)
    info = stored.info
    description: dict[str, Any] = {
        "src": f"/api/projects/{project.id}/media/{stored.sha256}",
        "sha256": stored.sha256,
        "content_type": info.content_type,
        "size": stored.size,
        "name": stored.name,
    }
    if info.width is not None:
        description |= {"width": info.width, "height": info.height}
    item, created = _upsert_item(db, project, stored.name, {info.kind: description})
    row = _media_row(db, project, stored)
    if row.item_id is None:
        row.item_id = item.id
    return item, created


def _dialect_insert(db: Session) -> Callable[..., Any]:
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _upsert_item(
    db: Session, project: Project, external_id: str, fields: dict[str, Any]
) -> tuple[Item, bool]:
    now = utcnow()
    statement = _dialect_insert(db)(Item).values(
        project_id=project.id,
        external_id=external_id,
        fields=fields,
        meta={},
        priority=0,
        taken=0,
        submitted=0,
        is_open=project.overlap > 0,
        created_at=now,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Item.project_id, Item.external_id],
        set_={"fields": statement.excluded.fields, "updated_at": statement.excluded.updated_at},
    )
    db.execute(statement)
    item = db.scalars(
        select(Item)
        .where(Item.project_id == project.id, Item.external_id == external_id)
        .execution_options(populate_existing=True)
    ).one()
    return item, item.created_at == item.updated_at


def _media_row(db: Session, project: Project, stored: media.StoredFile) -> Media:
    info = stored.info
    statement = _dialect_insert(db)(Media).values(
        project_id=project.id,
        sha256=stored.sha256,
        name=stored.name,
        kind=info.kind,
        content_type=info.content_type,
        size=stored.size,
        width=info.width,
        height=info.height,
        created_at=utcnow(),
    )
    db.execute(statement.on_conflict_do_nothing(index_elements=[Media.project_id, Media.sha256]))
    return db.scalars(
        select(Media).where(Media.project_id == project.id, Media.sha256 == stored.sha256)
    ).one()


def import_media_folder(
    db: Session,
    settings: Settings,
    project: Project,
    folder: Path,
    on_progress: Callable[[int], None] | None = None,
    *,
    skip_invalid: bool = False,
) -> ImportReport:
    """Every file under `folder` (hidden ones and links leading out of it left alone), named by
    its relative path. Like row imports: one bad file rejects all, and then no file is kept,
    unless skip_invalid."""
    problems = _Problems()
    files = _opened(_folder_files(folder, problems))
    return _import_files(db, settings, project, files, problems, on_progress, skip_invalid)


def import_media_archive(
    db: Session,
    settings: Settings,
    project: Project,
    path: Path,
    on_progress: Callable[[int], None] | None = None,
    *,
    skip_invalid: bool = False,
) -> ImportReport:
    """The media files of a zip archive, as `import_media_folder` imports a folder; an
    archive with an unsafe entry is refused whole, skip_invalid or not (see archive.py)."""
    with path.open("rb") as file:
        entries = archive.media_entries(file, media.safe_name(path.name), settings)
        return _import_files(db, settings, project, entries, _Problems(), on_progress, skip_invalid)


def _opened(files: Iterator[tuple[Path, str]]) -> Iterator[tuple[str, media.Readable]]:
    for path, name in files:
        with path.open("rb") as stream:
            yield name, stream


def _import_files(
    db: Session,
    settings: Settings,
    project: Project,
    files: Iterator[tuple[str, media.Readable]],
    problems: _Problems,
    on_progress: Callable[[int], None] | None,
    skip_invalid: bool,
) -> ImportReport:
    with media.Staging(settings) as staging:
        staged = []
        for name, stream in files:
            try:
                staged.append(staging.add(media.safe_name(name), stream))
            except FairlabelError as exc:
                problems.add(
                    RowError(None, exc.field, name, exc.expected or "a media file", exc.message)
                )
                continue
            if on_progress is not None:
                on_progress(len(staged))
        if problems.total and not skip_invalid:
            raise ValidationFailed(
                f"{problems.total} file(s) cannot be imported; nothing was",
                field="files",
                value=problems.total,
                expected="every file a readable image, audio or video file, "
                "or skip_invalid to import the readable ones",
                details=problems.by_line(),
            )
        created = sum(add_media_item(db, project, staging.place(one))[1] for one in staged)
    return problems.report(created, len(staged) - created)


def _folder_files(folder: Path, problems: _Problems) -> Iterator[tuple[Path, str]]:
    root = folder.resolve()
    if not root.is_dir():
        raise ValidationFailed(
            "not a folder",
            field="folder",
            value=str(folder),
            expected="an existing folder of media files",
        )
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for file_name in sorted(files):
            if file_name.startswith("."):
                continue
            path = Path(directory, file_name)
            name = path.relative_to(root).as_posix()
            if not path.resolve().is_relative_to(root) or not path.resolve().is_file():
                problems.add(
                    RowError(
                        None,
                        "file",
                        name,
                        "a file inside the folder",
                        "a link leading outside the folder, or not a file",
                    )
                )
                continue
            yield path, name
