"""Import benchmark: N JSONL text items uploaded over HTTP to a real uvicorn server.

    PYTHONPATH=. .venv/bin/python bench/bench_import.py [--rows 1000000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--reimport]

Generates the file, starts the server (bench/common.py) on a fresh SQLite data directory or
a fresh PostgreSQL database it creates and drops, creates an owner and a project through the
services, uploads the file, and prints items/s, the CPU time the server (and PostgreSQL)
spent, and the server's peak RSS. Target (issue 2): >= 100,000 items/s on both databases."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy.engine import make_url

from bench.common import Server, fresh_settings, running_server
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


def database_cpu(database_url: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the benchmark's database."""
    if not database_url:
        return {}
    import psutil

    name = make_url(database_url).database or ""
    times = {}
    for process in psutil.process_iter(["cmdline", "cpu_times"]):
        command = " ".join(process.info["cmdline"] or [])
        if command.startswith("postgres:") and f" {name} " in f"{command} ":
            cpu = process.info["cpu_times"]
            times[process.pid] = cpu.user + cpu.system
    return times


def measure(
    label: str, server: Server, url: str | None, run: Callable[[], tuple[float, dict[str, Any]]]
) -> str:
    """One upload, as a line: items/s, and the CPU the server and the database spent."""
    cpu, db_cpu = server.cpu_seconds(), database_cpu(url)
    seconds, report = run()
    used = server.cpu_seconds() - cpu
    db_used = sum(t - db_cpu.get(pid, 0.0) for pid, t in database_cpu(url).items())
    rows = report["created"] + report["updated"]
    backend = f", PostgreSQL backends {db_used:.1f} s" if url else ""
    return (
        f"  {label:9}: {seconds:6.2f} s  {rows / seconds:>9,.0f} items/s  "
        f"(CPU: server {used:.1f} s{backend})  "
        f"created {report['created']:,} updated {report['updated']:,}"
    )


def upload(url: str, token: str, project_id: int, path: Path) -> tuple[float, dict[str, Any]]:
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

    path = Path(tempfile.mkdtemp(prefix="fairlabel-bench-items-")) / "items.jsonl"
    try:
        size = write_jsonl(path, args.rows, with_ids=not args.no_ids)
        with fresh_settings(args.database_url) as settings:
            project_id, token = create_project(settings)
            url = settings.database_url
            load = os.getloadavg()[0]
            with running_server(settings) as server:
                idle_rss = server.peak_rss_mb()
                runs = [
                    measure(label, server, url, lambda: upload(server.url, token, project_id, path))
                    for label in ("import", "re-import")[: 1 + args.reimport]
                ]
                peak = server.peak_rss_mb()
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    print(
        f"import of {args.rows:,} JSONL text items ({size / 1e6:.0f} MB) over HTTP, "
        f"{'postgresql' if url else 'sqlite'}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at the start"
    )
    for line in runs:
        print(line)
    print(f"  server peak RSS: {peak:.0f} MB (idle after start: {idle_rss:.0f} MB)")


if __name__ == "__main__":
    main()
