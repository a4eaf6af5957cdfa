"""A live ranking and a red-team prompt question built on the client's project form, with the
chat question's endpoint and sampling controls: each refuses a bad value in the page (too many
candidates; a red-team question on a project without a content risk) and nothing is saved;
the JSON alternative carries the same settings, and the edit form shows them again. The
endpoints are registered on the stand-in OpenAI-compatible server (no model runs here: the
form only names them)."""

import json

import pytest

from tests.browser.conftest import Session
from tests.factories import Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn

pytestmark = pytest.mark.browser

LIVE = {"endpoints": [], "candidates": 3, "field": "messages", "sampling": {"temperature": 0.4}}
RED_TEAM = {"endpoints": [], "harm_categories": ["violence", "fraud"], "field": "messages"}


def test_the_client_builds_a_live_ranking_and_a_red_team_prompt_question(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    alpha, beta = (register(owner, org_id, standin, name=n)["id"] for n in ("alpha", "beta"))
    session.allow_console(r"status of 422 .*/projects/(new|\d+/edit)")  # the refused forms
    page = session.page
    session.sign_in(owner)
    page.goto(f"{session.base_url}/projects/new")
    page.fill("#f-name", "Live comparisons and red teaming")
    page.fill("#q-0-name", "best")
    page.select_option("#q-0-type", "ranking")
    assert not page.is_visible("#q-0-endpoints")  # candidates from the item until ticked
    page.check("#q-0-live")
    page.check(f"#q-0-endpoints-{alpha}")
    page.check(f"#q-0-endpoints-{beta}")
    page.fill("#q-0-candidates", "9")
    page.fill("#q-0-temperature", "0.4")

    page.click("text=Add a question")
    page.fill("#q-1-name", "attack")
    page.select_option("#q-1-type", "prompt")
    page.fill("#q-1-categories", "coding\nhealth")
    page.check("#q-1-red_team")
    assert page.is_visible("#q-1-harm_categories") and not page.is_visible("#q-1-candidates")
    page.check(f"#q-1-endpoints-{beta}")
    page.fill("#q-1-harm_categories", "violence\nfraud")
    page.click("text=Create project")
    assert "was not saved" in page.locator("#form-errors").inner_text()
    assert "less than or equal to 8, got 9" in page.locator("#q-0-candidates-error").inner_text()
    assert page.input_value("#q-0-candidates") == "9"  # shown again as typed
    assert page.is_checked("#q-1-red_team") and page.is_visible("#q-1-harm_categories")

    page.fill("#q-0-candidates", "3")
    page.click("text=Create project")  # a red-team question needs a declared content risk
    assert "content risk" in page.locator("#f-risks-error").inner_text()
    assert owner.get("/api/projects").json() == []

    page.check("#f-risk-violence")
    expected = [
        {"field": "responses", "allow_ties": True, "live": LIVE | {"endpoints": [alpha, beta]}},
        {
            "categories": ["coding", "health"],
            "difficulties": [],
            "languages": [],
            "min_length": 10,  # the prompt question's own defaults, put in by the type's change
            "max_length": 4000,
            "duplicate_threshold": 0.85,
            "red_team": RED_TEAM | {"endpoints": [beta]},
        },
    ]
    page.check("#mode-json")  # the builder's questions carried into the JSON alternative
    assert [q["settings"] for q in json.loads(page.input_value("#f-questions_json"))] == expected
    page.check("#mode-builder")
    session.screenshot("live-builder")
    page.click("text=Create project")
    page.wait_for_selector("#item-counts")
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    ranking, prompt = owner.get(f"/api/projects/{project_id}").json()["questions"]
    assert ranking["settings"]["live"] == expected[0]["live"]
    red_team = prompt["settings"]["red_team"]
    assert {k: red_team[k] for k in RED_TEAM} == expected[1]["red_team"]
    assert prompt["settings"]["categories"] == ["coding", "health"]

    page.goto(f"{session.base_url}/projects/{project_id}/edit")
    assert page.is_checked("#q-0-live") and page.input_value("#q-0-candidates") == "3"
    assert page.is_checked("#q-1-red_team") and page.is_checked(f"#q-1-endpoints-{beta}")
    assert page.input_value("#q-1-harm_categories") == "violence\nfraud"
