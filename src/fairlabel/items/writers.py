"""Bulk item writers: one statement per batch, run by `WriterThread` beside the parser.

Each writer encodes rows and batches in the importing thread (`encode_row`, `encode_batch`)
and sends a batch in the writer thread (`write`), where the database does the per-row work
without the GIL:
- SQLite: the batch as one JSON array, unpacked by `json_each` in an INSERT ... ON CONFLICT;
- PostgreSQL, into a project that has no items yet: COPY straight into `items`;
- PostgreSQL otherwise: the JSON array through `jsonb_array_elements`, ON CONFLICT upsert."""

from __future__ import annotations

import queue
import re
import threading
from typing import Any, Protocol

import orjson
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import Conflict
from fairlabel.items.rows import PreparedRow
from fairlabel.models import Item, Project

UPDATED_ON_CONFLICT = ("fields", "meta", "priority", "updated_at")
"""What a re-import changes; the queue's counters (taken, submitted, is_open) are kept."""

IMPORT_LOCK_NAMESPACE = 0x464C49
"""First key of the PostgreSQL advisory lock that serializes writes of items per project."""

_COLUMNS = (
    "project_id, external_id, fields, meta, priority, taken, submitted, is_open, "
    "created_at, updated_at"
)


class ItemWriter(Protocol):
    def encode_row(self, row: PreparedRow) -> bytes:
        """One row as this writer sends it (raises TypeError if it cannot be serialised)."""
        ...

    def encode_batch(self, rows: list[bytes]) -> bytes:
        """The payload of a batch of encoded rows."""
        ...

    def write(self, payload: bytes) -> None:
        """Write one encoded batch (runs in the writer thread)."""
        ...

    def totals(self) -> tuple[int, int]:
        """(created, updated) over every write so far."""
        ...


def writer_for(db: Session, project: Project) -> ItemWriter:
    if db.get_bind().dialect.name != "postgresql":
        return SqliteWriter(db, project)
    if lock_project_items(db, project.id):
        return PostgresCopyWriter(db, project)
    return PostgresUpsertWriter(db, project)


def lock_project_items(db: Session, project_id: int) -> bool:
    """On PostgreSQL, wait until no other import or media upload writes this project's items,
    then say whether it has none (SQLite's write lock already does this). Row locks are left
    alone, so workers keep taking and submitting work meanwhile."""
    connection = db.connection()
    connection.exec_driver_sql(
        "SELECT pg_advisory_xact_lock(%s, %s)", (IMPORT_LOCK_NAMESPACE, project_id)
    )
    found = connection.exec_driver_sql(
        "SELECT 1 FROM items WHERE project_id = %s LIMIT 1", (project_id,)
    ).first()
    return found is None


def _json_array(rows: list[bytes]) -> bytes:
    return b"[" + b",".join(rows) + b"]"


def _on_conflict(excluded: str) -> str:
    updates = ", ".join(f"{column} = {excluded}.{column}" for column in UPDATED_ON_CONFLICT)
    return f"ON CONFLICT (project_id, external_id) DO UPDATE SET {updates}"


class SqliteWriter:
    """New rows are counted by rowid: the import's transaction holds SQLite's write lock
    (BEGIN IMMEDIATE), so every id above the maximum at the start is one it inserted."""

    def __init__(self, db: Session, project: Project) -> None:
        self.connection = db.connection()
        timestamp = _sqlite_timestamp(db)
        # Only integers and a timestamp formatted here are inlined; the rows are bound.
        self.statement = (
            f"INSERT INTO items ({_COLUMNS}) "
            f"SELECT {int(project.id)}, value ->> 0, value -> 1, value -> 2, value ->> 3, 0, 0, "
            f"{int(project.overlap > 0)}, '{timestamp}', '{timestamp}' "
            f"FROM json_each(?) WHERE true {_on_conflict('excluded')}"
        )
        self.first_id = self.connection.exec_driver_sql(
            "SELECT coalesce(max(id), 0) FROM items"
        ).scalar_one()
        self.written = 0

    encode_row = staticmethod(orjson.dumps)
    encode_batch = staticmethod(_json_array)

    def write(self, payload: bytes) -> None:
        result = self.connection.exec_driver_sql(self.statement, (payload.decode(),))
        self.written += result.rowcount

    def totals(self) -> tuple[int, int]:
        created: int = self.connection.exec_driver_sql(
            "SELECT count(*) FROM items WHERE id > ?", (self.first_id,)
        ).scalar_one()
        return created, self.written - created


def _sqlite_timestamp(db: Session) -> str:
    """`utcnow()` exactly as the ORM stores it on SQLite."""
    dialect = db.get_bind().dialect
    processor = Item.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    value: str = processor(utcnow())
    return value


def _postgres_connection(db: Session) -> Any:
    connection = db.connection()
    connection.exec_driver_sql("SET LOCAL jit = off")  # compiling costs more than it saves
    return connection.connection.driver_connection


class PostgresUpsertWriter:
    """`xmax = 0` in RETURNING tells the inserted rows from the updated ones."""

    def __init__(self, db: Session, project: Project) -> None:
        self.raw = _postgres_connection(db)
        self.statement = (
            f"WITH written AS (INSERT INTO items ({_COLUMNS}) "
            "SELECT %(project_id)s, r ->> 0, r -> 1, r -> 2, (r ->> 3)::integer, 0, 0, "
            "%(is_open)s, %(now)s, %(now)s FROM jsonb_array_elements(%(rows)s::jsonb) AS r "
            f"{_on_conflict('EXCLUDED')} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
        )
        self.params: dict[str, Any] = {
            "project_id": project.id,
            "is_open": project.overlap > 0,
            "now": utcnow(),
        }
        self.created = self.updated = 0

    encode_row = staticmethod(orjson.dumps)
    encode_batch = staticmethod(_json_array)

    def write(self, payload: bytes) -> None:
        with self.raw.cursor() as cursor:
            cursor.execute(self.statement, {**self.params, "rows": payload.decode()})
            created, total = cursor.fetchone()
        self.created += created
        self.updated += total - created

    def totals(self) -> tuple[int, int]:
        return self.created, self.updated


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


class PostgresCopyWriter:
    """COPY into `items`, about a third less work for the server than an upsert: only for a
    project without items, under the advisory lock, where every row (unique within the
    file) is new."""

    def __init__(self, db: Session, project: Project) -> None:
        self.raw = _postgres_connection(db)
        now = utcnow().isoformat()
        self.prefix = b"%d\t" % project.id
        self.suffix = f"\t0\t0\t{'t' if project.overlap > 0 else 'f'}\t{now}\t{now}\n".encode()
        self.created = 0

    def encode_row(self, row: PreparedRow) -> bytes:
        external_id, fields, meta, priority = row
        return b"%s%s\t%s\t%s\t%d%s" % (
            self.prefix,
            _copy_text(external_id),
            orjson.dumps(fields).replace(b"\\", b"\\\\"),
            orjson.dumps(meta).replace(b"\\", b"\\\\"),
            priority,
            self.suffix,
        )

    encode_batch = staticmethod(b"".join)

    def write(self, payload: bytes) -> None:
        from psycopg.errors import UniqueViolation

        try:
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY items ({_COLUMNS}) FROM STDIN") as copy,
            ):
                copy.write(payload)
        except UniqueViolation as exc:
            raise Conflict(
                "items were added to the project while it was being imported into",
                field="project_id",
                value=None,
                expected="no other writer during an import; retry it",
            ) from exc
        self.created += payload.count(b"\n")

    def totals(self) -> tuple[int, int]:
        return self.created, 0


def _copy_text(value: str) -> bytes:
    """A value in COPY's text format (orjson itself never writes tabs or newlines raw)."""
    if _COPY_SPECIAL.search(value) is None:
        return value.encode()
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .encode()
    )


class WriterThread:
    """Runs a writer's statements beside the thread that parses, so parsing and writing use
    both cores; a queue of one batch bounds memory. The connection is only ever used by one
    thread at a time: this one until `close()` has joined it."""

    def __init__(self, writer: ItemWriter) -> None:
        self.writer = writer
        self.batches: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="fairlabel-import-writer")
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is None:
                try:
                    self.writer.write(batch)
                except BaseException as exc:  # handed to the importing thread
                    self.error = exc

    def submit(self, rows: list[bytes]) -> None:
        self._raise_error()
        self.batches.put(self.writer.encode_batch(rows))

    def close(self, *, raise_errors: bool = True) -> None:
        """Wait for the last batch; raise what went wrong in the thread, unless the import
        is already failing for another reason."""
        self.batches.put(None)
        self.thread.join()
        if raise_errors:
            self._raise_error()

    def _raise_error(self) -> None:
        if self.error is not None:
            raise self.error
