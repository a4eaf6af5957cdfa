"""Shared by the benchmarks: a throw-away database, a real uvicorn server in a subprocess
on 127.0.0.1, and the server's peak memory."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fairlabel import migrate
from fairlabel.config import Settings
from fairlabel.db import Database


@contextmanager
def fresh_settings(database_url: str | None) -> Iterator[Settings]:
    """A migrated, empty database: SQLite in a temp dir, or a new PostgreSQL database."""
    with tempfile.TemporaryDirectory(prefix="fairlabel-bench-") as data_dir:
        if not database_url:
            settings = Settings(data_dir=Path(data_dir), database_url=None)
            migrate.upgrade(settings)
            yield settings
            return
        name = f"fairlabel_bench_{secrets.token_hex(4)}"
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
            settings = Settings(data_dir=Path(data_dir), database_url=url)
            migrate.upgrade(settings)
            yield settings
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    settings: Settings, workers: int = 1, factory: str = "fairlabel.app:create_app"
) -> Iterator["Server"]:
    """`fairlabel serve` in a subprocess, stopped on exit; `factory` may name a variant app."""
    port = free_port()
    env = {
        **os.environ,
        "FAIRLABEL_DATA_DIR": str(settings.data_dir),
        "FAIRLABEL_DATABASE_URL": settings.resolved_database_url,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        server.wait_ready()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


class Server:
    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.process = process

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def cpu_seconds(self) -> float:
        """CPU time the server and its workers have used so far: on a shared machine a
        throughput per CPU-second is steadier than one per wall-clock second."""
        pids = [self.process.pid, *_children(self.process.pid)]
        return sum(_cpu_ticks(pid) for pid in pids) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """Largest resident set of the server and its worker processes (VmHWM), in MB."""
        pids = [self.process.pid, *_children(self.process.pid)]
        return max(_vm_hwm_kb(pid) for pid in pids) / 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _cpu_ticks(pid: int) -> int:
    """utime + stime from /proc/PID/stat (fields 14 and 15, after the parenthesised name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def driver_timestamp(database: Database, moment: datetime) -> Any:
    """A timestamp as the driver takes it in bulk_insert: SQLite stores SQLAlchemy's naive-UTC
    text, PostgreSQL takes the aware datetime."""
    if database.is_sqlite:
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def bulk_insert(
    database: Database, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Rows straight through the driver, in one transaction: COPY on PostgreSQL, executemany
    on SQLite. Bench data sets run to millions of rows, where the ORM would take minutes;
    JSON values come as text and timestamps from driver_timestamp."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        names = ", ".join(columns)
        if database.is_sqlite:
            cursor.execute("BEGIN IMMEDIATE")
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            cursor.execute("COMMIT")
        else:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
    finally:
        raw.close()


def analyze(database: Database) -> None:
    """Fresh planner statistics after a bulk load, as a long-running deployment would have."""
    with database.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def insert_workers(database: Database, count: int, password_hash: str) -> list[int]:
    """Worker accounts inserted directly (argon2 per user would dominate a run), all with
    one password hash; answers their ids."""
    with database.session() as db:
        first: Any = db.scalar(text("SELECT max(id) FROM users"))
    ids = list(range(int(first or 0) + 1, int(first or 0) + 1 + count))
    now = driver_timestamp(database, datetime.now(UTC))
    users = [
        (i, f"w{i}@bench.test", f"w{i}", f"W-BENCH{i:05d}", password_hash, False, True, now)
        for i in ids
    ]
    columns = ("id", "email", "display_name", "pseudonym", "password_hash")
    bulk_insert(database, "users", (*columns, "is_operator", "is_active", "created_at"), users)
    rows = [(i, "KE", "[]", "[]", now) for i in ids]
    bulk_insert(
        database, "workers", ("user_id", "country", "languages", "skills", "created_at"), rows
    )
    return ids


def advance_sequences(database: Database, tables: Iterable[str]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; later inserts must not collide."""
    if database.is_sqlite:
        return
    with database.session() as db:
        for table in tables:
            db.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )


def worker_tokens(db: Any, count: int, domain: str) -> list[str]:
    """`count` worker accounts with an API token each, the way the benchmarks' clients
    call the API."""
    from fairlabel.auth import service as auth_service

    tokens = []
    for n in range(count):
        user = auth_service.create_user(db, f"w{n}@{domain}", "benchmark-pass", is_worker=True)
        tokens.append(auth_service.create_token(db, user, "bench")[1])
    return tokens
