"""The same path against a real OpenAI-compatible server (vLLM, llama.cpp, Ollama, a
hosted API), when one is named: FAIRLABEL_TEST_LLM_URL (its base URL, ending in /v1),
FAIRLABEL_TEST_LLM_MODEL (default: the first model the server lists) and
FAIRLABEL_TEST_LLM_KEY (optional). Skipped otherwise: the other tests use the stand-in."""

import os

import httpx
import pytest

from fairlabel.db import Database
from fairlabel.llm import generation
from fairlabel.llm.client import CallResult, TextDelta
from tests.factories import Factory
from tests.llm.helpers import calls, config, run_async

URL = os.environ.get("FAIRLABEL_TEST_LLM_URL")
pytestmark = pytest.mark.skipif(not URL, reason="FAIRLABEL_TEST_LLM_URL names no real server")


def _model(url: str, key: str | None) -> str:
    named = os.environ.get("FAIRLABEL_TEST_LLM_MODEL")
    if named:
        return named
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    listed = httpx.get(f"{url.rstrip('/')}/models", headers=headers, timeout=30).json()
    return str(listed["data"][0]["id"])


def test_test_connection_and_a_streamed_completion(factory: Factory, database: Database) -> None:
    assert URL
    key = os.environ.get("FAIRLABEL_TEST_LLM_KEY")
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    body = {
        "name": "real",
        "base_url": URL,
        "model": _model(URL, key),
        "api_key": key,
        "timeout_seconds": 120,
        "sampling": {"max_tokens": 32, "temperature": 0},
    }
    created = owner.post(f"/api/organizations/{org_id}/model-endpoints", json=body)
    assert created.status_code == 201, created.text
    endpoint_id = created.json()["id"]
    tested = owner.post(f"/api/model-endpoints/{endpoint_id}/test").json()
    assert tested["ok"] is True, tested
    messages = [{"role": "user", "content": "Count from one to five."}]

    async def stream() -> list[TextDelta | CallResult]:
        events = generation.chat(
            database, config(database, endpoint_id), messages, project_id=project["id"]
        )
        return [event async for event in events]

    *deltas, result = run_async(stream())
    assert isinstance(result, CallResult) and result.ok, result.error
    assert deltas and "".join(d.text for d in deltas if isinstance(d, TextDelta)) == result.text
    assert result.first_token_ms is not None and result.first_token_ms <= result.latency_ms
    assert [c.status for c in calls(database, endpoint_id)] == ["ok", "ok"]
    if key:
        assert key not in created.text
