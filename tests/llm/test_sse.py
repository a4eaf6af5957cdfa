"""Reading a stream's server-sent events as the client does: data lines joined per event,
other fields and comments skipped, `[DONE]` ending it, an error event refused."""

from collections.abc import AsyncIterator

import pytest

from fairlabel.llm.client import MalformedStream, sse_data
from tests.llm.helpers import run_async


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


def _read(*lines: str) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        return [chunk async for chunk in sse_data(_lines(*lines))]

    return run_async(read())


def test_events_fields_comments_and_done() -> None:
    chunks = _read(
        ": keep-alive",
        "",
        "event: message",
        'data: {"id": "a",',
        'data: "choices": []}',
        "",
        'data:{"id": "b"}',
        "",
        "data: [DONE]",
        "",
        'data: {"id": "after done"}',
        "",
    )
    assert chunks == [{"id": "a", "choices": []}, {"id": "b"}]


@pytest.mark.parametrize("payload", ['{"error": {"message": "overloaded"}}', "[1, 2]"])
def test_an_error_event_or_a_non_object_is_malformed(payload: str) -> None:
    with pytest.raises(MalformedStream):
        _read(f"data: {payload}", "")
