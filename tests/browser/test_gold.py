"""The gold page in a real browser: a bad answer shows on its field, a good one marks the
item gold, and a worker's gold answers appear in the accuracy table."""

import pytest

from tests.browser.conftest import Session
from tests.factories import Factory
from tests.queue.helpers import SENTIMENT, add_items, lease, submit

pytestmark = pytest.mark.browser


def test_owner_marks_gold_and_sees_accuracy(session: Session, factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[SENTIMENT], gold_rate=1.0, overlap=2)
    add_items(factory.database, project["id"], 2)
    page, base = session.page, session.base_url
    session.sign_in(owner)
    page.goto(f"{base}/projects/{project['id']}/gold")
    assert page.is_visible("#gold-accuracy-empty")

    page.fill("#gold-external-id", f"ext-{project['id']}-0")
    page.fill("#gold-answers", '{"sentiment": "happy"}')
    # Chromium logs every 4xx response; this one is the rejection the test asks for.
    session.allow_console(r"status of 422 .*/projects/\d+/gold")
    page.click("text=Mark gold")
    page.wait_for_selector("#gold-answers-error")
    assert "answers.sentiment" in page.inner_text("#gold-answers-error")
    assert page.get_attribute("#gold-answers", "aria-invalid") == "true"
    assert owner.get(f"/api/projects/{project['id']}/gold").json()["gold"] == []

    page.fill("#gold-answers", '{"sentiment": "positive"}')
    page.click("text=Mark gold")
    page.wait_for_selector("#gold-items")
    assert f"ext-{project['id']}-0" in page.inner_text("#gold-items")
    session.screenshot("gold-marked")

    worker = factory.worker()
    assignment = lease(worker, project["id"])
    assert submit(worker, assignment["id"], "negative").status_code == 201
    page.reload()
    pseudonym = worker.get("/api/me").json()["pseudonym"]
    row = page.locator(f"#gold-accuracy tr[data-worker='{pseudonym}']")
    assert row.locator("td").nth(1).inner_text() == "1"
    assert row.locator("td").nth(2).inner_text().startswith("0%")
    session.screenshot("gold-accuracy")

    page.click("text=Unmark")
    page.wait_for_selector("text=No gold items yet.")
    assert owner.get(f"/api/projects/{project['id']}/gold").json()["gold"] == []
