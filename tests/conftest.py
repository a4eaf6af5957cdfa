"""Test session: a real database (SQLite file, or a fresh PostgreSQL database when
FAIRLABEL_DATABASE_URL points at a server), migrated with Alembic, emptied after each test."""

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fairlabel import migrate, models
from fairlabel.app import create_app
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.replay import install
from tests.factories import Factory
from tests.llm.standin import StandIn, running

#: Property tests check behaviour, not speed: Hypothesis's per-example deadline (200 ms) is a
#: timer, and on a loaded machine it failed correct code. Speed is for bench/.
hypothesis_settings.register_profile("fairlabel", deadline=None)
hypothesis_settings.load_profile("fairlabel")


def _postgres_test_database(base_url: str) -> Iterator[str]:
    """A throw-away database on the server, so parallel runs never share tables."""
    name = f"fairlabel_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp("fairlabel-data")
    base_url = os.environ.get("FAIRLABEL_DATABASE_URL")
    if base_url and base_url.startswith("postgresql"):
        for url in _postgres_test_database(base_url):
            yield _migrated(Settings(data_dir=data_dir, database_url=url))
    else:
        yield _migrated(Settings(data_dir=data_dir, database_url=None))


def _migrated(settings: Settings) -> Settings:
    migrate.upgrade(settings)
    return settings


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def database(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


DATABASE_FIXTURES = frozenset(
    {"database", "app", "client", "factory", "live_server", "demo_server"}
)


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test that touches the database leaves it empty for the next."""
    if not DATABASE_FIXTURES & set(request.fixturenames):
        yield
        return
    database: Database = request.getfixturevalue("database")
    yield
    with database.session() as session:
        for table in reversed(models.Base.metadata.sorted_tables):
            if table.name == "ledger_entries":
                _empty_append_only(session, table.name)
            else:
                session.execute(table.delete())


def _empty_append_only(session: Session, table: str) -> None:
    """The ledger refuses DELETE (a trigger): PostgreSQL's TRUNCATE passes row triggers by;
    on SQLite the triggers are set aside for the DELETE and put back as they were."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"TRUNCATE {table}"))
        return
    triggers = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    ).all()
    for name, _sql in triggers:
        session.execute(text(f"DROP TRIGGER {name}"))
    session.execute(text(f"DELETE FROM {table}"))
    for _name, sql in triggers:
        session.execute(text(sql))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def factory(database: Database, client: TestClient) -> Factory:
    return Factory(database, client)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(app: FastAPI) -> Iterator[str]:
    """The same app behind a real uvicorn server on 127.0.0.1, for real HTTP and concurrency."""
    with serving(app) as base_url:
        yield base_url


@contextmanager
def serving(app: FastAPI, lifespan: str = "auto") -> Iterator[str]:
    """An app behind a real uvicorn server on 127.0.0.1 (its base URL) until the block ends;
    `lifespan="off"` leaves its background sweepers and job runner unstarted."""
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def data_dir(settings: Settings) -> Path:
    return settings.data_dir


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in OpenAI-compatible server (tests/llm/standin.py), a process of its own
    on 127.0.0.1, for every test that calls a model endpoint."""
    with running(tmp_path_factory.mktemp("standin") / "standin.log") as server:
        yield server


@pytest.fixture(scope="module")
def demo_server(settings: Settings) -> Iterator[str]:
    """The app as `fairlabel demo --serve` builds it (the site and the demo's replay model,
    private addresses allowed as the demo sets them) on the test database, without the
    sweepers and job runner that the tests' own app already runs."""
    demo_settings = settings.model_copy(update={"llm_allow_private_endpoints": True})
    with serving(install(create_app(demo_settings)), lifespan="off") as base_url:
        yield base_url
