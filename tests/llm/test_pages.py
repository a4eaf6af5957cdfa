"""The model endpoints page through the real app with a browser session: the list with
each key's last four characters only, adding (a refusal beside its field, nothing
stored), testing the connection against the stand-in, and removing; viewers only look."""

import re

from fastapi.testclient import TestClient

from fairlabel.db import Database
from tests.factories import Factory
from tests.llm.helpers import API_KEY, register, state
from tests.llm.standin import StandIn, unique_model
from tests.web.helpers import page_csrf, sign_in
from tests.web.test_security_headers import inline_code


def _page(client: TestClient, org_id: int) -> str:
    response = client.get(f"/organizations/{org_id}/model-endpoints")
    assert response.status_code == 200, response.text
    assert inline_code(response.text) == []
    return response.text


def _row(html: str, endpoint_id: int) -> str:
    match = re.search(rf'<tr id="endpoint-{endpoint_id}">(.*?)</tr>', html, re.S)
    assert match, html
    return match.group(1)


def test_an_owner_adds_tests_and_removes_an_endpoint(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    client = factory.client
    sign_in(client, owner.email)
    csrf = page_csrf(client)
    assert "No endpoints yet" in _page(client, org_id)
    model = unique_model("ttft=20")
    form = {
        "csrf_token": csrf,
        "name": "Lab vLLM",
        "base_url": standin.base_url,
        "model": model,
        "api_key": API_KEY,
        "temperature": "0.7",
        "max_tokens": "256",
        "stop": "###\nEND\n",
        "max_concurrency": "3",
        "input_price_per_million": "0.15",
        "max_retries": "0",
    }
    added = client.post(
        f"/organizations/{org_id}/model-endpoints", data=form, follow_redirects=False
    )
    assert added.status_code == 303, added.text
    [endpoint] = owner.get(f"/api/organizations/{org_id}/model-endpoints").json()
    assert endpoint["sampling"]["stop"] == ["###", "END"]
    assert (endpoint["max_concurrency"], endpoint["input_price_per_million"]) == (3, "0.15")
    html = client.get(added.headers["location"]).text
    assert "The endpoint was added" in html
    row = _row(html, endpoint["id"])
    assert "Lab vLLM" in row and "…" + API_KEY[-4:] in row and "not tested" in row
    assert API_KEY not in html

    tested = client.post(
        f"/model-endpoints/{endpoint['id']}/test", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert tested.status_code == 303
    row = _row(client.get(tested.headers["location"]).text, endpoint["id"])
    assert "<strong>OK</strong>" in row and "first token" in row

    owner.patch(
        f"/api/model-endpoints/{endpoint['id']}", json={"model": unique_model("status=500")}
    )
    client.post(f"/model-endpoints/{endpoint['id']}/test", data={"csrf_token": csrf})
    row = _row(_page(client, org_id), endpoint["id"])
    assert "<strong>Failed</strong>: the endpoint failed with 500" in row

    removed = client.post(
        f"/model-endpoints/{endpoint['id']}/delete",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "The endpoint was removed" in client.get(removed.headers["location"]).text
    assert owner.get(f"/api/organizations/{org_id}/model-endpoints").json() == []


def test_a_refused_form_says_why_beside_the_field_and_stores_nothing(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    register(owner, org_id, standin, name="taken")
    client = factory.client
    sign_in(client, owner.email)
    csrf = page_csrf(client)
    before = state(database)
    cases = [
        (
            {"name": "x", "base_url": "http://169.254.169.254/v1", "model": "m"},
            "e-base_url",
            422,
            "metadata",
        ),
        (
            {"name": "x", "base_url": standin.base_url, "model": "m", "temperature": "3"},
            "e-temperature",
            422,
            "2",
        ),
        ({"name": "", "base_url": standin.base_url, "model": "m"}, "e-name", 422, "required"),
        ({"name": "taken", "base_url": standin.base_url, "model": "m"}, "e-name", 409, "name"),
        (
            {"name": "x", "base_url": standin.base_url, "model": "m", "api_key": "a b"},
            "e-api_key",
            422,
            "spaces",
        ),
    ]
    for fields, element, status, says in cases:
        response = client.post(
            f"/organizations/{org_id}/model-endpoints", data={"csrf_token": csrf, **fields}
        )
        assert response.status_code == status, (fields, response.text)
        match = re.search(rf'id="{element}-error">([^<]*)<', response.text)
        assert match and says in match.group(1), (fields, response.text)
        assert inline_code(response.text) == []
        assert "a b" not in response.text.split('id="e-api_key"')[1][:200]
    assert state(database) == before
    forged = client.post(
        f"/organizations/{org_id}/model-endpoints", data={"csrf_token": "forged", "name": "x"}
    )
    assert forged.status_code == 403
    assert state(database) == before


def test_viewers_see_the_list_without_forms_and_cannot_post(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    viewer = factory.user(org_id=org_id, role="viewer")
    endpoint = register(owner, org_id, standin, api_key=API_KEY)
    client = factory.client
    sign_in(client, viewer.email)
    csrf = page_csrf(client)
    html = _page(client, org_id)
    assert endpoint["name"] in html and "Add an endpoint" not in html
    assert "Test connection" not in html
    before = state(database)
    for url in (
        f"/model-endpoints/{endpoint['id']}/test",
        f"/model-endpoints/{endpoint['id']}/delete",
    ):
        assert client.post(url, data={"csrf_token": csrf}).status_code == 403
    body = {"csrf_token": csrf, "name": "x", "base_url": standin.base_url, "model": "m"}
    assert client.post(f"/organizations/{org_id}/model-endpoints", data=body).status_code == 403
    assert state(database) == before


def test_others_find_nothing_and_the_index_leads_to_the_organization(
    factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    stranger, _other = factory.owner()
    endpoint = register(owner, org_id, standin)
    client = factory.client
    sign_in(client, owner.email)
    index = client.get("/model-endpoints", follow_redirects=False)
    assert index.headers["location"] == f"/organizations/{org_id}/model-endpoints"
    client.cookies.clear()
    sign_in(client, stranger.email)
    csrf = page_csrf(client)
    assert client.get(f"/organizations/{org_id}/model-endpoints").status_code == 404
    tested = client.post(f"/model-endpoints/{endpoint['id']}/test", data={"csrf_token": csrf})
    assert tested.status_code == 404
    client.cookies.clear()
    assert (
        client.get(f"/organizations/{org_id}/model-endpoints", follow_redirects=False).headers[
            "location"
        ]
        == "/login"
    )
