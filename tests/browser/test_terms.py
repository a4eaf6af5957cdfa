"""New platform terms in the browser: the operator publishes version 2 with 30 days'
notice through the form on /terms; a worker sees the notice on the home page, follows it
to /terms, reads what changes and acknowledges, and the notice is gone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fairlabel.db import utcnow
from fairlabel.governance.service import TERMS_NOTICE_DAYS
from tests.browser.conftest import Session
from tests.factories import Account, Factory

pytestmark = pytest.mark.browser
CHANGE = "Appeals are heard within 5 days instead of 7."


def switch_to(session: Session, account: Account) -> None:
    session.page.context.clear_cookies()
    session.sign_in(account)


def test_operator_announces_new_terms_and_a_worker_acknowledges(
    session: Session, factory: Factory
) -> None:
    operator = factory.user(operator=True)
    first = operator.post("/api/terms", json={"title": "Platform terms", "body": "Version one."})
    assert first.status_code == 201, first.text
    worker = factory.worker()
    assert worker.post("/api/terms/1/acknowledge").status_code == 201
    page = session.page

    session.sign_in(operator)
    page.get_by_role("link", name="Terms", exact=True).click()
    form = page.locator("form", has=page.get_by_role("heading", name="Publish version 2"))
    form.get_by_label("Title").fill("Platform terms")
    form.get_by_label("Terms (markdown)").fill("# Platform terms\n\nAppeals: **5 days**.")
    form.get_by_label("What changes").fill(CHANGE)
    effective = utcnow() + timedelta(days=TERMS_NOTICE_DAYS, hours=1)
    form.get_by_label("Takes effect (UTC)").fill(f"{effective:%Y-%m-%dT%H:%M}")
    form.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Version 2 published.")
    upcoming = page.locator("section.upcoming")
    expect(upcoming.get_by_role("heading")).to_contain_text(
        f"Version 2 takes effect on {effective:%Y-%m-%d}"
    )
    session.screenshot("terms-published")

    switch_to(session, worker)
    notice = page.locator(".terms-notice")
    expect(notice).to_contain_text(f"New terms take effect on {effective:%Y-%m-%d}")
    notice.get_by_role("link", name="read what changes").click()
    page.wait_for_url(f"{session.base_url}/terms")
    expect(upcoming).to_contain_text(CHANGE)
    upcoming.get_by_text("Read version 2").click()
    expect(upcoming.locator("strong", has_text="5 days")).to_be_visible()
    session.screenshot("terms-to-acknowledge")
    upcoming.get_by_role("button", name="Acknowledge version 2").click()
    expect(page.get_by_role("status")).to_have_text("Thank you: version 2 acknowledged.")
    expect(upcoming).to_contain_text("You acknowledged version 2")
    page.goto(f"{session.base_url}/")
    expect(page.locator(".terms-notice")).to_have_count(0)
    acknowledged = [v["number"] for v in worker.get("/api/terms").json() if v["acknowledged_at"]]
    assert acknowledged == [2, 1]
