"""Near-duplicate search benchmark: the call the prompt widget makes as the worker types
(fairlabel.prompts.service.similar: the project's prompts, kept in the server after the first
call reads them from the annotations' JSON, scored by rapidfuzz's token sort ratio), against N
earlier prompts. Prints the median and p95 of --repeat calls per size, and the first call.

    PYTHONPATH=. .venv/bin/python bench/bench_prompts.py [--prompts 10000 100000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 20]

No target in issue 12; the widget debounces typing by 400 ms, so a call well under that
keeps the warning current."""

import argparse
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson

from bench.bench_export import ANNOTATION_COLUMNS, ASSIGNMENT_COLUMNS, ID_TABLES, ITEM_COLUMNS
from bench.common import (
    advance_sequences,
    analyze,
    bulk_insert,
    driver_timestamp,
    fresh_settings,
    insert_workers,
    median,
    percentile,
)
from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.models import Organization, Project, Question
from fairlabel.prompts import service

WORKERS = 100
_VOCABULARY = (
    "write explain list compare summarise translate a the an of for in on with python rust "
    "function poem story recipe trip budget email letter essay plan review bug test query "
    "database network garden history law medicine travel music city river train"
)
WORDS = _VOCABULARY.split()


def populate(settings: Settings, count: int) -> tuple[Database, int]:
    """A prompt project with `count` items, each with one submitted prompt of 8 to 20 words."""
    database = Database(settings)
    with database.session() as db:
        org = Organization(name="Bench", slug="bench")
        db.add(org)
        db.flush()
        project = Project(organization_id=org.id, name="Prompts", status="active", overlap=1)
        project.questions = [Question(name="q", type="prompt", position=0, settings={})]
        db.add(project)
        db.flush()
        project_id = project.id
    workers = insert_workers(database, WORKERS, "x")
    stamp = driver_timestamp(database, utcnow())
    expires = driver_timestamp(database, utcnow() + timedelta(hours=1))
    items = (
        (i, project_id, f"p-{i}", "{}", "{}", 0, 1, 1, False, stamp, stamp)
        for i in range(1, count + 1)
    )
    bulk_insert(database, "items", ITEM_COLUMNS, items)
    work = list(_work(project_id, count, workers, stamp, expires))
    bulk_insert(database, "assignments", ASSIGNMENT_COLUMNS, (a for a, _ in work))
    bulk_insert(database, "annotations", ANNOTATION_COLUMNS, (b for _, b in work))
    advance_sequences(database, ID_TABLES)
    analyze(database)
    return database, project_id


def _work(
    project_id: int, count: int, workers: list[int], stamp: Any, expires: Any
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    rng = random.Random(5)
    for i in range(1, count + 1):
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
        answer = {"prompt": prompt, "category": None, "difficulty": None, "language": None}
        answers = orjson.dumps({"q": answer}).decode()
        worker = workers[i % WORKERS]
        yield (
            (i, project_id, i, worker, "label", "submitted", stamp, expires),
            (i, i, project_id, i, worker, 1, True, answers, 1, 4200, stamp),
        )


def run(database: Database, project_id: int, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call (the CPU figure is this process's, which holds
    steady on a loaded machine), each call a new text as typing makes them."""
    walls, cpus = [], []
    rng = random.Random(9)
    for _ in range(repeat):
        text = " ".join(rng.choice(WORDS) for _ in range(12))
        started, cpu = time.perf_counter(), time.process_time()
        with database.session(write=False) as db:
            service.similar(db, project_id, "q", text, exclude_assignment=0, limit=3, cutoff=0.85)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--prompts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for count in args.prompts:
        with fresh_settings(args.database_url) as settings:
            database, project_id = populate(settings, count)
            try:
                walls, cpus = run(database, project_id, args.repeat)
            finally:
                database.dispose()
        print(
            f"similar prompts over {count:,} earlier prompts: median {median(walls):.1f} ms, "
            f"p95 {percentile(walls, 95):.1f} ms wall; median {median(cpus):.1f} ms CPU in "
            f"this process ({args.repeat} calls); the first, which reads every prompt, "
            f"{walls[0]:.1f} ms"
        )


if __name__ == "__main__":
    main()
