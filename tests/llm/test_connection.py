"""Test connection: a one-token completion through the production client against the
stand-in, answering ok with its latency, or the failure's own code and a clear message,
and recorded as a call either way."""

from typing import Any

import pytest

from fairlabel.db import Database
from fairlabel.models import CallStatus
from tests.factories import Factory
from tests.llm.helpers import API_KEY, calls, register
from tests.llm.standin import StandIn, key_model, unique_model


def test_a_working_endpoint_answers_ok_with_its_latency(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    model = unique_model("ttft=50")
    endpoint = register(owner, org_id, standin, model=model)
    response = owner.post(f"/api/model-endpoints/{endpoint['id']}/test")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ok"] is True and result["error"] is None
    assert result["model"] == model
    assert result["first_token_ms"] >= 50
    assert result["latency_ms"] >= result["first_token_ms"]
    [call] = calls(database, endpoint["id"])
    assert (call.purpose, call.status, call.error_code) == ("test", CallStatus.ok, None)
    assert (call.tokens_in, call.tokens_out) == (2, 1)
    assert call.project_id is None


FAILURES: list[tuple[str, dict[str, Any], str, int | None, str]] = [
    ("unknown model", {"model": "no-such-model"}, "unknown_model", 404, "model name"),
    ("429", {"model": unique_model("status=429")}, "rate_limited", 429, "429"),
    ("500", {"model": unique_model("status=500")}, "server_error", 500, "500"),
    ("502", {"model": unique_model("status=502")}, "server_error", 502, "502"),
    (
        "wrong key",
        {"model": key_model("sk-right-key-123456"), "api_key": API_KEY},
        "unauthorized",
        401,
        "key",
    ),
    ("no key", {"model": key_model("sk-right-key-123456")}, "unauthorized", 401, "key"),
    ("timeout", {"model": unique_model("hang"), "timeout_seconds": 0.5}, "timeout", None, "0.5 s"),
    (
        "silent mid-stream",
        {"model": unique_model("stall=0"), "timeout_seconds": 0.5},
        "timeout",
        None,
        "mid-reply",
    ),
    ("broken stream", {"model": unique_model("break=0")}, "broken_stream", None, "mid-way"),
    ("truncated", {"model": unique_model("truncate=0")}, "broken_stream", None, "finished"),
    ("malformed", {"model": unique_model("garbage=0")}, "malformed_stream", None, "JSON"),
    (
        "error event",
        {"model": unique_model("error_event=0")},
        "malformed_stream",
        None,
        "error event",
    ),
]


@pytest.mark.parametrize(
    ("fields", "code", "upstream", "says"),
    [f[1:] for f in FAILURES],
    ids=[f[0] for f in FAILURES],
)
def test_each_failure_answers_its_code_and_is_recorded(
    factory: Factory,
    standin: StandIn,
    database: Database,
    fields: dict[str, Any],
    code: str,
    upstream: int | None,
    says: str,
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, **fields)
    response = owner.post(f"/api/model-endpoints/{endpoint['id']}/test")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ok"] is False
    assert (result["error"]["code"], result["error"]["upstream_status"]) == (code, upstream)
    assert says in result["error"]["message"]
    assert "Traceback" not in response.text
    [call] = calls(database, endpoint["id"])
    assert (call.status, call.error_code) == (CallStatus.failed, code)
    assert call.latency_ms > 0


def test_an_unreachable_endpoint(factory: Factory, standin: StandIn, database: Database) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, base_url="http://127.0.0.1:9/v1")
    result = owner.post(f"/api/model-endpoints/{endpoint['id']}/test").json()
    assert result["ok"] is False
    assert result["error"]["code"] == "unreachable"
    assert [c.error_code for c in calls(database, endpoint["id"])] == ["unreachable"]


def test_retries_with_backoff_get_past_passing_rate_limits(
    factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    model = unique_model("flaky=2", "status=429")
    endpoint = register(owner, org_id, standin, model=model, max_retries=2)
    assert owner.post(f"/api/model-endpoints/{endpoint['id']}/test").json()["ok"] is True
    assert standin.stats(model)["requests"] == 3
    fewer = unique_model("flaky=2", "status=429")
    endpoint = register(owner, org_id, standin, model=fewer, max_retries=1)
    result = owner.post(f"/api/model-endpoints/{endpoint['id']}/test").json()
    assert result["error"]["code"] == "rate_limited"
    assert standin.stats(fewer)["requests"] == 2


def test_an_upstream_rejection_passes_its_reason_without_the_key(
    factory: Factory, standin: StandIn
) -> None:
    """A 404's message from the server is shown (it names the model), with the key cut."""
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, model=f"unknown-{API_KEY}", api_key=API_KEY)
    result = owner.post(f"/api/model-endpoints/{endpoint['id']}/test").json()
    assert result["error"]["code"] == "unknown_model"
    assert "unknown-[key]" in result["error"]["message"]


def test_a_stored_key_unreadable_under_a_changed_secret_is_a_clear_409(
    factory: Factory,
    standin: StandIn,
    database: Database,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, api_key=API_KEY)
    monkeypatch.setattr(settings, "secret_key", "a-different-deployment-secret")
    response = owner.post(f"/api/model-endpoints/{endpoint['id']}/test")
    assert response.status_code == 409
    assert "FAIRLABEL_SECRET_KEY" in response.json()["error"]["message"]
    assert calls(database, endpoint["id"]) == []
