"""Chat question benchmark through a real uvicorn server and the stand-in OpenAI-compatible
server (tests/llm/standin.py, its own process; no model weights can be loaded here):
(a) how long the first token takes from the endpoint sending it to the SSE client reading
it, (b) 32 workers chatting at once (3 turns of 4 candidates from two endpoints, then
submit), counting every error.

    PYTHONPATH=. .venv/bin/python bench/bench_chat.py [--turns 30] [--workers 32]
        [--database-url URL]

(a) One worker, one candidate per turn, turns one after another; the stand-in notes the
wall-clock time of each stream's first token and the client the time it reads the first
`delta` event (same machine, same clock). (b) Each worker leases its item, starts 3 turns
(each continuing from the first candidate) and submits a ranking; an error is a non-2xx
answer, an `error` or `stopped` event, or a turn without its `turn` event.

Targets (issue 12): first token to the browser <= 20 ms after the endpoint sends it; 32
concurrent chat workers with 0 errors."""

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script

from bench.common import fresh_settings, median, percentile, running_server, worker_tokens
from fairlabel.auth import service as auth_service
from fairlabel.db import Database, utcnow
from fairlabel.llm import service as llm_service
from fairlabel.llm.schemas import EndpointCreate
from fairlabel.models import Item, ProjectStatus
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, QuestionIn
from tests.llm.standin import StandIn, running, unique_model

STREAM = ("ttft=50", "gap=5", "tokens=20")


def chat_project(
    database: Database, standin: StandIn, name: str, models: list[str], **settings: Any
) -> tuple[int, list[str]]:
    """An active project whose chat question the models answer, one item per worker."""
    workers = settings.pop("workers")
    with database.session() as db:
        org = org_service.create_organization(db, name, name.lower().replace(" ", "-"))
        owner = auth_service.create_user(db, f"owner@{org.slug}.test", "benchmark-pass")
        org_service.add_member(db, org.id, owner.email, "owner")
        endpoints = [
            llm_service.create_endpoint(
                db,
                org.id,
                EndpointCreate(
                    name=f"{name} {i}",
                    base_url=standin.base_url,
                    model=model,
                    max_concurrency=256,
                    max_retries=0,
                ),
                actor_id=None,
            ).id
            for i, model in enumerate(models)
        ]
        question = QuestionIn(name="q", type="chat", settings={"endpoints": endpoints, **settings})
        body = ProjectCreate(
            organization_id=org.id,
            name=name,
            status=ProjectStatus.active,
            questions=[question],
            guidelines="Talk to the models.",
        )
        project = project_service.create_project(db, body, owner)
        now = utcnow()
        db.execute(
            insert(Item),
            [
                {
                    "project_id": project.id,
                    "external_id": f"c{n}",
                    "fields": {},
                    "meta": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(workers)
            ],
        )
        return project.id, worker_tokens(db, workers, f"{org.slug}.test")


def read_turn(
    http: httpx.Client, url: str, body: dict[str, Any]
) -> tuple[list[tuple[str, Any]], float | None]:
    """The turn's events, and the wall-clock time its first delta was read."""
    found: list[tuple[str, Any]] = []
    first: float | None = None
    with http.stream("POST", url, json=body) as response:
        if response.status_code != 200:
            response.read()
            return [("status", response.status_code)], None
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                if name == "delta" and first is None:
                    first = time.time()
                found.append((name, orjson.loads(line[6:])))
    return found, first


def lease(http: httpx.Client, project_id: int) -> int:
    response = http.post(f"/api/projects/{project_id}/assignments/next")
    response.raise_for_status()
    return int(response.json()["assignment"]["id"])


def first_tokens(
    url: str, standin: StandIn, project_id: int, token: str, model: str, turns: int
) -> list[float]:
    """Milliseconds from the stand-in sending each turn's first token to the client reading it."""
    gaps = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        turns_url = f"/api/assignments/{lease(http, project_id)}/chat/q/turns"
        for turn in range(turns):
            body: dict[str, Any] = {"turn": turn, "message": f"Line {turn}, please."}
            if turn:
                body["previous"] = {"chosen": "c1"}
            events, first = read_turn(http, turns_url, body)
            assert events[-1][0] == "turn" and first is not None, events[-1]
            sent = standin.first_token_at(model)
            gaps.append((first - sent) * 1000)
    return gaps


def concurrent_workers(
    url: str, project_id: int, tokens: list[str], turns: int
) -> tuple[Counter[str], list[float]]:
    """Every worker's chat at once: the errors by kind, and each turn's wall seconds."""
    errors: Counter[str] = Counter()
    times: list[float] = []
    lock = threading.Lock()

    def worker(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            assignment = lease(http, project_id)
            turns_url = f"/api/assignments/{assignment}/chat/q/turns"
            for turn in range(turns):
                body: dict[str, Any] = {"turn": turn, "message": f"Tell me about {turn}."}
                if turn:
                    body["previous"] = {"chosen": "c1"}
                started = time.perf_counter()
                events, _ = read_turn(http, turns_url, body)
                with lock:
                    times.append(time.perf_counter() - started)
                    if events[-1][0] != "turn":
                        errors[str(events[-1][0])] += 1
                        return
            ranking = {"ranking": [["c1"], ["c2", "c3"], ["c4"]]}
            answer = {"turns": [{"turn": t, **ranking} for t in range(turns)]}
            submitted = http.post(
                f"/api/assignments/{assignment}/submit",
                json={"answers": {"q": answer}, "time_spent_ms": 60_000},
            )
            if submitted.status_code != 201:
                with lock:
                    errors[f"submit {submitted.status_code}"] += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as logs,
        running(Path(logs) / "standin.log") as standin,
        fresh_settings(args.database_url) as settings,
    ):
        database = Database(settings)
        single = unique_model(*STREAM)
        solo, solo_tokens = chat_project(
            database, standin, "Chat solo", [single], candidates=1, max_turns=args.turns, workers=1
        )
        models = [unique_model(*STREAM) for _ in range(2)]
        crowd, tokens = chat_project(
            database, standin, "Chat crowd", models, candidates=4, max_turns=3, workers=args.workers
        )
        database.dispose()
        with running_server(settings) as server:
            gaps = first_tokens(server.url, standin, solo, solo_tokens[0], single, args.turns)
            started = time.perf_counter()
            errors, times = concurrent_workers(server.url, crowd, tokens, 3)
            elapsed = time.perf_counter() - started
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(f"database: {kind}; turns of 20 tokens (50 ms to the first, 5 ms apart)")
    print(
        f"first token, endpoint sent -> SSE client read: p50 {percentile(gaps, 50):.2f} ms, "
        f"p95 {percentile(gaps, 95):.2f} ms, max {max(gaps):.2f} ms over {len(gaps)} turns "
        f"(target <= 20 ms)"
    )
    print(
        f"{args.workers} concurrent chat workers, 3 turns of 4 candidates each, then submit: "
        f"{sum(errors.values())} errors {dict(errors)} (target 0); turn median "
        f"{median(times) * 1000:.0f} ms, p95 {percentile(times, 95) * 1000:.0f} ms; "
        f"{elapsed:.1f} s in all"
    )


if __name__ == "__main__":
    main()
