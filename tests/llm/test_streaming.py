"""Streamed completions and parallel candidates through the production client (the openai
SDK over real HTTP) against the stand-in server: the deltas, the recorded figures, N
candidates in about the time of one, the concurrency cap, and stopping mid-way."""

import time
from typing import Any

from fairlabel.db import Database
from fairlabel.errors import NotFound
from fairlabel.llm import generation, service
from fairlabel.llm.client import CallResult, EndpointConfig, TextDelta
from fairlabel.llm.generation import Candidate, CandidateEvent
from fairlabel.llm.schemas import SamplingParams
from fairlabel.models import CallStatus
from tests.factories import Factory
from tests.llm.helpers import calls, config, register, run_async
from tests.llm.standin import StandIn, prompt_tokens, reply_text, unique_model

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name three colours, please."},
]


async def _collect(stream: Any) -> list[Any]:
    return [event async for event in stream]


def _chat(database: Database, endpoint: EndpointConfig, **options: Any) -> list[Any]:
    return run_async(_collect(generation.chat(database, endpoint, MESSAGES, **options)))


def _candidates(
    database: Database, wanted: list[Candidate], **options: Any
) -> tuple[list[CandidateEvent], float]:
    started = time.perf_counter()
    events = run_async(_collect(generation.candidates(database, wanted, MESSAGES, **options)))
    return events, time.perf_counter() - started


def test_a_streamed_reply_arrives_in_deltas_with_its_figures_recorded(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    model = unique_model("ttft=120", "gap=20", "tokens=6")
    endpoint = register(owner, org_id, standin, model=model, sampling={"seed": 42})
    *deltas, result = _chat(database, config(database, endpoint["id"]), project_id=project["id"])
    expected, finish = reply_text(MESSAGES, 42, 6)
    assert all(isinstance(d, TextDelta) for d in deltas)
    assert len(deltas) == 6
    assert "".join(d.text for d in deltas) == expected
    assert isinstance(result, CallResult) and result.ok
    assert (result.text, result.finish_reason) == (expected, finish)
    assert (result.tokens_in, result.tokens_out) == (prompt_tokens(MESSAGES), 6)
    assert result.first_token_ms is not None and result.first_token_ms >= 120
    # Lower bounds only: the stand-in sleeps 120 ms, then 20 ms between tokens; load can
    # only add to what the client measures.
    assert result.latency_ms >= max(result.first_token_ms, 120 + 5 * 20)
    assert result.sampling.seed == 42
    [call] = calls(database, endpoint["id"])
    assert (call.project_id, call.purpose, call.status) == (project["id"], "generation", "ok")
    assert (call.tokens_in, call.tokens_out) == (result.tokens_in, result.tokens_out)
    assert call.latency_ms == result.latency_ms
    assert call.first_token_ms == result.first_token_ms
    assert call.model == model and call.endpoint_name == endpoint["name"]


def test_sampling_overrides_replace_the_endpoint_defaults_field_by_field(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(
        owner,
        org_id,
        standin,
        model=unique_model("tokens=10"),
        sampling={"seed": 1, "max_tokens": 10, "temperature": 0.3},
    )
    endpoint_config = config(database, endpoint["id"])
    result = _chat(database, endpoint_config, sampling=SamplingParams(seed=2))[-1]
    assert result.text == reply_text(MESSAGES, 2, 10)[0]
    assert (result.sampling.seed, result.sampling.temperature) == (2, 0.3)
    third_word = reply_text(MESSAGES, 2, 10)[0].split()[2]
    stopped = _chat(database, endpoint_config, sampling=SamplingParams(seed=2, stop=[third_word]))
    assert stopped[-1].finish_reason == "stop"
    assert stopped[-1].text == " ".join(result.text.split()[:2])
    short = _chat(database, endpoint_config, sampling=SamplingParams(max_tokens=3))[-1]
    assert (short.tokens_out, short.finish_reason) == (3, "length")


def test_a_server_that_reports_no_usage_leaves_token_counts_empty(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, model=unique_model("nousage"))
    result = _chat(database, config(database, endpoint["id"]))[-1]
    assert result.ok and result.text
    assert (result.tokens_in, result.tokens_out) == (None, None)


def test_a_failed_stream_keeps_what_came_and_says_why(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, model=unique_model("break=3"), sampling={"seed": 5})
    *deltas, result = _chat(database, config(database, endpoint["id"]))
    assert len(deltas) == 3
    assert result.status == CallStatus.failed
    assert result.error is not None and result.error.code == "broken_stream"
    assert result.text == " ".join(reply_text(MESSAGES, 5, 8)[0].split()[:3])
    assert [c.error_code for c in calls(database, endpoint["id"])] == ["broken_stream"]


def test_four_candidates_from_two_endpoints_run_at_once(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    """In parallel, not one after another: each endpoint sees both of its candidates in
    flight together (the stand-in counts them). How long that takes is bench_llm's figure,
    not a timed test's."""
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    models = [unique_model("ttft=300", "tokens=4") for _ in range(2)]
    first, second = (register(owner, org_id, standin, model=model) for model in models)
    with database.session(write=False) as db:
        configs = service.organization_configs(
            db, org_id, [first["id"], first["id"], second["id"], second["id"]]
        )
    wanted = [Candidate(c, SamplingParams(seed=i)) for i, c in enumerate(configs)]
    events, _took = _candidates(database, wanted, project_id=project["id"])
    assert [standin.stats(model) for model in models] == [{"requests": 2, "max_in_flight": 2}] * 2
    results = {e.index: e.event for e in events if isinstance(e.event, CallResult)}
    assert sorted(results) == [0, 1, 2, 3]
    assert all(r.ok for r in results.values())
    for index, result in results.items():
        text = "".join(
            e.event.text for e in events if e.index == index and isinstance(e.event, TextDelta)
        )
        assert text == result.text == reply_text(MESSAGES, index, 4)[0]
    assert len({r.text for r in results.values()}) == 4
    recorded = calls(database, first["id"]) + calls(database, second["id"])
    assert sorted(c.purpose for c in recorded if c.project_id == project["id"]) == ["candidate"] * 4


def test_the_concurrency_cap_holds_calls_back_until_a_slot_frees(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    model = unique_model("ttft=200", "tokens=2")
    endpoint = register(owner, org_id, standin, model=model, max_concurrency=2)
    endpoint_config = config(database, endpoint["id"])
    events, took = _candidates(database, [Candidate(endpoint_config)] * 6)
    assert standin.stats(model) == {"requests": 6, "max_in_flight": 2}
    assert took >= 3 * 0.2
    results = [e.event for e in events if isinstance(e.event, CallResult)]
    assert all(r.ok for r in results)
    waits = sorted(r.queue_ms for r in results)
    assert waits[-1] >= 2 * 200 * 0.9
    # The latency leaves the wait for a slot out: counted in, the call that waited longest
    # would take its wait and the 200 ms of its own answer.
    longest = max(results, key=lambda r: r.queue_ms or 0)
    assert longest.latency_ms < (longest.queue_ms or 0) + 200, (longest.latency_ms, waits)
    assert sorted(c.queue_ms for c in calls(database, endpoint["id"])) == waits


def test_leaving_early_stops_the_calls_and_records_them_stopped(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    model = unique_model("gap=200", "tokens=20")
    endpoint = register(owner, org_id, standin, model=model)
    endpoint_config = config(database, endpoint["id"])

    async def first_words() -> list[CandidateEvent]:
        seen = []
        stream = generation.candidates(database, [Candidate(endpoint_config)] * 2, MESSAGES)
        async for event in stream:
            seen.append(event)
            if isinstance(event.event, TextDelta):
                break
        await stream.aclose()
        return seen

    started = time.perf_counter()
    seen = run_async(first_words())
    assert time.perf_counter() - started < 2
    assert not any(isinstance(e.event, CallResult) for e in seen)
    recorded = calls(database, endpoint["id"])
    assert [(c.status, c.error_code) for c in recorded] == [("stopped", "stopped")] * 2
    deadline = time.monotonic() + 5
    while standin.stats(model)["requests"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert standin.stats(model)["requests"] == 2


def test_candidates_name_only_endpoints_of_the_organization(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    stranger, other_org = factory.owner()
    mine = register(owner, org_id, standin)
    theirs = register(stranger, other_org, standin)
    with database.session(write=False) as db:
        try:
            service.organization_configs(db, org_id, [mine["id"], theirs["id"]])
        except NotFound as error:
            assert error.value == theirs["id"]
        else:
            raise AssertionError("another organization's endpoint was given out")
