"""The demo's simulated month: `fairlabel demo` (the default scale) and `fairlabel demo
--simulate` (1,000 workers in 20 countries over 30 days) seeded into a fresh database in
process, as the command does it (one transaction), timed in wall-clock and CPU seconds,
with what the history did and the Fairwork score it left.

    PYTHONPATH=. .venv/bin/python bench/bench_demo_simulation.py [--scale default|full|both]
        [--workers N] [--database-url URL]

Targets: the default demo in a few seconds; the full scale's figure is recorded as it is."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import fresh_settings
from fairlabel.db import Base, Database
from fairlabel.demo.history import DEFAULT_SCALE, FULL_SCALE, Scale
from fairlabel.demo.seed import seed_demo
from fairlabel.models import Annotation, Appeal, LedgerEntry, Payout, Review, Worker
from fairlabel.reports import fairwork


def recorded(db: Session) -> dict[str, int]:
    """What the history left in the tables."""

    def count(model: type[Base], *conditions: Any) -> int:
        return db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0

    return {
        "workers": count(Worker),
        "tasks": count(Annotation, Annotation.source == "worker"),
        "verdicts": count(Review),
        "rejections": count(Review, Review.verdict == "reject"),
        "appeals": count(Appeal),
        "payouts": count(Payout),
        "ledger entries": count(LedgerEntry),
    }


def run(scale: Scale, database_url: str | None) -> None:
    with fresh_settings(database_url) as settings:
        database = Database(settings)
        start, start_cpu = time.perf_counter(), time.process_time()
        with database.session() as db:
            seed_demo(db, settings, history_scale=scale)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        with database.session(write=False) as db:
            report = fairwork.report(db, settings)
            done = recorded(db)
        dialect = database.engine.dialect.name
        database.dispose()
    steps = done["tasks"] + done["verdicts"]
    print(
        f"{scale.workers:,} workers, {scale.countries} countries, {scale.days} days ({dialect}): "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU in this process, "
        f"{1000 * wall / max(steps, 1):.1f} ms per task or verdict; Fairwork {report.points}/10"
    )
    print("   ", ", ".join(f"{name}: {n:,}" for name, n in done.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["default", "full", "both"], default="both")
    parser.add_argument("--workers", type=int, help="instead of the scale's workforce")
    parser.add_argument("--database-url", default=os.environ.get("FAIRLABEL_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    scales = {"default": [DEFAULT_SCALE], "full": [FULL_SCALE]}
    for scale in scales.get(args.scale, [DEFAULT_SCALE, FULL_SCALE]):
        run(replace(scale, workers=args.workers) if args.workers else scale, args.database_url)


if __name__ == "__main__":
    main()
