"""Import benchmark: N JSONL text items uploaded over HTTP to a real uvicorn server.

    .venv/bin/python bench/bench_import.py --rows 1000000 [--database-url postgresql+psycopg://...]

Generates the file, starts `uvicorn fairlabel.app:create_app` in a subprocess on a fresh SQLite
data directory (or a fresh PostgreSQL database it creates and drops), creates an owner and a
project through the services, uploads the file, and prints items/s and the server's peak RSS.
Target (issue 2): >= 100,000 items/s on both databases."""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fairlabel import migrate
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as projects_service
from fairlabel.projects.schemas import ProjectCreate

WORDS = [
    "order",
    "refund",
    "delivery",
    "late",
    "broken",
    "account",
    "password",
    "invoice",
    "charge",
    "twice",
    "cancel",
    "subscription",
    "upgrade",
    "shipping",
    "address",
    "wrong",
    "item",
    "missing",
    "support",
    "thanks",
    "please",
    "help",
]


def write_jsonl(path: Path, rows: int, with_ids: bool) -> int:
    """Synthetic support tickets, ~130 bytes a line; returns the file size."""
    with path.open("wb") as out:
        for start in range(0, rows, 10_000):
            lines = []
            for n in range(start, min(rows, start + 10_000)):
                words = " ".join(WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(12))
                record: dict[str, object] = {"fields": {"text": f"Ticket {n}: {words}."}}
                if with_ids:
                    record["external_id"] = f"ticket-{n:08d}"
                lines.append(orjson.dumps(record))
            out.write(b"\n".join(lines) + b"\n")
    return path.stat().st_size


@contextmanager
def fresh_database(base_url: str | None) -> Iterator[str | None]:
    """None for SQLite in the data directory, or a throw-away PostgreSQL database."""
    if not base_url:
        yield None
        return
    name = f"fairlabel_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_project(settings: Settings) -> tuple[int, str]:
    """An owner, its organization, its API token and an empty project, via the services."""
    database = Database(settings)
    try:
        with database.session() as db:
            user = auth_service.create_user(db, "bench@example.org", "bench password 123")
            org = org_service.create_organization(db, "Bench", "bench")
            org_service.add_member(db, org.id, user.email, "owner")
            _token, secret = auth_service.create_token(db, user, "bench")
            body = ProjectCreate(organization_id=org.id, name="Import benchmark")
            project = projects_service.create_project(db, body, user)
            return project.id, secret
    finally:
        database.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(settings: Settings) -> Iterator[tuple[str, int]]:
    """uvicorn in a subprocess, so its peak RSS is the server's alone."""
    port = free_port()
    env = {**os.environ, "FAIRLABEL_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["FAIRLABEL_DATABASE_URL"] = settings.database_url
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "fairlabel.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: a figure that other load bends less."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process has used so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def upload(url: str, token: str, project_id: int, path: Path) -> tuple[float, dict[str, object]]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as stream:
            while chunk := stream.read(1024 * 1024):
                yield chunk

    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/x-ndjson",
        "Content-Length": str(path.stat().st_size),
    }
    started = time.perf_counter()
    with httpx.Client(timeout=httpx.Timeout(600.0)) as client:
        response = client.post(
            f"{url}/api/projects/{project_id}/imports",
            params={"format": "jsonl"},
            content=chunks(),
            headers=headers,
        )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"import failed: {response.status_code} {response.text[:500]}")
    return elapsed, response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL server URL; a fresh database is created on it",
    )
    parser.add_argument(
        "--no-ids",
        action="store_true",
        help="rows without external_id (ids derived from the fields' hash)",
    )
    parser.add_argument(
        "--reimport",
        action="store_true",
        help="upload the same file a second time (every row an update)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fairlabel-bench-") as tmp:
        path = Path(tmp) / "items.jsonl"
        size = write_jsonl(path, args.rows, with_ids=not args.no_ids)
        with fresh_database(args.database_url) as url:
            settings = Settings(data_dir=Path(tmp) / "data", database_url=url)
            settings.data_dir.mkdir()
            migrate.upgrade(settings)
            project_id, token = create_project(settings)
            dialect = "postgresql" if url else "sqlite"
            load = os.getloadavg()[0]
            with server(settings) as (base, pid):
                rss_before = peak_rss_mb(pid)
                runs = []
                for label in ("import", "re-import")[: 1 + args.reimport]:
                    cpu = cpu_seconds(pid)
                    seconds, report = upload(base, token, project_id, path)
                    runs.append((label, seconds, report, cpu_seconds(pid) - cpu))
                peak = peak_rss_mb(pid)
        print(
            f"import of {args.rows:,} JSONL text items ({size / 1e6:.0f} MB) over HTTP, "
            f"{dialect}, {os.cpu_count()} CPUs, load average {load:.1f} at the start"
        )
        for label, seconds, report, cpu in runs:
            print(
                f"  {label:9}: {seconds:6.2f} s  {args.rows / seconds:>9,.0f} items/s  "
                f"(server process CPU {cpu:.1f} s)  "
                f"created {report['created']:,} updated {report['updated']:,}"
            )
        print(f"  server peak RSS: {peak:.0f} MB (idle after start: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
