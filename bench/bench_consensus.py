"""Consensus benchmark: (a) what the incremental consensus update adds to a submit, through
two real uvicorn servers on one database, one of them with the update switched off, driven in
alternating rounds so that both see the same machine load; (b) a whole-project recompute
(Dawid-Skene) and the agreement report on a realistic project, the recompute both ways side
by side, alternating: before, in one write transaction (as the API ran it inside the
request), and now, as the job (read once, write in batches of short transactions): wall
time, the longest write transaction (on SQLite: the longest time the write lock is held),
and the latency of workers' submits on another project while each recompute runs, through a
real server where both run (the old way behind a bench-only route).

    PYTHONPATH=. .venv/bin/python bench/bench_consensus.py [--submits 600] [--items 20000]
        [--repeat 3] [--recompute-only] [--database-url URL]

Target (issue 4): the incremental update adds <= 5 ms p95 to the submit call."""

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from fastapi import FastAPI
from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script

from bench.common import (
    advance_sequences,
    bulk_insert,
    driver_timestamp,
    fresh_settings,
    median,
    percentile,
    running_server,
    worker_tokens,
)
from fairlabel.app import create_app
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.deps import SessionDep
from fairlabel.jobs.runner import run_job
from fairlabel.models import Job, ProjectStatus, User
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


def app_with_request_recompute() -> FastAPI:
    """The app with the recompute as it was before the job: the whole run in the request's
    one write transaction (bench only: no authentication)."""
    app = create_app()

    @app.post("/bench/recompute/{project_id}")
    def recompute_in_request(project_id: int, db: SessionDep) -> dict[str, Any]:
        project = project_service.get_project(db, project_id)
        return quality_service.recompute(db, project).model_dump()

    return app


@contextmanager
def write_transactions(database: Database) -> Iterator[list[float]]:
    """Seconds each write transaction lasted while the block ran, from BEGIN (on SQLite
    BEGIN IMMEDIATE: the write lock taken) to COMMIT or ROLLBACK."""
    held: list[float] = []
    began: dict[int, float] = {}

    def on_begin(conn: Any) -> None:
        began[id(conn)] = time.perf_counter()

    def on_end(conn: Any) -> None:
        started = began.pop(id(conn), None)
        if started is not None:
            held.append(time.perf_counter() - started)

    listeners: list[tuple[str, Callable[[Any], None]]] = [
        ("begin", on_begin),
        ("commit", on_end),
        ("rollback", on_end),
    ]
    for name, listener in listeners:
        event.listen(database.writer, name, listener)
    try:
        yield held
    finally:
        for name, listener in listeners:
            event.remove(database.writer, name, listener)


def in_one_transaction(database: Database, project_id: int) -> int:
    with database.session() as db:
        return quality_service.recompute(db, project_service.get_project(db, project_id)).rows


def as_the_job(database: Database, project_id: int) -> None:
    """Through the runner's own run_job (claim, progress, heartbeat, result), in-process."""
    with database.session() as db:
        job = Job(kind="consensus", params={"project_id": project_id}, project_id=project_id)
        db.add(job)
        db.flush()
        job_id = job.id
    run_job(database, job_id)
    with database.session(write=False) as db:
        assert db.get_one(Job, job_id).status == "succeeded"


def recompute_phase(settings: Settings, items: int, repeat: int) -> dict[str, Any]:
    database = Database(settings)
    project_id, _ = create_project(database, "recompute", 50)
    add_items(database, project_id, items)
    seed_annotations(database, project_id, items, 50)
    advance_sequences(database, ["assignments"])
    figures: dict[str, Any] = {"batch_rows": settings.consensus_batch_rows}
    # first the rows exist, as the submits would have made them
    figures["rows"] = in_one_transaction(database, project_id)
    runs: dict[str, list[tuple[float, list[float]]]] = {"before": [], "now": []}
    for _ in range(repeat):
        variants: tuple[tuple[str, Callable[[Database, int], object]], ...] = (
            ("before", in_one_transaction),
            ("now", as_the_job),
        )
        for name, run in variants:
            with write_transactions(database) as held:
                started = time.perf_counter()
                run(database, project_id)
                runs[name].append((time.perf_counter() - started, list(held)))
    for name, measured in runs.items():
        figures[name] = {
            "wall_s": median([wall for wall, _ in measured]),
            "longest_s": median([max(held) for _, held in measured]),
            "transactions": median([len(held) for _, held in measured]),
            "held_s": median([sum(held) for _, held in measured]),
        }
    with database.session(write=False) as db:
        project = project_service.get_project(db, project_id)
        started = time.perf_counter()
        quality_service.quality_report(db, project)
        figures["report_s"] = time.perf_counter() - started
    with database.session() as db:
        owner = db.scalars(select(User).where(User.email == "owner@recompute.test")).one()
        owner_token = auth_service.create_token(db, owner, "bench")[1]
    side_id, tokens = create_project(database, "side", 8)
    add_items(database, side_id, 20_000)
    database.dispose()
    figures["submits"] = submits_during(settings, project_id, owner_token, side_id, tokens, repeat)
    return figures


def submits_during(
    settings: Settings,
    project_id: int,
    owner_token: str,
    side_id: int,
    tokens: list[str],
    repeat: int,
) -> dict[str, list[float]]:
    """Submit latencies (ms) on the side project while each kind of recompute of the big one
    runs in the same server; the same server and workers for both, in alternating rounds."""
    during: dict[str, list[float]] = {"before": [], "now": []}
    walls: dict[str, list[float]] = {"before": [], "now": []}
    factory = "bench.bench_consensus:app_with_request_recompute"
    with running_server(settings, factory=factory) as server:
        owner = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {owner_token}"}, timeout=600
        )
        for _ in range(repeat):
            for name in ("before", "now"):
                stop = threading.Event()
                timings: list[tuple[float, float]] = []
                driver = threading.Thread(
                    target=keep_submitting, args=(server.url, side_id, tokens, stop, timings)
                )
                driver.start()
                time.sleep(0.5)
                started = time.perf_counter()
                if name == "before":
                    response = owner.post(f"/bench/recompute/{project_id}")
                    assert response.status_code == 200, response.text
                else:
                    wait_for_job(owner, project_id)
                ended = time.perf_counter()
                time.sleep(0.3)
                stop.set()
                driver.join()
                walls[name].append(ended - started)
                during[name] += [ms for at, ms in timings if started <= at <= ended]
        owner.close()
    return {**during, "before_wall": walls["before"], "now_wall": walls["now"]}


def wait_for_job(owner: httpx.Client, project_id: int) -> None:
    response = owner.post(f"/api/projects/{project_id}/consensus")
    assert response.status_code == 202, response.text
    location = response.headers["location"].removeprefix("/api")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = owner.get(f"/api{location}").json()
        if job["status"] == "succeeded":
            return
        assert job["status"] != "failed", job
        time.sleep(0.05)
    raise TimeoutError("the recompute job did not finish")


def keep_submitting(
    url: str,
    project_id: int,
    tokens: list[str],
    stop: threading.Event,
    timings: list[tuple[float, float]],
) -> None:
    """next + submit, workers in turn, until stopped; (when the submit began, its ms)."""
    clients = [
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=120)
        for t in tokens
    ]
    try:
        n = 0
        while not stop.is_set():
            http = clients[n % len(clients)]
            n += 1
            lease = http.post(f"/api/projects/{project_id}/assignments/next").json()
            if lease.get("assignment") is None:
                continue
            started = time.perf_counter()
            response = http.post(
                f"/api/assignments/{lease['assignment']['id']}/submit",
                json={"answers": {"sentiment": "positive", "quality": 3}, "time_spent_ms": 900},
            )
            timings.append((started, (time.perf_counter() - started) * 1000))
            assert response.status_code == 201, response.text
    finally:
        for client in clients:
            client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submits", type=int, default=600, help="submits per server")
    parser.add_argument("--items", type=int, default=20_000, help="items in the recompute")
    parser.add_argument("--repeat", type=int, default=3, help="recompute rounds (medians)")
    parser.add_argument(
        "--recompute-only", action="store_true", help="skip (a), the submit overhead"
    )
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite"
    with fresh_settings(args.database_url) as settings:
        if not args.recompute_only:
            with_consensus, without = submit_phase(settings, args.submits)
            for name, values in (("with consensus", with_consensus), ("without", without)):
                print(
                    f"[{backend}] submit {name}: n={len(values)} "
                    f"p50 {percentile(values, 50):.2f} ms, p95 {percentile(values, 95):.2f} ms"
                )
            added = percentile(with_consensus, 95) - percentile(without, 95)
            print(f"[{backend}] consensus adds {added:.2f} ms to submit p95 (target <= 5 ms)")
        figures = recompute_phase(settings, args.items, args.repeat)
    print(
        f"[{backend}] recompute {args.items:,} items x {OVERLAP} answers x 3 questions "
        f"({figures['rows']:,} rows, Dawid-Skene), medians of {args.repeat}; "
        f"quality report {figures['report_s']:.2f} s"
    )
    labels = {
        "before": "before: one write transaction",
        "now": f"now: the job, batches of {figures['batch_rows']:,} rows",
    }
    for name, label in labels.items():
        f = figures[name]
        print(
            f"[{backend}]   {label}: {f['wall_s']:.2f} s wall; longest write transaction "
            f"{f['longest_s'] * 1000:.0f} ms ({f['transactions']:.0f} write transactions, "
            f"{f['held_s']:.2f} s in all)"
        )
    submits = figures["submits"]
    for name, label in labels.items():
        values = submits[name]
        if not values:
            print(f"[{backend}]   submits meanwhile, {label}: none completed during it")
            continue
        print(
            f"[{backend}]   submits on another project meanwhile, {label}: n={len(values)} "
            f"p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
            f"p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms, "
            f"{sum(v > 500 for v in values)} over 500 ms (recompute through the server "
            f"{median(submits[name + '_wall']):.2f} s)"
        )


if __name__ == "__main__":
    main()
