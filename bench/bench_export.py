"""Export benchmark: N annotations (one box each on N images) downloaded as JSONL and COCO
through a real uvicorn server. Prints annotations/s (median of --repeat downloads) and the
server's peak RSS.

    PYTHONPATH=. .venv/bin/python bench/bench_export.py [--annotations 1000000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 3]

Targets (issue 2): >= 100,000 annotations/s, peak RSS < 500 MB whatever the size."""

import argparse
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import orjson

from bench.common import (
    Server,
    advance_sequences,
    analyze,
    bulk_insert,
    driver_timestamp,
    fresh_settings,
    insert_workers,
    median,
    running_server,
)
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.models import Organization, Project, Question
from fairlabel.organizations.service import add_member

WORKERS = 100
FORMATS = ("jsonl", "coco")
ITEM_COLUMNS = (
    "id",
    "project_id",
    "external_id",
    "fields",
    "meta",
    "priority",
    "taken",
    "submitted",
    "is_open",
    "created_at",
    "updated_at",
)
ASSIGNMENT_COLUMNS = (
    "id",
    "project_id",
    "item_id",
    "worker_id",
    "stage",
    "status",
    "leased_at",
    "expires_at",
)
ANNOTATION_COLUMNS = (
    "id",
    "assignment_id",
    "project_id",
    "item_id",
    "worker_id",
    "version",
    "is_latest",
    "answers",
    "guideline_version",
    "time_spent_ms",
    "created_at",
)
ID_TABLES = ("items", "assignments", "annotations", "users")


def populate(settings: Settings, count: int) -> tuple[int, str]:
    """A project with `count` images, each with one submitted annotation holding one box."""
    database = Database(settings)
    try:
        project_id, secret, password_hash = _project(database)
        workers = insert_workers(database, WORKERS, password_hash)
        stamp = driver_timestamp(database, utcnow())
        bulk_insert(database, "items", ITEM_COLUMNS, _items(project_id, count, stamp))
        expires = driver_timestamp(database, utcnow() + timedelta(hours=1))
        assignments = _assignments(project_id, count, workers, stamp, expires)
        bulk_insert(database, "assignments", ASSIGNMENT_COLUMNS, assignments)
        annotations = _annotations(project_id, count, workers, stamp)
        bulk_insert(database, "annotations", ANNOTATION_COLUMNS, annotations)
        advance_sequences(database, ID_TABLES)
        analyze(database)
    finally:
        database.dispose()
    return project_id, secret


def _project(database: Database) -> tuple[int, str, str]:
    """Organization, project and owner through the services: one argon2 hash, reused below."""
    with database.session() as db:
        org = Organization(name="Bench", slug="bench")
        db.add(org)
        db.flush()
        settings = {"field": "image", "labels": ["cat", "dog"]}
        project = Project(organization_id=org.id, name="Boxes", status="active", overlap=1)
        project.questions = [Question(name="objects", type="bbox", position=0, settings=settings)]
        db.add(project)
        owner = auth_service.create_user(db, "owner@bench.test", "benchmark-pass")
        add_member(db, org.id, owner.email, "owner")
        _token, secret = auth_service.create_token(db, owner, "bench")
        db.flush()
        return project.id, secret, owner.password_hash


def _items(project_id: int, count: int, stamp: Any) -> Iterator[tuple[Any, ...]]:
    for i in range(1, count + 1):
        image = {
            "src": f"/media/{i}.png",
            "width": 640,
            "height": 480,
            "content_type": "image/png",
            "name": f"img-{i:07d}.png",
        }
        fields = orjson.dumps({"image": image}).decode()
        yield (i, project_id, f"img-{i:07d}", fields, "{}", 0, 1, 1, False, stamp, stamp)


def _assignments(
    project_id: int, count: int, workers: list[int], stamp: Any, expires: Any
) -> Iterator[tuple[Any, ...]]:
    for i in range(1, count + 1):
        yield (i, project_id, i, workers[i % WORKERS], "label", "submitted", stamp, expires)


def _annotations(
    project_id: int, count: int, workers: list[int], stamp: Any
) -> Iterator[tuple[Any, ...]]:
    for i in range(1, count + 1):
        box = {
            "x": i % 500,
            "y": 10.5,
            "width": 20,
            "height": 30,
            "label": "cat" if i % 2 else "dog",
        }
        answers = orjson.dumps({"objects": [box]}).decode()
        yield (i, i, project_id, i, workers[i % WORKERS], 1, True, answers, 1, 4200, stamp)


def download(server: Server, url: str, token: str, fmt: str) -> tuple[float, float, int]:
    """One export: wall-clock seconds, server CPU seconds, bytes."""
    started, cpu = time.perf_counter(), server.cpu_seconds()
    size = 0
    with httpx.stream(
        "GET",
        url,
        params={"format": fmt},
        timeout=3600,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - started, server.cpu_seconds() - cpu, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="downloads per format (median)")
    args = parser.parse_args()
    with fresh_settings(args.database_url) as settings:
        dialect = "postgresql" if args.database_url else "sqlite"
        started = time.perf_counter()
        project_id, token = populate(settings, args.annotations)
        print(
            f"[{dialect}] populated {args.annotations:,} annotations in "
            f"{time.perf_counter() - started:.1f} s"
        )
        with running_server(settings) as server:
            url = f"{server.url}/api/projects/{project_id}/export"
            for fmt in FORMATS:
                runs = [download(server, url, token, fmt) for _ in range(args.repeat)]
                seconds, cpu = median([r[0] for r in runs]), median([r[1] for r in runs])
                print(
                    f"[{dialect}] export {fmt}: {args.annotations / seconds:,.0f} annotations/s "
                    f"(median of {args.repeat}: {seconds:.1f} s, {runs[0][2] / 1e6:.0f} MB; "
                    f"server CPU {cpu:.1f} s = {args.annotations / cpu:,.0f} annotations/CPU-s)"
                )
            print(f"[{dialect}] server peak RSS: {server.peak_rss_mb():.0f} MB")
        print(f"[{dialect}] load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
