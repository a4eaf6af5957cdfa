"""Model endpoint benchmark against the stand-in OpenAI-compatible server (tests/llm/
standin.py, a process of its own): (a) the platform's overhead per call over the
endpoint's own time, p50/p95, (b) N = 4 candidates at once against one.

    PYTHONPATH=. .venv/bin/python bench/bench_llm.py [--calls 200] [--database-url URL]

(a) One call is the production path: `generation.chat` (the openai SDK over real HTTP, the
address guard, the concurrency cap), timed until the caller holds the call's result. Its
overhead is that time minus the stand-in's own time for that response, as the stand-in
measured it from receiving the request to sending the last byte. The call's record is
written to the database right after the result is handed on; its time is printed too. The same
request through a bare httpx2 stream (no SDK, no record) gives the floor of HTTP and the
stand-in's framework, printed beside it.

(b) Wall time for 4 candidates from two endpoints (two samples each) over the time of one,
median of `--repeat` rounds, with a stand-in latency of 300 ms to the first token.

Targets (issue 12): overhead per call p95 <= 10 ms; N = 4 candidates <= 1.2x one."""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script

from bench.common import fresh_settings, median, percentile
from fairlabel.db import Database
from fairlabel.llm import generation, service
from fairlabel.llm.client import CallResult, EndpointConfig
from fairlabel.llm.generation import Candidate
from fairlabel.llm.schemas import EndpointCreate, SamplingParams
from fairlabel.organizations import service as org_service
from tests.llm.standin import StandIn, running, unique_model

MESSAGES = [{"role": "user", "content": "Write a short line about the sea."}]


def endpoints(database: Database, standin: StandIn, models: list[str]) -> list[EndpointConfig]:
    with database.session() as db:
        org = org_service.create_organization(db, "Bench", "bench")
        created = [
            service.create_endpoint(
                db,
                org.id,
                EndpointCreate(
                    name=f"bench {i}",
                    base_url=standin.base_url,
                    model=model,
                    max_concurrency=8,
                    max_retries=0,
                ),
                actor_id=None,
            )
            for i, model in enumerate(models)
        ]
        return [service.endpoint_config(db, e) for e in created]


async def overhead(
    database: Database, standin: StandIn, config: EndpointConfig, calls: int
) -> tuple[list[float], list[float], list[float]]:
    """Per call: ours minus the stand-in's own time, to the moment the caller holds the
    result; the bare stream's minus the same; and the writing of the call's record, which
    follows the result (the caller does not wait on it)."""
    ours: list[float] = []
    bare: list[float] = []
    records: list[float] = []
    async with httpx2.AsyncClient(base_url=standin.base_url, timeout=30) as http:
        for index in range(calls + 10):
            result: CallResult | None = None
            started = time.perf_counter()
            events = generation.chat(database, config, MESSAGES)
            async for event in events:
                if isinstance(event, CallResult):
                    result = event
                    break
            took = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            await events.aclose()
            recorded = (time.perf_counter() - started) * 1000
            assert result is not None and result.ok and result.response_id
            started = time.perf_counter()
            response_id = await _bare_stream(http, config.model)
            bare_took = (time.perf_counter() - started) * 1000
            if index >= 10:  # connections, clients and imports warmed first
                ours.append(took - await _elapsed(http, standin, result.response_id))
                bare.append(bare_took - await _elapsed(http, standin, response_id))
                records.append(recorded)
    return ours, bare, records


async def _bare_stream(http: httpx2.AsyncClient, model: str) -> str:
    body = {"model": model, "messages": MESSAGES, "stream": True}
    response_id = ""
    async with http.stream("POST", "/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if not response_id and line.startswith("data: {"):
                response_id = line.split('"id": "', 1)[1].split('"', 1)[0]
    return response_id


async def _elapsed(http: httpx2.AsyncClient, standin: StandIn, response_id: str) -> float:
    response = await http.get(f"{standin.origin}/standin/elapsed/{response_id}")
    return float(response.json()["elapsed_ms"])


async def candidates(
    database: Database, configs: list[EndpointConfig], repeat: int
) -> tuple[float, float]:
    """Median wall seconds of one candidate and of four (two per endpoint)."""
    one = [Candidate(configs[0])]
    four = [Candidate(c, SamplingParams(seed=i)) for i, c in enumerate(configs * 2)]
    times: dict[int, list[float]] = {1: [], 4: []}
    for round_number in range(repeat + 1):
        for wanted in (one, four):
            started = time.perf_counter()
            async for event in generation.candidates(database, wanted, MESSAGES):
                if isinstance(event.event, CallResult):
                    assert event.event.ok, event.event.error
            if round_number:
                times[len(wanted)].append(time.perf_counter() - started)
    return median(times[1]), median(times[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as logs,
        running(Path(logs) / "standin.log") as standin,
        fresh_settings(args.database_url) as settings,
    ):
        database = Database(settings)
        fast = unique_model("ttft=50", "gap=5", "tokens=20")
        slow = [unique_model("ttft=300", "gap=5", "tokens=8") for _ in range(2)]
        configs = endpoints(database, standin, [fast, *slow])
        ours, bare, records = asyncio.run(overhead(database, standin, configs[0], args.calls))
        one, four = asyncio.run(candidates(database, configs[1:], args.repeat))
        database.dispose()
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(f"database: {kind}; {args.calls} calls of 20 tokens (50 ms to the first, 5 ms apart)")
    print(
        f"overhead per call over the stand-in's own time: p50 {percentile(ours, 50):.2f} ms, "
        f"p95 {percentile(ours, 95):.2f} ms (target p95 <= 10 ms)"
    )
    print(
        f"  bare httpx2 stream of the same request: p50 {percentile(bare, 50):.2f} ms, "
        f"p95 {percentile(bare, 95):.2f} ms"
    )
    print(
        f"  the call's record, written after the result is handed on: "
        f"p50 {percentile(records, 50):.2f} ms, p95 {percentile(records, 95):.2f} ms"
    )
    print(
        f"N = 4 candidates: {four * 1000:.0f} ms, one: {one * 1000:.0f} ms, "
        f"ratio {four / one:.2f} (target <= 1.2), median of {args.repeat}"
    )


if __name__ == "__main__":
    main()
