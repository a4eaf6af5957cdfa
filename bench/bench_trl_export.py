"""Preference-pair export benchmark: about N pairs (rankings of 4 candidates over chat items,
3 workers each, so 6 pairs per annotation) downloaded as preference-parquet (the zip with
its dataset card) through a real uvicorn server. Prints pairs/s (median of --repeat) and the
server's peak RSS, and checks the zip's row count from the Parquet footers.

    PYTHONPATH=. .venv/bin/python bench/bench_trl_export.py [--pairs 1000000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 3]

Targets (issue 12): >= 200,000 rows/s, peak RSS < 500 MB."""

import argparse
import itertools
import os
import random
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow.parquet as pq

from bench.bench_export import ANNOTATION_COLUMNS, ASSIGNMENT_COLUMNS, ID_TABLES, ITEM_COLUMNS
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
OVERLAP = 3
CANDIDATES = ("a", "b", "c", "d")
PAIRS_PER_ANNOTATION = len(CANDIDATES) * (len(CANDIDATES) - 1) // 2
ORDERS = list(itertools.permutations(CANDIDATES))


def populate(settings: Settings, items: int) -> tuple[int, str]:
    """A project of `items` chat items, each ranked by OVERLAP workers without ties."""
    database = Database(settings)
    try:
        project_id, secret, password_hash = _project(database)
        workers = insert_workers(database, WORKERS, password_hash)
        stamp = driver_timestamp(database, utcnow())
        bulk_insert(database, "items", ITEM_COLUMNS, _items(project_id, items, stamp))
        expires = driver_timestamp(database, utcnow() + timedelta(hours=1))
        work = list(_work(project_id, items, workers, stamp, expires))
        bulk_insert(database, "assignments", ASSIGNMENT_COLUMNS, (a for a, _ in work))
        bulk_insert(database, "annotations", ANNOTATION_COLUMNS, (b for _, b in work))
        advance_sequences(database, ID_TABLES)
        analyze(database)
    finally:
        database.dispose()
    return project_id, secret


def _project(database: Database) -> tuple[int, str, str]:
    with database.session() as db:
        org = Organization(name="Bench", slug="bench")
        db.add(org)
        db.flush()
        project = Project(organization_id=org.id, name="Replies", status="active", overlap=OVERLAP)
        project.questions = [
            Question(name="order", type="ranking", position=0, settings={"field": "candidates"})
        ]
        db.add(project)
        owner = auth_service.create_user(db, "owner@bench.test", "benchmark-pass")
        add_member(db, org.id, owner.email, "owner")
        _token, secret = auth_service.create_token(db, owner, "bench")
        db.flush()
        return project.id, secret, owner.password_hash


def _items(project_id: int, count: int, stamp: Any) -> Iterator[tuple[Any, ...]]:
    for i in range(1, count + 1):
        fields = {
            "messages": [
                {"role": "system", "content": "You are a helpful, concise assistant."},
                {"role": "user", "content": f"How do I reset my password? (ticket {i})"},
            ],
            "candidates": [
                {"id": c, "text": f"Reply {c} to ticket {i}: open Settings, then Security."}
                for c in CANDIDATES
            ],
        }
        text = orjson.dumps(fields).decode()
        yield (i, project_id, f"chat-{i:07d}", text, "{}", 0, OVERLAP, OVERLAP, False, stamp, stamp)


def _work(
    project_id: int, items: int, workers: list[int], stamp: Any, expires: Any
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(assignment, annotation) rows: each item ranked by OVERLAP distinct workers."""
    rng = random.Random(12)
    number = 0
    for item in range(1, items + 1):
        for k in range(OVERLAP):
            number += 1
            worker = workers[(item * OVERLAP + k) % WORKERS]
            ranking = [[c] for c in ORDERS[rng.randrange(len(ORDERS))]]
            answers = orjson.dumps({"order": ranking}).decode()
            yield (
                (number, project_id, item, worker, "label", "submitted", stamp, expires),
                (number, number, project_id, item, worker, 1, True, answers, 1, 4200, stamp),
            )


def download(server: Server, url: str, token: str, fmt: str, target: Path) -> tuple[float, float]:
    """One export into `target`: wall-clock seconds and server CPU seconds."""
    started, cpu = time.perf_counter(), server.cpu_seconds()
    with (
        httpx.stream(
            "GET",
            url,
            params={"format": fmt},
            timeout=3600,
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
        target.open("wb") as out,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            out.write(chunk)
    return time.perf_counter() - started, server.cpu_seconds() - cpu


def rows_in(target: Path) -> int:
    """The rows of every Parquet file in the zip, read from their footers."""
    total = 0
    with zipfile.ZipFile(target) as archive:
        for name in archive.namelist():
            if name.endswith(".parquet"):
                with archive.open(name) as handle:
                    total += pq.ParquetFile(handle).metadata.num_rows
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="downloads (median)")
    parser.add_argument(
        "--jsonl", action="store_true", help="the JSON Lines preference export too, beside it"
    )
    args = parser.parse_args()
    items = -(-args.pairs // (PAIRS_PER_ANNOTATION * OVERLAP))
    pairs = items * OVERLAP * PAIRS_PER_ANNOTATION
    with fresh_settings(args.database_url) as settings, tempfile.TemporaryDirectory() as tmp:
        dialect = "postgresql" if args.database_url else "sqlite"
        started = time.perf_counter()
        project_id, token = populate(settings, items)
        print(
            f"[{dialect}] populated {items:,} items, {items * OVERLAP:,} rankings "
            f"({pairs:,} pairs) in {time.perf_counter() - started:.1f} s"
        )
        formats = ["preference-parquet", *(["preference"] if args.jsonl else [])]
        with running_server(settings) as server:
            print(f"[{dialect}] server RSS before exporting: {server.peak_rss_mb():.0f} MB")
            url = f"{server.url}/api/projects/{project_id}/export"
            for fmt in formats:
                target = Path(tmp) / fmt
                runs = [download(server, url, token, fmt, target) for _ in range(args.repeat)]
                seconds, cpu = median([r[0] for r in runs]), median([r[1] for r in runs])
                if fmt == "preference-parquet":
                    written = rows_in(target)
                    assert written == pairs, f"the zip holds {written:,} rows, not {pairs:,}"
                print(
                    f"[{dialect}] export {fmt}: {pairs / seconds:,.0f} rows/s (median of "
                    f"{args.repeat}: {seconds:.1f} s, {target.stat().st_size / 1e6:.0f} MB; "
                    f"server CPU {cpu:.1f} s = {pairs / cpu:,.0f} rows/CPU-s)"
                )
                print(f"[{dialect}] server peak RSS: {server.peak_rss_mb():.0f} MB")
        print(f"[{dialect}] load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
