"""What the rest of the platform calls: a recorded, streamed chat completion from one
endpoint, N candidates streamed at once across endpoints, and the test connection.

    configs = service.organization_configs(db, org_id, [a_id, b_id, b_id])
    async for event in generation.candidates(database, [Candidate(c) for c in configs],
                                             messages, project_id=project.id):
        ...  # event.index says which candidate; event.event is a TextDelta or CallResult

Samples of one endpoint with a fixed seed come out the same: give each its own `seed`.
Load the configurations in a session that is closed before the calls start: no
transaction (on SQLite, no write lock) should wait on a model."""

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from fairlabel.db import Database
from fairlabel.llm import usage
from fairlabel.llm.client import CallResult, EndpointConfig, Event, Messages, stream_chat
from fairlabel.llm.schemas import SamplingParams

TEST_MESSAGES = ({"role": "user", "content": "Say OK."},)


async def chat(
    database: Database,
    endpoint: EndpointConfig,
    messages: Messages,
    *,
    sampling: SamplingParams | None = None,
    project_id: int | None = None,
    purpose: str = "generation",
    response_format: Mapping[str, Any] | None = None,
) -> AsyncGenerator[Event]:
    """One streamed completion, recorded when it ends (also when stopped or failed)."""
    record = usage.recorder(database, project_id, purpose)
    stream = stream_chat(
        endpoint, messages, sampling=sampling, record=record, response_format=response_format
    )
    async with aclosing(stream) as s:
        async for event in s:
            yield event


@dataclass(frozen=True)
class Candidate:
    endpoint: EndpointConfig
    sampling: SamplingParams | None = None


@dataclass(frozen=True)
class CandidateEvent:
    index: int
    event: Event


async def candidates(
    database: Database,
    wanted: Sequence[Candidate],
    messages: Messages,
    *,
    project_id: int | None = None,
    purpose: str = "candidate",
) -> AsyncGenerator[CandidateEvent]:
    """All candidates at once, their events interleaved as they arrive; each ends with its
    CallResult. Leaving the loop early stops the calls still running (recorded as
    stopped); each endpoint's concurrency cap still holds."""
    queue: asyncio.Queue[CandidateEvent | BaseException | None] = asyncio.Queue()

    async def pump(index: int, candidate: Candidate) -> None:
        try:
            events = chat(
                database,
                candidate.endpoint,
                messages,
                sampling=candidate.sampling,
                project_id=project_id,
                purpose=purpose,
            )
            async with aclosing(events) as stream:
                async for event in stream:
                    queue.put_nowait(CandidateEvent(index, event))
        except Exception as error:
            queue.put_nowait(error)
        finally:
            queue.put_nowait(None)

    tasks = [asyncio.create_task(pump(i, c)) for i, c in enumerate(wanted)]
    try:
        running = len(tasks)
        while running:
            item = await queue.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def complete(
    database: Database,
    endpoint: EndpointConfig,
    messages: Messages,
    *,
    sampling: SamplingParams | None = None,
    project_id: int | None = None,
    purpose: str = "generation",
    response_format: Mapping[str, Any] | None = None,
) -> CallResult:
    """The whole reply at once (its CallResult), for callers that do not stream."""
    events = chat(
        database,
        endpoint,
        messages,
        sampling=sampling,
        project_id=project_id,
        purpose=purpose,
        response_format=response_format,
    )
    async with aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, CallResult):
                return event
    raise RuntimeError("a chat stream ended without its result")


async def test_connection(database: Database, endpoint: EndpointConfig) -> CallResult:
    """A one-token completion through the same path as real calls, recorded as a test."""
    return await complete(
        database,
        endpoint,
        TEST_MESSAGES,
        sampling=SamplingParams(max_tokens=1),
        purpose="test",
    )
