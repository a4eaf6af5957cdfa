"""An evaluation project in the real browser, against three endpoints on the stand-in server
(a real process standing in for model servers, since no model weights can run here): the
client creates an evaluation of the three over 20 prompts from the Evaluations tab, pastes
the eval set, runs the generation job and creates battles; a worker votes every battle in
the workspace by keyboard without any model's or endpoint's name on the page; the client's
leaderboard (API and page) ranks the three models."""

import json

import pytest

from fairlabel.models import Job
from tests.browser.conftest import Session
from tests.evaluation.evalproj import MODEL_NAMES, QUESTIONS, STRENGTH, prompt_rows, sides
from tests.factories import Factory
from tests.jobs.helpers import wait_for_job
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model

pytestmark = pytest.mark.browser


def test_client_evaluates_three_models_and_workers_vote_blind(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    endpoints = [
        register(owner, org_id, standin, name=f"ep-{n.lower()}", model=unique_model())
        for n in MODEL_NAMES
    ]
    project = factory.project(owner, org_id, questions=QUESTIONS)
    page, base = session.page, session.base_url

    session.sign_in(owner)
    page.goto(f"{base}/projects/{project['id']}")
    page.click("nav >> text=Evaluations")
    page.fill("#evaluation-name", "Spring eval")
    for name, endpoint in zip(MODEL_NAMES, endpoints, strict=True):
        page.check(f"#endpoint-{endpoint['id']}")
        page.fill(f"#endpoint-name-{endpoint['id']}", name)
    page.click("#new-evaluation button[type=submit]")
    page.wait_for_selector("#evaluation-status")
    lines = "\n".join(json.dumps(row) for row in prompt_rows(20))
    page.fill("#prompts-text", lines)
    page.click("#import-prompts button[type=submit]")
    page.wait_for_selector("#evaluation-prompts")
    assert page.inner_text("#evaluation-prompts").startswith("20")
    evaluation_url = page.url

    page.click("#generate button[type=submit]")
    page.wait_for_url(f"{base}/jobs/*")
    job_id = int(page.url.rsplit("/", 1)[1])
    assert wait_for_job(owner, job_id)["status"] == "succeeded"
    with factory.database.session(write=False) as db:
        job = db.get(Job, job_id)
        assert job is not None and (job.done, job.total) == (60, 60)
    page.goto(evaluation_url)
    rows = page.locator("#evaluation-models tbody tr")
    assert {rows.nth(i).get_attribute("data-model") for i in range(3)} == set(MODEL_NAMES)
    assert all(rows.nth(i).locator("td").nth(2).inner_text() == "20" for i in range(3))
    page.fill("#battles-pairs", "1")
    page.click("#create-battles button[type=submit]")
    page.wait_for_selector("#evaluation-battles")
    assert page.inner_text("#evaluation-battles").startswith("20 ")
    session.screenshot("evaluation-status")

    known = sides(factory.database, project["id"])
    secrets = [*MODEL_NAMES, *(e["name"] for e in endpoints), "standin", standin.base_url]
    session.sign_in(factory.worker())
    session.open_workspace(project["id"])
    for _ in range(20):
        item = session.current_item()
        shown = page.content()
        assert not [s for s in secrets if s in shown], "a model named to the worker"
        left, right = known[item]
        page.keyboard.press("1" if STRENGTH[left] > STRENGTH[right] else "2")
        page.get_by_role("button", name="Submit").click()  # Enter would go to the reason box
        session.wait_for_next_item(item)
    page.wait_for_selector(".fl-empty")
    session.screenshot("evaluation-workspace-done")

    board = owner.get(f"/api/projects/{project['id']}/leaderboard").json()
    assert board["votes"] == 20
    assert [s["model"] for s in board["standings"]] == list(MODEL_NAMES)
    session.sign_in(owner)
    page.goto(f"{base}/projects/{project['id']}/leaderboard")
    standings = page.locator("#standings tbody tr")
    assert [standings.nth(i).get_attribute("data-model") for i in range(3)] == list(MODEL_NAMES)
    assert all(standings.nth(i).locator(".rank-interval").inner_text() for i in range(3))
    assert "20 votes fitted" in page.inner_text("#vote-counts")
    assert page.locator("#battle-heatmap rect.cell").count() == 6
    assert page.locator("#winrate-heatmap rect.cell").count() == 6
    assert "(of 20) would swap #1" in page.locator("#robustness li").first.inner_text()
    session.screenshot("evaluation-leaderboard")
