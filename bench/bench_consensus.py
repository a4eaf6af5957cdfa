"""Consensus benchmark: (a) what the incremental consensus update adds to a submit, through
two real uvicorn servers on one database, one of them with the update switched off, driven in
alternating rounds so that both see the same machine load; (b) a whole-project recompute
(Dawid-Skene) and the agreement report on a realistic project, in process.

    PYTHONPATH=. .venv/bin/python bench/bench_consensus.py [--submits 600] [--items 20000]
        [--database-url URL]

Target (issue 4): the incremental update adds <= 5 ms p95 to the submit call."""

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from fastapi import FastAPI
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script

from bench.common import (
    bulk_insert,
    driver_timestamp,
    fresh_settings,
    percentile,
    running_server,
    worker_tokens,
)
from fairlabel.app import create_app
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.models import ProjectStatus, User
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, QuestionIn
from fairlabel.quality import service as quality_service

LABELS = ["positive", "negative", "neutral"]
QUESTIONS = [
    QuestionIn(name="sentiment", type="label", settings={"labels": LABELS}),
    QuestionIn(name="quality", type="rating", settings={"min": 1, "max": 5}),
    QuestionIn(name="note", type="text", required=False, settings={}),
]
OVERLAP = 3
ROUNDS = 6


def app_without_consensus() -> FastAPI:
    """The same app with the incremental update a no-op: the baseline server."""
    quality_service.refresh_item = lambda db, item_id: []  # type: ignore[assignment]
    return create_app()


def create_project(database: Database, name: str, workers: int) -> tuple[int, list[str]]:
    with database.session() as db:
        org = org_service.create_organization(db, name, name.lower())
        owner = auth_service.create_user(db, f"owner@{name}.test", "benchmark-pass")
        org_service.add_member(db, org.id, owner.email, "owner")
        body = ProjectCreate(
            organization_id=org.id,
            name=name,
            overlap=OVERLAP,
            status=ProjectStatus.active,
            questions=QUESTIONS,
            guidelines="Label the sentiment and rate the writing.",
        )
        project = project_service.create_project(db, body, owner)
        return project.id, worker_tokens(db, workers, f"{name}.test")


def add_items(database: Database, project_id: int, count: int) -> None:
    stamp = driver_timestamp(database, datetime.now(UTC))
    fields = orjson.dumps({"text": "The parcel arrived late but support was helpful."}).decode()
    bulk_insert(
        database,
        "items",
        (
            "project_id",
            "external_id",
            "fields",
            "meta",
            "priority",
            "taken",
            "submitted",
            "is_open",
            "is_gold",
            "created_at",
            "updated_at",
        ),
        (
            (project_id, f"i{n}", fields, "{}", 0, 0, 0, True, False, stamp, stamp)
            for n in range(count)
        ),
    )


def submit_latencies(url: str, project_id: int, tokens: list[str], count: int) -> list[float]:
    """`count` next + submit cycles, workers in turn; the submit call's time in ms."""
    rng = np.random.default_rng(7)
    clients = [httpx.Client(base_url=url, headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    latencies = []
    try:
        for n in range(count):
            http = clients[n % len(clients)]
            lease = http.post(f"/api/projects/{project_id}/assignments/next").json()
            answers = {
                "sentiment": LABELS[int(rng.integers(3))],
                "quality": int(rng.integers(1, 6)),
            }
            started = time.perf_counter()
            response = http.post(
                f"/api/assignments/{lease['assignment']['id']}/submit",
                json={"answers": answers, "time_spent_ms": 1000},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
    finally:
        for client in clients:
            client.close()
    return latencies


def submit_phase(settings: Settings, submits: int) -> tuple[list[float], list[float]]:
    database = Database(settings)
    projects = {}
    for name in ("with", "without"):
        project_id, tokens = create_project(database, name, OVERLAP)
        add_items(database, project_id, submits)
        projects[name] = (project_id, tokens)
    database.dispose()
    timings: dict[str, list[float]] = {"with": [], "without": []}
    with (
        running_server(settings) as with_consensus,
        running_server(settings, factory="bench.bench_consensus:app_without_consensus") as plain,
    ):
        for _ in range(ROUNDS):
            for name, server in (("with", with_consensus), ("without", plain)):
                project_id, tokens = projects[name]
                timings[name] += submit_latencies(server.url, project_id, tokens, submits // ROUNDS)
    return timings["with"], timings["without"]


def seed_annotations(database: Database, project_id: int, items: int, workers: int) -> None:
    """OVERLAP answers per item from a simulated crowd: each worker right 70-95% of the time."""
    rng = np.random.default_rng(11)
    truth = rng.integers(3, size=items)
    skill = rng.uniform(0.7, 0.95, size=workers)
    stamp = driver_timestamp(database, datetime.now(UTC))
    with database.session() as db:
        first_item = (
            db.connection()
            .exec_driver_sql(f"SELECT min(id) FROM items WHERE project_id = {project_id}")
            .scalar_one()
        )
        user_ids = [
            row[0]
            for row in db.execute(
                select(User.id).where(User.email.like("w%@recompute.test")).order_by(User.id)
            )
        ]
        first_id = db.connection().exec_driver_sql("SELECT max(id) FROM assignments").scalar()
    first_id = (first_id or 0) + 1
    rows: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    for n in range(items):
        for worker in rng.choice(workers, size=OVERLAP, replace=False):
            right = rng.random() < skill[worker]
            label = int(truth[n]) if right else int((truth[n] + rng.integers(1, 3)) % 3)
            answer = {"sentiment": LABELS[label], "quality": int(label) + 2}
            rows.append(
                (
                    first_id + len(rows),
                    project_id,
                    first_item + n,
                    user_ids[worker],
                    "label",
                    "submitted",
                    stamp,
                    stamp,
                    stamp,
                )
            )
            answers.append(
                (
                    first_id + len(rows) - 1,
                    project_id,
                    first_item + n,
                    user_ids[worker],
                    1,
                    True,
                    "worker",
                    orjson.dumps(answer).decode(),
                    0,
                    1000,
                    stamp,
                )
            )
    bulk_insert(
        database,
        "assignments",
        (
            "id",
            "project_id",
            "item_id",
            "worker_id",
            "stage",
            "status",
            "leased_at",
            "expires_at",
            "ended_at",
        ),
        rows,
    )
    bulk_insert(
        database,
        "annotations",
        (
            "assignment_id",
            "project_id",
            "item_id",
            "worker_id",
            "version",
            "is_latest",
            "source",
            "answers",
            "guideline_version",
            "time_spent_ms",
            "created_at",
        ),
        answers,
    )


def recompute_phase(settings: Settings, items: int) -> dict[str, float]:
    database = Database(settings)
    project_id, _ = create_project(database, "recompute", 50)
    add_items(database, project_id, items)
    seed_annotations(database, project_id, items, 50)
    figures = {}
    with database.session() as db:
        project = project_service.get_project(db, project_id)
        started = time.perf_counter()
        result = quality_service.recompute(db, project)
        figures["recompute_s"] = time.perf_counter() - started
        figures["rows"] = result.rows
    with database.session(write=False) as db:
        project = project_service.get_project(db, project_id)
        started = time.perf_counter()
        quality_service.quality_report(db, project)
        figures["report_s"] = time.perf_counter() - started
    database.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submits", type=int, default=600, help="submits per server")
    parser.add_argument("--items", type=int, default=20_000, help="items in the recompute")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite"
    with fresh_settings(args.database_url) as settings:
        with_consensus, without = submit_phase(settings, args.submits)
        recompute = recompute_phase(settings, args.items)
    for name, values in (("with consensus", with_consensus), ("without", without)):
        print(
            f"[{backend}] submit {name}: n={len(values)} p50 {percentile(values, 50):.2f} ms, "
            f"p95 {percentile(values, 95):.2f} ms"
        )
    added = percentile(with_consensus, 95) - percentile(without, 95)
    print(f"[{backend}] consensus adds {added:.2f} ms to submit p95 (target <= 5 ms)")
    print(
        f"[{backend}] recompute {args.items:,} items x {OVERLAP} answers x 3 questions "
        f"({recompute['rows']:,.0f} rows, Dawid-Skene): {recompute['recompute_s']:.2f} s; "
        f"quality report {recompute['report_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
