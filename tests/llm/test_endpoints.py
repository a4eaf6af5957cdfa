"""Registering model endpoints through the API: the stored settings, who may do what, and
every bad input answered with a specific 4xx that stores nothing."""

from typing import Any

import pytest

from fairlabel.db import Database
from tests.factories import Factory
from tests.llm.helpers import API_KEY, raw_rows, register, state
from tests.llm.standin import StandIn, key_model, unique_model


def test_an_owner_registers_an_endpoint_with_its_settings(
    factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    body = {
        "name": "  vLLM on the lab box ",
        "base_url": standin.base_url + "/",
        "model": "standin",
        "api_key": API_KEY,
        "sampling": {
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": 512,
            "seed": 7,
            "stop": ["###"],
        },
        "max_concurrency": 8,
        "timeout_seconds": 30,
        "max_retries": 3,
        "currency": "EUR",
        "input_price_per_million": "0.15",
        "output_price_per_million": 0.6,
    }
    response = owner.post(f"/api/organizations/{org_id}/model-endpoints", json=body)
    assert response.status_code == 201, response.text
    endpoint = response.json()
    assert endpoint | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "organization_id": org_id,
        "name": "vLLM on the lab box",
        "base_url": standin.base_url,
        "model": "standin",
        "api_key_set": True,
        "api_key_last4": API_KEY[-4:],
        "sampling": {
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": 512,
            "seed": 7,
            "stop": ["###"],
        },
        "max_concurrency": 8,
        "timeout_seconds": 30.0,
        "max_retries": 3,
        "currency": "EUR",
        "input_price_per_million": "0.15",
        "output_price_per_million": "0.6",
        "created_at": "",
        "updated_at": "",
    }
    listed = owner.get(f"/api/organizations/{org_id}/model-endpoints").json()
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert owner.get(f"/api/model-endpoints/{endpoint['id']}").json() == endpoint


def test_defaults_and_no_key(factory: Factory, standin: StandIn) -> None:
    owner, org_id = factory.owner()
    body = {"name": "local", "base_url": standin.base_url, "model": "standin"}
    endpoint = owner.post(f"/api/organizations/{org_id}/model-endpoints", json=body).json()
    assert endpoint["api_key_set"] is False
    assert endpoint["api_key_last4"] is None
    assert endpoint["sampling"] == {
        "temperature": None,
        "top_p": None,
        "max_tokens": None,
        "seed": None,
        "stop": None,
    }
    assert (endpoint["max_concurrency"], endpoint["timeout_seconds"]) == (4, 60.0)
    assert (endpoint["max_retries"], endpoint["currency"]) == (2, "USD")
    assert endpoint["input_price_per_million"] == endpoint["output_price_per_million"] == "0"


def test_a_short_key_shows_no_characters(factory: Factory, standin: StandIn) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, api_key="abcdef12")
    assert endpoint["api_key_set"] is True
    assert endpoint["api_key_last4"] is None


def test_updates_keep_what_is_left_out_and_null_removes_the_key(
    factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, api_key=API_KEY, sampling={"seed": 1})
    url = f"/api/model-endpoints/{endpoint['id']}"
    changed = owner.patch(url, json={"model": "standin;gap=1", "sampling": {"temperature": 0}})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["model"] == "standin;gap=1"
    assert after["sampling"]["temperature"] == 0 and after["sampling"]["seed"] is None
    assert after["api_key_last4"] == API_KEY[-4:]
    assert owner.patch(url, json={"api_key": None}).json()["api_key_set"] is False
    renewed = owner.patch(url, json={"api_key": "sk-another-key-0000wxyz"}).json()
    assert renewed["api_key_last4"] == "wxyz"


def test_removing_an_endpoint(factory: Factory, standin: StandIn) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin)
    assert owner.delete(f"/api/model-endpoints/{endpoint['id']}").status_code == 204
    assert owner.get(f"/api/model-endpoints/{endpoint['id']}").status_code == 404
    assert owner.get(f"/api/organizations/{org_id}/model-endpoints").json() == []


def test_viewers_see_and_cannot_change(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    _owner, org_id = factory.owner()
    manager = factory.user(org_id=org_id, role="manager")
    viewer = factory.user(org_id=org_id, role="viewer")
    endpoint = register(manager, org_id, standin)
    url = f"/api/model-endpoints/{endpoint['id']}"
    assert viewer.get(url).status_code == 200
    assert [e["id"] for e in viewer.get(f"/api/organizations/{org_id}/model-endpoints").json()]
    before = state(database)
    body = {"name": "x", "base_url": standin.base_url, "model": "standin"}
    refused = [
        viewer.post(f"/api/organizations/{org_id}/model-endpoints", json=body),
        viewer.patch(url, json={"name": "renamed"}),
        viewer.delete(url),
        viewer.post(f"{url}/test"),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    assert refused[0].json()["error"]["expected"] == "owner or manager"
    assert state(database) == before


def test_other_organizations_and_workers_see_nothing(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    stranger, other_org = factory.owner()
    worker = factory.worker()
    endpoint = register(owner, org_id, standin)
    url = f"/api/model-endpoints/{endpoint['id']}"
    before = state(database)
    for account in (stranger, worker):
        assert account.get(url).status_code == 404
        assert account.patch(url, json={"name": "mine"}).status_code == 404
        assert account.delete(url).status_code == 404
        assert account.post(f"{url}/test").status_code == 404
        assert account.get(f"/api/organizations/{org_id}/model-endpoints").status_code == 404
    assert owner.get("/api/model-endpoints/999999").status_code == 404
    assert state(database) == before
    assert stranger.get(f"/api/organizations/{other_org}/model-endpoints").json() == []


def _bad_inputs(base_url: str) -> list[tuple[dict[str, Any], str]]:
    good = {"name": "x", "base_url": base_url, "model": "standin"}
    return [
        ({**good, "name": "   "}, "name"),
        ({**good, "name": "n" * 101}, "name"),
        ({"base_url": base_url, "model": "standin"}, "name"),
        ({**good, "model": ""}, "model"),
        ({**good, "base_url": "ftp://example.org/v1"}, "base_url"),
        ({**good, "base_url": "not a url"}, "base_url"),
        ({**good, "base_url": "http:///v1"}, "base_url"),
        ({**good, "base_url": "http://user:pw@example.org/v1"}, "base_url"),
        ({**good, "base_url": base_url + "?x=1"}, "base_url"),
        ({**good, "base_url": "http://example.org:99999/v1"}, "base_url"),
        ({**good, "base_url": "http://no-such-host.invalid/v1"}, "base_url"),
        ({**good, "sampling": {"temperature": 2.5}}, "sampling.temperature"),
        ({**good, "sampling": {"temperature": -0.1}}, "sampling.temperature"),
        ({**good, "sampling": {"top_p": 0}}, "sampling.top_p"),
        ({**good, "sampling": {"top_p": 1.5}}, "sampling.top_p"),
        ({**good, "sampling": {"max_tokens": 0}}, "sampling.max_tokens"),
        ({**good, "sampling": {"seed": -1}}, "sampling.seed"),
        ({**good, "sampling": {"stop": ["a", "b", "c", "d", "e"]}}, "sampling.stop"),
        ({**good, "sampling": {"stop": [""]}}, "sampling.stop.0"),
        ({**good, "sampling": {"frequency": 1}}, "sampling.frequency"),
        ({**good, "max_concurrency": 0}, "max_concurrency"),
        ({**good, "max_concurrency": 257}, "max_concurrency"),
        ({**good, "timeout_seconds": 0}, "timeout_seconds"),
        ({**good, "timeout_seconds": 601}, "timeout_seconds"),
        ({**good, "max_retries": 6}, "max_retries"),
        ({**good, "currency": "usd"}, "currency"),
        ({**good, "input_price_per_million": -1}, "input_price_per_million"),
        ({**good, "output_price_per_million": "0.0000001"}, "output_price_per_million"),
        ({**good, "output_price_per_million": 1001}, "output_price_per_million"),
        ({**good, "api_key": "sk-with a space"}, "api_key"),
        ({**good, "api_key": "sk-" + "k" * 1000}, "api_key"),
        ({**good, "api_key": "sk-naïve-key"}, "api_key"),
        ({**good, "unknown": 1}, "unknown"),
    ]


def test_every_bad_input_is_a_specific_422_and_stores_nothing(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    url = f"/api/organizations/{org_id}/model-endpoints"
    before = state(database)
    for body, field in _bad_inputs(standin.base_url):
        response = owner.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["field"] == field, (body, error)
        assert error["expected"], error
        if "api_key" in body:
            assert body["api_key"] not in response.text
    assert state(database) == before


def test_bad_updates_change_nothing(factory: Factory, standin: StandIn, database: Database) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, api_key=API_KEY)
    url = f"/api/model-endpoints/{endpoint['id']}"
    before = state(database)
    for body, field in _bad_inputs(standin.base_url):
        body = {k: v for k, v in body.items() if k not in ("name", "model", "base_url")} or body
        if field in ("name", "model", "base_url"):
            body = {field: body.get(field, "   ")}
        response = owner.patch(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, (body, response.text)
    assert state(database) == before


def test_names_are_unique_in_an_organization(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    first = register(owner, org_id, standin, name="main")
    second = register(owner, org_id, standin, name="other")
    other_owner, other_org = factory.owner()
    register(other_owner, other_org, standin, name="main")
    before = state(database)
    body = {"name": "main", "base_url": standin.base_url, "model": unique_model()}
    taken = owner.post(f"/api/organizations/{org_id}/model-endpoints", json=body)
    assert taken.status_code == 409
    assert taken.json()["error"]["field"] == "name"
    renamed = owner.patch(f"/api/model-endpoints/{second['id']}", json={"name": "main"})
    assert renamed.status_code == 409
    assert state(database) == before
    same = owner.patch(f"/api/model-endpoints/{first['id']}", json={"name": "main"})
    assert same.status_code == 200


@pytest.mark.parametrize("key", [API_KEY, "sk-" + "z" * 60])
def test_the_key_is_never_returned_logged_or_stored_in_clear(
    factory: Factory,
    standin: StandIn,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    key: str,
) -> None:
    caplog.set_level("DEBUG")
    owner, org_id = factory.owner()
    viewer = factory.user(org_id=org_id, role="viewer")
    created = owner.post(
        f"/api/organizations/{org_id}/model-endpoints",
        json={
            "name": "k",
            "base_url": standin.base_url,
            "model": key_model(key),
            "api_key": key,
            "max_retries": 0,
        },
    )
    endpoint_id = created.json()["id"]
    wrong = register(owner, org_id, standin, model=key_model("sk-other-key"), api_key=key)
    responses = [
        created,
        owner.get(f"/api/model-endpoints/{endpoint_id}"),
        viewer.get(f"/api/organizations/{org_id}/model-endpoints"),
        owner.post(f"/api/model-endpoints/{endpoint_id}/test"),
        owner.post(f"/api/model-endpoints/{wrong['id']}/test"),
        owner.patch(f"/api/model-endpoints/{endpoint_id}", json={"max_retries": 1}),
    ]
    assert responses[3].json()["ok"] is True
    assert responses[4].json()["error"]["code"] == "unauthorized"
    for response in responses:
        assert key not in response.text
        assert key[-12:] not in response.text
    assert key not in caplog.text
    assert key not in raw_rows(database)
