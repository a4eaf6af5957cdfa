"""A client sets pay in the browser: a rate below the floor of a country the project is open
to is refused with the country listed, a raised rate is refused as unfunded, the budget is
funded on the dashboard, and then the project becomes active."""

import pytest

from tests.browser.conftest import Session
from tests.factories import Factory
from tests.pay.helpers import add_floor

pytestmark = pytest.mark.browser


def _activate(session: Session, project_id: int) -> None:
    session.page.goto(f"{session.base_url}/projects/{project_id}/edit")
    session.page.select_option("#f-status", "active")


def test_client_is_held_to_the_floor_then_funds_and_activates(
    session: Session, factory: Factory
) -> None:
    add_floor(factory.database, "KE", "USD", 150)
    owner, _org_id = factory.owner()
    page, base = session.page, session.base_url
    # Chromium logs the refused form posts (422) as console errors; they are the point here.
    session.allow_console(r"status of 422")
    session.sign_in(owner)
    page.goto(f"{base}/projects/new")
    page.fill("#f-name", "Swahili tickets")
    page.fill("#q-0-name", "sentiment")
    page.fill("#q-0-labels", "chanya\nhasi")
    page.fill("#f-rate-label", "0.02")
    page.fill("#f-estimated_seconds", "60")
    page.fill("#f-countries", "KE")
    page.check("#f-risk-violence")
    page.click("text=Create project")
    page.wait_for_selector("#budget")
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert "0.02 USD per item, about 60 s each: 1.20 USD an hour" in page.inner_text("#worker-pay")

    _activate(session, project_id)
    page.click("text=Save changes")
    problems = page.locator("#activation-problems")
    problems.wait_for()
    assert "KE (KE): the pay floor is 1.50 USD an hour; this project pays 1.20 USD an hour." in (
        problems.inner_text()
    )
    assert "below the pay floor of KE" in page.inner_text("#f-rate-label-error")
    session.screenshot("below-floor")

    page.fill("#f-rate-label", "0.05")
    page.click("text=Save changes")
    page.wait_for_selector("#activation-problems")
    assert "KE (KE)" not in page.inner_text("#activation-problems")
    assert "The budget is unfunded" in page.inner_text("#activation-problems")
    session.screenshot("unfunded")
    page.select_option("#f-status", "draft")
    page.click("text=Save changes")
    page.wait_for_selector("#budget")
    assert owner.get(f"/api/projects/{project_id}").json()["rates"] == {"label": 5}

    page.fill("#f-amount", "50.00")
    page.click("button:has-text('Fund')")
    page.wait_for_selector("text=The budget was funded.")
    assert "50.00 USD" in page.inner_text("[data-budget=available]")
    session.screenshot("funded")

    _activate(session, project_id)
    page.click("text=Save changes")
    page.wait_for_selector("#budget")
    assert page.inner_text("h1 .status") == "active"
    assert owner.get(f"/api/projects/{project_id}").json()["status"] == "active"
    session.screenshot("active")
