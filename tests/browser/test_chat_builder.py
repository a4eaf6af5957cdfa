"""A chat question built on the client's project form: the organization's model endpoints
to tick, candidates, turns, rank or pick, rewriting, and sampling; bad values are refused
with a message in the page and nothing saved, and an endpoint of another organization
slipped into the form is refused too. The endpoints are registered on the stand-in
OpenAI-compatible server (no model is called here: the form only names them)."""

import json

import pytest

from tests.browser.conftest import Session
from tests.factories import Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn

pytestmark = pytest.mark.browser


def test_the_client_builds_a_chat_question_from_the_project_form(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    alpha, beta = (register(owner, org_id, standin, name=n)["id"] for n in ("alpha", "beta"))
    other, other_org = factory.owner()
    foreign = register(other, other_org, standin, name="theirs")["id"]
    session.allow_console(r"status of 422 .*/projects/(new|\d+/edit)")  # the refused forms
    page = session.page
    session.sign_in(owner)
    page.goto(f"{session.base_url}/projects/new")
    page.fill("#f-name", "Chat with two models")
    page.fill("#q-0-name", "talk")
    page.select_option("#q-0-type", "chat")
    assert page.is_visible("#q-0-endpoints") and not page.is_visible("#q-0-labels")
    assert page.locator("#q-0-endpoints label").all_inner_texts()[0].startswith("alpha")
    page.fill("#q-0-candidates", "4")
    page.fill("#q-0-temperature", "3")
    page.click("text=Create project")
    assert "was not saved" in page.locator("#form-errors").inner_text()
    assert "model endpoints" in page.locator("#q-0-endpoints-error").inner_text()
    assert "less than or equal to 2" in page.locator("#q-0-temperature-error").inner_text()
    assert page.input_value("#q-0-temperature") == "3"  # shown again as typed

    page.check(f"#q-0-endpoints-{alpha}")
    page.check(f"#q-0-endpoints-{beta}")
    page.fill("#q-0-temperature", "0.7")
    page.fill("#q-0-max_turns", "60")
    page.click("text=Create project")
    assert "60" in page.locator("#q-0-max_turns-error").inner_text()
    assert page.input_value("#q-0-max_turns") == "60"
    assert owner.get("/api/projects").json() == []

    page.fill("#q-0-max_turns", "3")
    page.fill("#q-0-temperature", "0.7")
    page.fill("#q-0-max_tokens", "200")
    page.fill("#q-0-seed", "5")
    page.select_option("#q-0-mode", "pick")
    page.uncheck("#q-0-allow_rewrite")
    expected = {
        "endpoints": [alpha, beta],
        "candidates": 4,
        "max_turns": 3,
        "mode": "pick",
        "allow_rewrite": False,
        "sampling": {"temperature": 0.7, "max_tokens": 200, "seed": 5},
    }
    page.check("#mode-json")  # the builder's question carried into the JSON alternative
    assert json.loads(page.input_value("#f-questions_json"))[0]["settings"] == expected
    page.check("#mode-builder")
    session.screenshot("chat-builder")
    page.click("text=Create project")
    page.wait_for_selector("#item-counts")
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    (stored,) = owner.get(f"/api/projects/{project_id}").json()["questions"]
    assert stored["type"] == "chat"
    assert {k: stored["settings"][k] for k in expected} == expected

    page.goto(f"{session.base_url}/projects/{project_id}/edit")
    assert page.is_checked(f"#q-0-endpoints-{beta}") and page.input_value("#q-0-seed") == "5"
    page.locator("#q-0-endpoints").evaluate(
        "(box, id) => box.insertAdjacentHTML('beforeend',"
        " `<input type=checkbox name=q-0-endpoint_${id} value=${id} checked>`)",
        foreign,
    )
    page.click("text=Save changes")
    message = page.locator("#q-0-endpoints-error").inner_text()
    assert f"model endpoint {foreign} is not one of the organization's" in message
    (unchanged,) = owner.get(f"/api/projects/{project_id}").json()["questions"]
    assert unchanged["settings"]["endpoints"] == [alpha, beta]
