"""The next assignment is leased and loaded while the worker labels the current one, so it
appears at once after a submit or a return; a reload shows the oldest lease first."""

import re
from typing import Any

import pytest
from playwright.sync_api import Route

from tests.browser.conftest import Session, Team
from tests.browser.test_shapes import upload_scene

pytestmark = pytest.mark.browser

QUESTIONS = [{"name": "sentiment", "type": "label", "settings": {"labels": ["good", "bad"]}}]
ROWS = [{"external_id": f"r{n}", "fields": {"text": f"review {n}"}} for n in range(1, 5)]


def plain_next(url: str) -> bool:
    return url.endswith("/assignments/next")


def lease_shown(session: Session) -> int:
    """The lease countdown on screen, in seconds."""
    text = session.page.locator("[role=timer]").inner_text()
    match = re.fullmatch(r"(?:(\d+):)?(\d+):(\d\d)", text.strip())
    assert match, text
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def test_submit_shows_the_prefetched_item_without_asking_the_server(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team(QUESTIONS)
    first, second, third, _fourth = team.import_items(ROWS)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert session.current_item() == first
    prefetched = int(session.wait_prefetched())
    active = team.worker.get("/api/assignments", params={"status": "active"}).json()
    assert sorted(a["item_id"] for a in active) == [first, second]  # two held, never more
    assert prefetched == next(a["id"] for a in active if a["item_id"] == second)
    # From here a plain next-task call would fail: the next item must come from the prefetch.
    asked: list[str] = []

    def refuse(route: Route) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(plain_next, refuse)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    session.wait_for_next_item(first)
    assert session.current_item() == second
    assert asked == []
    assert team.stored_answers(first) == {"sentiment": "good"}
    # The prefetched lease shows the server's own time left, not a fresh full lease.
    held = team.worker.get(f"/api/assignments/{prefetched}").json()
    assert abs(lease_shown(session) - held["seconds_left"]) <= 3
    # And the one after it is prefetched in turn; returning a task shows it at once too.
    session.wait_prefetched()
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    session.wait_for_next_item(second)
    assert session.current_item() == third
    assert asked == []
    session.screenshot("after-prefetch")


def test_a_reload_shows_the_oldest_lease_and_keeps_the_prefetched_one(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team(QUESTIONS)
    first, second, *_ = team.import_items(ROWS)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    prefetched = session.wait_prefetched()
    page.reload()
    page.wait_for_selector(".fl-task")
    assert session.current_item() == first
    assert session.wait_prefetched() == prefetched  # the same lease, not a third one
    active = team.worker.get("/api/assignments", params={"status": "active"}).json()
    assert sorted(a["item_id"] for a in active) == [first, second]


def test_the_prefetched_image_is_loaded_before_it_is_shown(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team(QUESTIONS)
    team.import_items(ROWS[:1])
    upload_scene(team)  # second in the queue
    items = team.owner.get(f"/api/projects/{team.project_id}/items").json()["items"]
    (scene,) = [item["id"] for item in items if "image" in item["fields"]]
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    session.wait_prefetched()
    assert page.locator("fl-image-view").count() == 0  # the first item is still on screen
    # Its image is fetched meanwhile.
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => e.name.includes('/media/') && e.responseEnd > 0)"
    )
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector(f".fl-task[data-item='{scene}']")
    image = page.locator("fl-image-view img")
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    # Shown from the browser's cache: no second download of the file.
    sizes = page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/media/')).map(e => e.transferSize)"
    )
    assert sizes[0] > 0 and all(size == 0 for size in sizes[1:]), sizes
    assert page.locator(".fl-media-missing").count() == 0
