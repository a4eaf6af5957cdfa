"""Pay benchmark: (a) a payout run over 1,000,000 ledger entries for 10,000 workers, in
process (the deadline sweep, the floor check, the due balances with their entry counts,
20,000 new legs and their balances); (b) a worker's earnings page with 100,000 entries of
their own, through a real uvicorn server, first and deep pages alike.

    PYTHONPATH=. .venv/bin/python bench/bench_pay.py [--workers 10000] [--entries 1000000]
        [--repeat 3] [--requests 200] [--database-url postgresql+psycopg://...]

Each task is two transactions of two legs (earned: budget to pending; approved: pending to
approved), all older than the review deadline. The payout is timed --repeat times, each
rolled back, then once committed. Targets (issue 5): payout <= 10 s; page p95 <= 100 ms."""

import argparse
import os
import random
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx

from bench.bench_export import ASSIGNMENT_COLUMNS as EXPORT_ASSIGNMENT_COLUMNS
from bench.bench_export import ITEM_COLUMNS
from bench.common import (
    advance_sequences,
    analyze,
    bulk_insert,
    driver_timestamp,
    fresh_settings,
    insert_workers,
    median,
    percentile,
    running_server,
)
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.models import Organization, Project
from fairlabel.pay import payouts

RATE = 40
PASSWORD = "benchmark-pass"
ENTRY_COLUMNS = (
    "id",
    "txn_id",
    "account",
    "currency",
    "amount_minor",
    "kind",
    "project_id",
    "worker_id",
    "assignment_id",
    "memo",
    "created_at",
)


def populate(settings: Settings, workers: int, entries: int) -> tuple[str, int]:
    """The ledger of `entries` / 4 approved tasks spread over `workers` workers, plus one
    worker with 100,000 entries; answers that worker's email and id."""
    database = Database(settings)
    try:
        project_id, org_id, heavy, password_hash = _project(database)
        ids = insert_workers(database, workers, password_hash)
        tasks = [ids[t % workers] for t in range(entries // 4)] + [heavy] * 33_334
        _ledger(database, project_id, org_id, tasks)
        advance_sequences(database, ("items", "assignments", "ledger_entries", "users"))
        analyze(database)
    finally:
        database.dispose()
    return "heavy@bench.test", heavy


def _project(database: Database) -> tuple[int, int, int, str]:
    with database.session() as db:
        org = Organization(name="Bench", slug="bench")
        db.add(org)
        db.flush()
        project = Project(
            organization_id=org.id, name="Paid", status="active", rates={"label": RATE}
        )
        db.add(project)
        heavy = auth_service.create_user(db, "heavy@bench.test", PASSWORD, is_worker=True)
        db.flush()
        return project.id, org.id, heavy.id, heavy.password_hash


def _ledger(database: Database, project_id: int, org_id: int, tasks: list[int]) -> None:
    """Items, submitted assignments, their entries (funding first) and the kept balances."""
    old = driver_timestamp(database, utcnow() - timedelta(days=10))
    items = (
        (i, project_id, f"t-{i}", '{"text": "x"}', "{}", 0, 1, 1, False, old, old)
        for i in range(1, len(tasks) + 1)
    )
    bulk_insert(database, "items", ITEM_COLUMNS, items)
    assignments = (
        (i, project_id, i, w, "label", "submitted", old, old, RATE, "USD")
        for i, w in enumerate(tasks, 1)
    )
    bulk_insert(database, "assignments", ASSIGNMENT_COLUMNS, assignments)
    bulk_insert(database, "ledger_entries", ENTRY_COLUMNS, _entries(project_id, org_id, tasks, old))
    bulk_insert(
        database,
        "ledger_balances",
        ("account", "currency", "balance_minor", "updated_at"),
        _balances(project_id, org_id, tasks, old),
    )


ASSIGNMENT_COLUMNS = (*EXPORT_ASSIGNMENT_COLUMNS, "rate_minor", "currency")


def _entries(
    project_id: int, org_id: int, tasks: list[int], stamp: Any
) -> Iterator[tuple[Any, ...]]:
    total = RATE * len(tasks)
    budget = f"project:{project_id}:budget"
    yield (
        1,
        1,
        f"client:{org_id}:funding",
        "USD",
        -total,
        "funded",
        project_id,
        None,
        None,
        "",
        stamp,
    )
    yield (2, 1, budget, "USD", total, "funded", project_id, None, None, "", stamp)
    entry = 3
    for assignment_id, worker in enumerate(tasks, 1):
        pending, approved = f"worker:{worker}:pending", f"worker:{worker}:approved"
        legs = (
            (budget, -RATE, "earned", None),
            (pending, RATE, "earned", worker),
            (pending, -RATE, "approved", worker),
            (approved, RATE, "approved", worker),
        )
        for n, (account, amount, kind, worker_id) in enumerate(legs):
            txn = entry if n % 2 == 0 else entry - 1
            yield (
                entry,
                txn,
                account,
                "USD",
                amount,
                kind,
                project_id,
                worker_id,
                assignment_id,
                "",
                stamp,
            )
            entry += 1


def _balances(
    project_id: int, org_id: int, tasks: list[int], stamp: Any
) -> Iterator[tuple[Any, ...]]:
    yield (f"client:{org_id}:funding", "USD", -RATE * len(tasks), stamp)
    yield (f"project:{project_id}:budget", "USD", 0, stamp)
    counts: dict[int, int] = {}
    for worker in tasks:
        counts[worker] = counts.get(worker, 0) + 1
    for worker, n in counts.items():
        yield (f"worker:{worker}:pending", "USD", 0, stamp)
        yield (f"worker:{worker}:approved", "USD", RATE * n, stamp)


def time_payouts(settings: Settings, repeat: int) -> tuple[list[float], int, int]:
    """`repeat` payout runs rolled back, then one committed: seconds of each, workers and
    entries paid by the last."""
    database = Database(settings)
    seconds: list[float] = []
    try:
        for attempt in range(repeat + 1):
            db = database.new_session()
            started = time.perf_counter()
            payout, _lines = payouts.run_payout(db, "USD", minimum=100, actor_id=None)
            if attempt == repeat:
                db.commit()
            seconds.append(time.perf_counter() - started)
            db.rollback()
            db.close()
        return seconds, payout.workers, payout.entries
    finally:
        database.dispose()


def time_pages(settings: Settings, email: str, requests: int) -> list[float]:
    """The earnings page as the heavy worker, signed in through the form: alternately the
    first page and a page at a random depth."""
    rng = random.Random(5)
    with running_server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        form = http.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        http.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        first = http.get("/earnings")
        assert first.status_code == 200 and "Older entries" in first.text, first.text[:500]
        deepest = int(re.findall(r"before=(\d+)", first.text)[0])
        timings = []
        for n in range(requests):
            params = {} if n % 2 == 0 else {"before": rng.randint(10, deepest)}
            started = time.perf_counter()
            response = http.get("/earnings", params=params)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("FAIRLABEL_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with fresh_settings(args.database_url) as settings:
        started = time.perf_counter()
        email, _heavy = populate(settings, args.workers, args.entries)
        kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
        loaded = time.perf_counter() - started
        print(f"{kind}: loaded in {loaded:.0f} s; load average {os.getloadavg()[0]:.1f}")
        pages = [1000 * s for s in time_pages(settings, email, args.requests)]
        print(
            f"earnings page, worker with 100,000 entries: p50 {percentile(pages, 50):.1f} ms, "
            f"p95 {percentile(pages, 95):.1f} ms over {len(pages)} requests (target p95 <= 100 ms)"
        )
        seconds, workers, entries = time_payouts(settings, args.repeat)
        print(
            f"payout run, {args.entries:,} entries / {args.workers:,} workers: median "
            f"{median(seconds[:-1] or seconds):.2f} s of {args.repeat} rolled back, committed "
            f"run {seconds[-1]:.2f} s ({workers:,} workers, {entries:,} entries paid) (target "
            f"<= 10 s); load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
