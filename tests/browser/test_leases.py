"""A lease that runs out while the page is open: said plainly, with the work kept."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from fairlabel.db import Database, utcnow
from fairlabel.models import Assignment
from tests.browser.conftest import Session, Team

pytestmark = pytest.mark.browser


def test_expired_lease_is_reported_and_the_draft_kept(
    session: Session, make_team: Any, database: Database
) -> None:
    questions = [{"name": "sentiment", "type": "label", "settings": {"labels": ["good", "bad"]}}]
    team: Team = make_team(questions)
    first, second, third = team.import_items(
        [{"fields": {"text": "fine"}}, {"fields": {"text": "meh"}}, {"fields": {"text": "ok"}}]
    )
    session.allow_console(r"status of 410")  # the browser reports the server's answer itself
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert session.wait_prefetched() != "none"  # the second item is leased behind the first
    page.keyboard.press("2")
    session.wait_saved()
    with database.session() as db:  # both leases run out: the one on screen and the next
        db.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    page.keyboard.press("Enter")
    banner = page.locator(".fl-expired")
    banner.wait_for()
    assert "lease on this item expired" in banner.inner_text()
    chosen = page.locator("[data-question=sentiment] [aria-checked=true]")
    assert chosen.inner_text().endswith("bad")
    assert chosen.is_disabled()
    session.screenshot("expired")
    mine = {a["item_id"]: a for a in team.worker.get("/api/assignments").json()}
    assert {item: a["status"] for item, a in mine.items()} == {
        first: "expired",
        second: "expired",
    }
    held = team.worker.get(f"/api/assignments/{mine[first]['id']}").json()
    assert held["draft"]["answers"] == {"sentiment": "bad"}
    assert team.annotations() == []
    # The prefetched item expired too: the workspace finds out and leases a fresh one.
    page.get_by_role("button", name="Get a new task").click()
    page.wait_for_selector(f".fl-task[data-item='{third}']")
    assert "no longer held for you" in page.locator(".fl-notice").inner_text()
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.locator(".fl-empty").wait_for()
    assert team.stored_answers(third) == {"sentiment": "good"}
