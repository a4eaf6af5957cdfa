"""Engine and sessions. SQLite runs in WAL mode with foreign keys on; write transactions
on SQLite start with BEGIN IMMEDIATE so that a read-then-write never fails mid-way."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from fairlabel.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _dump_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for the dialect: SQLite pragmas and explicit BEGINs, or psycopg.
    JSON columns go through orjson: item fields are the bulk of import and export time."""
    kwargs.setdefault("json_serializer", _dump_json)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True, **kwargs)


WRITER_WAIT_SECONDS = 30


def _configure_sqlite(engine: Engine) -> None:
    """SQLite allows one writer. Threads of this process queue for it on a Python lock, which
    wakes the next writer at once, instead of polling in SQLite's busy handler (sleeps of up
    to 100 ms); other processes still meet the busy timeout."""
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={WRITER_WAIT_SECONDS * 1000}")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE" and not conn.info.get("holds_writer"):
            if not writer.acquire(timeout=WRITER_WAIT_SECONDS):
                raise TimeoutError("the database stayed busy with other writes")
            conn.info["holds_writer"] = True
        conn.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_conn: Any, record: Any) -> None:
        """The transaction has ended and the connection is back in the pool."""
        if record.info.pop("holds_writer", False):
            writer.release()


class Database:
    """One engine and two session factories: reads (deferred) and writes (immediate on SQLite)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.resolved_database_url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(writer, expire_on_commit=False)

    def new_session(self, write: bool = True) -> Session:
        """A session that has not touched the database yet (the connection comes lazily)."""
        return (self.write_sessions if write else self.read_sessions)()

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        session = self.new_session(write)
        try:
            yield session
        except BaseException:
            finish(session, success=False)
            raise
        finish(session, success=True)

    def dispose(self) -> None:
        self.engine.dispose()


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use fairlabel.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def finish(session: Session, *, success: bool) -> None:
    """End a unit of work: commit (or roll back) and give the connection back."""
    try:
        if success:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)
