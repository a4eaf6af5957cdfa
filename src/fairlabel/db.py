"""Engine and sessions. SQLite runs in WAL mode with foreign keys on; write transactions
on SQLite start with BEGIN IMMEDIATE so that a read-then-write never fails mid-way."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
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


def _load_json(value: Any) -> Any:
    """SQLite gives a JSON column numeric affinity: a bare number (a rating's answer) is
    stored, and read back, as a number rather than as JSON text."""
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def make_engine(url: str, *, writer: bool = False, **kwargs: Any) -> Engine:
    """An engine configured for the dialect: SQLite pragmas and explicit BEGINs, or psycopg.
    JSON columns go through orjson: item fields are the bulk of import and export time."""
    kwargs.setdefault("json_serializer", _dump_json)
    kwargs.setdefault("json_deserializer", _load_json)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": WRITER_WAIT_SECONDS},
            **_sqlite_pool(writer),
            **kwargs,
        )
        _configure_sqlite(engine, begin="IMMEDIATE" if writer else "DEFERRED")
        return engine
    # No ping at checkout: it is one more round trip per transaction, an eighth of a queue
    # request. A connection that died with its server fails one request, and SQLAlchemy then
    # replaces every pooled connection.
    return create_engine(url, pool_size=20, max_overflow=20, pool_recycle=1800, **kwargs)


WRITER_WAIT_SECONDS = 30


def _sqlite_pool(writer: bool) -> dict[str, Any]:
    """A process writes through one connection: writers queue for it in the pool, which
    wakes the next at once where SQLite's busy handler polls (other processes still meet
    it), and its page cache stays warm, where another connection's commit would void it.
    Readers get one per request thread (anyio allows 40): opening one costs more than a
    request."""
    if writer:
        return {"pool_size": 1, "max_overflow": 0, "pool_timeout": WRITER_WAIT_SECONDS}
    return {"pool_size": 40, "max_overflow": 10}


def _configure_sqlite(engine: Engine, begin: str) -> None:
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
        # Straight to the driver: a statement through SQLAlchemy costs ten times more.
        conn.connection.dbapi_connection.execute(f"BEGIN {begin}")


class Database:
    """Two engines on SQLite (readers; the one writer connection) and one on PostgreSQL, and
    two session factories: reads (deferred) and writes (immediate on SQLite)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.writer = make_engine(url, writer=True) if self.is_sqlite else self.engine
        # Services that apply an operator setting (a queue rule, say) read it from here.
        info = {SETTINGS_KEY: settings}
        self.read_sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self.write_sessions = sessionmaker(self.writer, expire_on_commit=False, info=info)

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
        self.writer.dispose()


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
    session.info[FINISHED] = True
    try:
        if success:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


FINISHED = "fairlabel_finished"


def is_finished(session: Session) -> bool:
    """Whether `finish` already ended this session's unit of work."""
    return bool(session.info.get(FINISHED))


SETTINGS_KEY = "fairlabel_settings"


def settings_of(session: Session) -> Settings:
    """The deployment settings of the Database that opened this session."""
    settings: Settings = session.info[SETTINGS_KEY]
    return settings


JSONType = JSON().with_variant(JSONB(), "postgresql")


def dialect_insert(db: Session) -> Callable[..., Any]:
    """The INSERT of the session's dialect, which has ON CONFLICT (upserts, insert-if-absent)."""
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


class SimulatedClock:
    """A clock that stands still until it is moved, and moves only forward: a simulation
    (`fairlabel demo`) sets it in its own context, and every service reading `utcnow()` then
    lives the simulated time, with every rule that depends on it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("naive datetime given; a simulated clock runs in UTC")
        self.now = start.astimezone(UTC)

    def advance_to(self, moment: datetime) -> datetime:
        if moment < self.now:
            raise ValueError(f"the clock cannot go back from {self.now} to {moment}")
        self.now = moment
        return moment

    def advance(self, delta: timedelta) -> datetime:
        return self.advance_to(self.now + delta)


_CLOCK: ContextVar[SimulatedClock | None] = ContextVar("fairlabel_clock", default=None)


@contextmanager
def simulated_time(clock: SimulatedClock) -> Iterator[SimulatedClock]:
    """Run the block on `clock`: in this context only, so a server thread beside it, or a
    job, keeps the real time."""
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CLOCK.reset(token)


def utcnow() -> datetime:
    """The one clock every service reads: the real time, or a simulated clock's."""
    clock = _CLOCK.get()
    return datetime.now(UTC) if clock is None else clock.now
