"""A risky image task in the browser: a warning with its categories and support link comes
first; the image is blurred and greyscale until revealed, also the image a box question
draws on; return works from the warning; a break screen after a stretch of risky items."""

import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from fairlabel.config import Settings
from tests.browser.conftest import Session, Team
from tests.browser.test_shapes import LABELS as SHAPE_LABELS
from tests.browser.test_shapes import image_point, upload_scene

pytestmark = pytest.mark.browser

LABEL = [{"name": "ok", "type": "label", "settings": {"labels": ["yes", "no"]}}]


def risky_team(make_team: Any, images: int) -> Team:
    team: Team = make_team(LABEL, content_risks=["violence"])
    for n in range(images):
        body = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30 + n, 30)).save(body, format="PNG")
        files = {"files": (f"scene{n}.png", body.getvalue(), "image/png")}
        response = team.owner.post(f"/api/projects/{team.project_id}/media", files=files)
        assert response.status_code == 201, response.text
    assert team.worker.put("/api/me/risk-opt-ins/violence").status_code == 200
    return team


def open_risky(session: Session, team: Team) -> None:
    """The workspace stops at the warning: no task is rendered before it is passed."""
    session.sign_in(team.worker)
    session.page.goto(f"{session.base_url}/projects/{team.project_id}/work")
    session.page.wait_for_selector(".fl-content-warning, .fl-break")


def image_filter(session: Session, image: str = "fl-image-view img") -> str:
    return str(session.page.eval_on_selector(image, "img => getComputedStyle(img).filter"))


def test_warning_then_blurred_image_revealed_by_key(session: Session, make_team: Any) -> None:
    team = risky_team(make_team, 2)
    open_risky(session, team)
    page = session.page
    warning = page.locator(".fl-content-warning")
    warning.wait_for()
    assert "Violence and gore" in warning.inner_text()
    assert page.locator(".fl-content-warning .fl-support a").first.get_attribute(
        "href", timeout=1000
    )
    assert page.locator("fl-image-view").count() == 0, "nothing of the item before Show"
    page.keyboard.press("Enter")  # does not submit or pass the warning
    assert warning.is_visible()
    page.keyboard.press("s")
    page.wait_for_selector("fl-image-view[data-veiled] img")
    assert "blur" in image_filter(session) and "grayscale" in image_filter(session)
    assert page.locator(".fl-risk-strip a").count() >= 1, "support stays on the task"
    page.keyboard.press("?")
    assert "reveal the next blurred image" in page.locator("dialog.fl-help").inner_text()
    page.keyboard.press("?")
    page.keyboard.press("v")
    page.wait_for_selector("fl-image-view:not([data-veiled])")
    assert image_filter(session) == "none"


def test_reveal_by_click_and_return_from_the_warning(session: Session, make_team: Any) -> None:
    team = risky_team(make_team, 2)
    open_risky(session, team)
    page = session.page
    assert page.locator(".fl-task").count() == 0
    page.click(".fl-content-warning .fl-return-risky")
    expect(page.locator(".fl-notice")).to_contain_text("returned without penalty")
    page.locator(".fl-content-warning").wait_for()
    returned = team.worker.get("/api/assignments", params={"status": "returned"}).json()
    assert len(returned) == 1
    page.click(".fl-content-warning [data-show]")
    page.click("fl-image-view .fl-reveal")
    page.wait_for_selector("fl-image-view:not([data-veiled])")
    assert image_filter(session) == "none"


def test_break_screen_after_a_stretch(
    session: Session, make_team: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "break_after_risky_items", 1)
    team = risky_team(make_team, 3)
    open_risky(session, team)
    page = session.page
    page.keyboard.press("s")
    page.wait_for_selector("fl-image-view")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.locator(".fl-break").wait_for()
    assert "in a row" in page.locator(".fl-break").inner_text()
    page.keyboard.press("Enter")
    page.locator(".fl-content-warning").wait_for()


def test_boxes_on_a_risky_image_wait_until_it_is_revealed(session: Session, make_team: Any) -> None:
    objects = {"name": "objects", "type": "bbox", "settings": {"labels": SHAPE_LABELS}}
    team: Team = make_team([objects], content_risks=["violence"])
    item = upload_scene(team)
    # The same file also as a field of its own, which the item view shows before the boxes.
    (scene,) = team.owner.get(f"/api/items/{item}").json()["fields"].values()
    team.import_items([{"external_id": "scene.png", "fields": {"image": scene, "photo": scene}}])
    assert team.worker.put("/api/me/risk-opt-ins/violence").status_code == 200
    open_risky(session, team)
    page = session.page
    page.keyboard.press("s")
    page.wait_for_selector("fl-shapes-widget[data-veiled] .fl-shapes svg")  # annotator ready
    widget_image = "fl-shapes-widget .fl-shapes img"
    assert "blur" in image_filter(session, widget_image)
    assert "grayscale" in image_filter(session, widget_image)
    # Dragging on the blurred image draws nothing.
    page.locator("fl-shapes-widget .fl-shapes").scroll_into_view_if_needed()
    assert page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('fl-shapes-widget') !== null",
        list(image_point(session, 0.3, 0.3)),
    ), "the drag lands on the box question's image"
    mouse = page.mouse
    mouse.move(*image_point(session, 0.25, 0.25))
    mouse.down()
    mouse.move(*image_point(session, 0.5, 0.5), steps=8)
    mouse.up()
    page.wait_for_timeout(300)
    assert page.locator(".fl-shape-list li").count() == 0
    # Revealing one image leaves the other blurred: Enter on the item view's reveal button
    # reveals it (and does not submit); then V finds the box question's image.
    page.focus("fl-image-view .fl-reveal")
    page.keyboard.press("Enter")
    page.wait_for_selector("fl-image-view:not([data-veiled])")
    assert "blur" in image_filter(session, widget_image)
    page.keyboard.press("v")
    page.wait_for_selector("fl-shapes-widget:not([data-veiled])")
    assert image_filter(session, widget_image) == "none"
    assert page.locator("fl-shapes-widget .fl-reveal").count() == 0
    page.locator("fl-shapes-widget .fl-shapes").scroll_into_view_if_needed()
    mouse.move(*image_point(session, 0.25, 0.25))
    mouse.down()
    mouse.move(*image_point(session, 0.4, 0.4), steps=5)
    mouse.move(*image_point(session, 0.5, 0.5), steps=5)
    mouse.up()
    page.locator(".fl-shape-list li").first.wait_for()
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    (drawn,) = team.stored_answers(item)["objects"]
    for key, expected in {"x": 100, "y": 75, "width": 100, "height": 75}.items():
        assert abs(drawn[key] - expected) <= 2, (key, drawn)
