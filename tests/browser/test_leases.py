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
    first, _second = team.import_items([{"fields": {"text": "fine"}}, {"fields": {"text": "meh"}}])
    session.allow_console(r"status of 410")  # the browser reports the server's answer itself
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("2")
    session.wait_saved()
    with database.session() as db:
        db.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    page.keyboard.press("Enter")
    banner = page.locator(".fl-expired")
    banner.wait_for()
    assert "lease on this item expired" in banner.inner_text()
    chosen = page.locator("[data-question=sentiment] [aria-checked=true]")
    assert chosen.inner_text().endswith("bad")
    assert chosen.is_disabled()
    session.screenshot("expired")
    mine = team.worker.get("/api/assignments").json()
    assert [a["status"] for a in mine] == ["expired"]
    held = team.worker.get(f"/api/assignments/{mine[0]['id']}").json()
    assert held["draft"]["answers"] == {"sentiment": "bad"}
    assert team.annotations() == []
    page.get_by_role("button", name="Get a new task").click()
    session.wait_for_next_item(first)
    assert session.current_item() != first
