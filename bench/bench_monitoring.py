"""Production monitoring benchmark: ingesting production conversations (the request's
work, `monitoring.service.ingest`, in process: the checks of every message, the hash that
samples it, one INSERT of the sampled ones, the counts' upserts, each batch its own
transaction), and reading the flagged rate per day over what was sampled.

    PYTHONPATH=. .venv/bin/python bench/bench_monitoring.py [--batches 50] [--database-url URL]

Batches of 1,000 conversations (two messages each, a few hundred bytes) over 30 days and 4
models, at a sampling rate of 0.1 and of 1.0; the flagged rate over every sampled item.
Issue 13 sets no target; a serving stack sends batches from a background queue, so what
matters is conversations a second per server process."""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script

from bench.common import fresh_settings, median
from fairlabel.db import Database
from fairlabel.models import MonitoringStream, Project, Question
from fairlabel.monitoring import schemas, service
from fairlabel.organizations import service as org_service

BATCH = 1000
START = datetime(2026, 11, 1, tzinfo=UTC)


def stream(database: Database, rate: float) -> int:
    with database.session() as db:
        org = org_service.create_organization(db, f"Bench {rate}", f"bench-{rate}")
        project = Project(organization_id=org.id, name="Production", status="active")
        project.questions.append(
            Question(name="verdict", type="label", settings={"labels": ["fine", "harmful"]})
        )
        db.add(project)
        db.flush()
        row = MonitoringStream(
            organization_id=org.id,
            project_id=project.id,
            name="prod",
            rate=rate,
            stratum="model",
            stratum_rates={},
            flag_question="verdict",
            flag_values=["harmful"],
        )
        db.add(row)
        db.flush()
        return row.id


def batch(number: int) -> schemas.Ingest:
    return schemas.Ingest.model_validate(
        {
            "conversations": [
                {
                    "id": f"c{number}-{n}",
                    "model": f"model-{n % 4}",
                    "timestamp": (START + timedelta(minutes=number * BATCH + n)).isoformat(),
                    "metadata": {"region": ("eu", "us")[n % 2], "latency_ms": 400 + n % 97},
                    "messages": [
                        {"role": "user", "content": f"How do I do task {n} of batch {number}?"},
                        {"role": "assistant", "content": "Here is how, step by step: " * 4},
                    ],
                }
                for n in range(BATCH)
            ]
        }
    )


def run(database: Database, rate: float, batches: int) -> None:
    stream_id = stream(database, rate)
    bodies = [batch(number) for number in range(batches)]
    times, cpu = [], time.process_time()
    sampled = 0
    for body in bodies:
        started = time.perf_counter()
        with database.session() as db:
            sampled += service.ingest(db, db.get(MonitoringStream, stream_id), body).sampled
        times.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    per_second = BATCH / median(times)
    print(
        f"rate {rate}: {batches} batches of {BATCH}, {sampled} sampled; median batch "
        f"{median(times) * 1000:.0f} ms = {per_second:,.0f} conversations/s; "
        f"{cpu / (batches * BATCH) * 1e6:.0f} CPU-us per conversation"
    )
    started = time.perf_counter()
    with database.session(write=False) as db:
        days = service.flagged_rate(db, db.get(MonitoringStream, stream_id)).days
    print(
        f"  flagged rate over {sampled} items, {len(days)} days: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with fresh_settings(args.database_url) as settings:
        database = Database(settings)
        for rate in (0.1, 1.0):
            run(database, rate, args.batches)
        database.dispose()


if __name__ == "__main__":
    main()
