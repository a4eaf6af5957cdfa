"""The Python SDK's model endpoint and chat turn methods against a real uvicorn server,
whose endpoints are on the stand-in OpenAI-compatible server (a real process standing in
for a model server, since no model weights can be loaded here)."""

import pytest

from fairlabel import ApiError, Client
from tests.factories import Factory
from tests.llm.helpers import API_KEY
from tests.llm.standin import StandIn, unique_model


def test_endpoints_are_registered_tested_changed_and_removed(
    factory: Factory, live_server: str, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    with Client(live_server, owner.token) as client:
        created = client.create_model_endpoint(
            org_id, "alpha", standin.base_url, unique_model(), api_key=API_KEY, max_retries=0
        )
        assert created["api_key_last4"] == API_KEY[-4:] and API_KEY not in str(created)
        assert [e["id"] for e in client.list_model_endpoints(org_id)] == [created["id"]]
        assert client.get_model_endpoint(created["id"]) == created
        assert client.test_model_endpoint(created["id"])["ok"] is True
        changed = client.update_model_endpoint(created["id"], name="beta", api_key=None)
        assert (changed["name"], changed["api_key_set"]) == ("beta", False)
        client.delete_model_endpoint(created["id"])
        with pytest.raises(ApiError) as missing:
            client.get_model_endpoint(created["id"])
        assert missing.value.status_code == 404


def test_a_bad_endpoint_is_refused_with_its_field_and_nothing_stored(
    factory: Factory, live_server: str
) -> None:
    owner, org_id = factory.owner()
    with Client(live_server, owner.token) as client:
        with pytest.raises(ApiError) as refused:
            client.create_model_endpoint(org_id, "ftp", "ftp://llm.example.org/v1", "m")
        assert refused.value.status_code == 422 and refused.value.field == "base_url"
        with pytest.raises(ApiError) as metadata:
            client.create_model_endpoint(org_id, "meta", "http://169.254.169.254/v1", "m")
        assert metadata.value.code == "refused_address"
        assert client.list_model_endpoints(org_id) == []


def test_a_worker_scripts_a_chat_turn_and_the_client_reads_its_cost(
    factory: Factory, live_server: str, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    worker = factory.worker()
    with Client(live_server, owner.token) as client:
        endpoint = client.create_model_endpoint(
            org_id, "alpha", standin.base_url, unique_model("tokens=6"), max_retries=0
        )
        settings = {"endpoints": [endpoint["id"]], "candidates": 2, "max_turns": 2}
        question = {"name": "q", "type": "chat", "settings": settings}
        project = client.create_project(org_id, "Chat", questions=[question])
        client.import_items(project["id"], [{"external_id": "c1", "fields": {"topic": "x"}}])
        client.fund(project["id"], 10_000)
        client.update_project(project["id"], status="active")
    with Client(live_server, worker.token) as client:
        task = client.next_assignment(project["id"])
        assert task is not None
        assignment_id = task["assignment"]["id"]
        with pytest.raises(ApiError) as refused:
            list(client.chat_turn(assignment_id, "q", 1, "Hello"))
        assert refused.value.status_code == 422 and refused.value.field == "turn"
        events = list(client.chat_turn(assignment_id, "q", 0, "Hello"))
        names = [name for name, _data in events]
        assert names[0] == "start" and names[-1] == "turn" and "delta" in names
        (stored,) = client.chat_turns(assignment_id, "q")
        assert [c["id"] for c in stored["candidates"]] == ["c1", "c2"]
        assert client.stop_chat_turn(assignment_id, "q") is False
        answer = {"turns": [{"turn": 0, "ranking": [["c2"], ["c1"]]}]}
        client.submit(assignment_id, {"q": answer}, 1000)
    with Client(live_server, owner.token) as client:
        usage = client.model_usage(project["id"])
        assert usage["calls"] == 2 and usage["endpoints"][0]["endpoint_id"] == endpoint["id"]
