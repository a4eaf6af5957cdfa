"""The leaderboard in a real browser: three models over 20 prompts voted by two workers
through the queue; the client follows the Leaderboard tab, sees scores, intervals, rank
intervals, the interval chart, both heat maps and the robustness figure with no console
errors (the page draws without script), narrows it to a category with the form, and gets
the error page for a category with no votes."""

import re

import pytest

from tests.browser.conftest import Session
from tests.evaluation.voting import MODELS, voted_project
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_client_reads_the_leaderboard(session: Session, factory: Factory) -> None:
    built = voted_project(factory, prompts=20, workers=2)
    page, base = session.page, session.base_url
    session.sign_in(built.owner)
    page.goto(f"{base}/projects/{built.project_id}")
    page.click("nav >> text=Leaderboard")
    page.wait_for_selector("#standings")
    assert page.url.endswith(f"/projects/{built.project_id}/leaderboard")
    rows = page.locator("#standings tbody tr")
    assert [rows.nth(i).get_attribute("data-model") for i in range(3)] == list(MODELS)
    for i in range(3):
        low, high = (float(x) for x in rows.nth(i).locator(".interval").inner_text().split(" to "))
        assert low <= float(rows.nth(i).locator(".score").inner_text()) <= high
        assert re.fullmatch(
            r"[1-3]( to [1-3])?", rows.nth(i).locator(".rank-interval").inner_text()
        )
    assert "40 votes fitted" in page.inner_text("#vote-counts")
    assert page.locator("#interval-chart circle").count() == 3
    assert page.locator("#battle-heatmap rect.cell").count() == 6
    assert page.locator("#winrate-heatmap rect.cell").count() == 6
    assert page.locator("#battle-heatmap").is_visible()
    first = page.locator("#robustness li").first
    assert re.search(r"Removing \d+ votes? \(of 40\) would swap #1", first.inner_text())
    session.screenshot("leaderboard")

    page.select_option("#category", "code")
    page.click("#leaderboard-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*category=code.*"))
    assert "Standings: code" in page.inner_text("#standings-heading")
    assert "20 votes fitted" in page.inner_text("#vote-counts")

    session.allow_console(r"status of 422 .*category=poetry")  # the error page's own status
    response = page.goto(f"{base}/projects/{built.project_id}/leaderboard?category=poetry")
    assert response is not None and response.status == 422
    assert "no votes in category 'poetry'" in page.inner_text("main")
