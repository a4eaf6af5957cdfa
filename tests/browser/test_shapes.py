"""Boxes and polygons on an image, drawn with the mouse (Annotorious) and with the keyboard,
stored in image pixels and checked through the API."""

import io
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import Session, Team

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 400, 300
LABELS = ["circle", "square"]


def upload_scene(team: Team) -> int:
    image = Image.new("RGB", (WIDTH, HEIGHT), "#8899aa")
    ImageDraw.Draw(image).rectangle((100, 75, 200, 150), fill="#dd4444")
    body = io.BytesIO()
    image.save(body, format="PNG")
    files = {"files": ("scene.png", body.getvalue(), "image/png")}
    response = team.owner.post(f"/api/projects/{team.project_id}/media", files=files)
    assert response.status_code == 201, response.text
    items = team.owner.get(f"/api/projects/{team.project_id}/items").json()["items"]
    return int(items[0]["id"])


def image_point(session: Session, fx: float, fy: float) -> tuple[float, float]:
    """A point on the shown image, as fractions of its width and height."""
    box = session.page.locator(".fl-shapes img").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def open_image_task(session: Session, team: Team) -> None:
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    session.page.wait_for_selector(".fl-shapes svg")  # the lazily loaded annotator is ready


def test_boxes_by_mouse_and_by_keyboard(session: Session, make_team: Any) -> None:
    team: Team = make_team([{"name": "objects", "type": "bbox", "settings": {"labels": LABELS}}])
    item = upload_scene(team)
    open_image_task(session, team)
    page = session.page
    # Not a risky item: the image is shown as it is, with nothing to reveal first.
    assert page.locator("fl-shapes-widget[data-veiled], .fl-reveal").count() == 0
    filter_ = page.eval_on_selector(".fl-shapes img", "img => getComputedStyle(img).filter")
    assert filter_ == "none"
    # Mouse: the square's corners, as a fraction of the image (it is shown unscaled).
    page.locator("fl-shapes-widget").get_by_role("radio", name="square").click()
    mouse = page.mouse
    mouse.move(*image_point(session, 0.25, 0.25))
    mouse.down()
    mouse.move(*image_point(session, 0.4, 0.4), steps=5)
    mouse.move(*image_point(session, 0.5, 0.5), steps=5)
    mouse.up()
    page.locator(".fl-shape-list li").first.wait_for()
    # Keyboard: a new box in the middle, labelled circle, moved right and made taller.
    page.locator(".fl-shapes").focus()
    page.keyboard.press("n")
    page.locator(".fl-shape-list li:nth-child(2)[data-picked]").wait_for()
    page.keyboard.press("1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    assert page.locator(".fl-shape-list li").count() == 2
    session.screenshot("boxes")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    drawn, typed = team.stored_answers(item)["objects"]
    assert drawn["label"] == "square"
    for key, expected in {"x": 100, "y": 75, "width": 100, "height": 75}.items():
        assert abs(drawn[key] - expected) <= 2, (key, drawn)
    assert typed == {"x": 164, "y": 120, "width": 80, "height": 63, "label": "circle"}


def test_polygons_by_mouse_and_by_keyboard(session: Session, make_team: Any) -> None:
    team: Team = make_team(
        [{"name": "outlines", "type": "polygon", "settings": {"labels": LABELS}}]
    )
    item = upload_scene(team)
    open_image_task(session, team)
    page = session.page
    corners = [(0.25, 0.25), (0.5, 0.25), (0.5, 0.5), (0.25, 0.5)]
    for fx, fy in corners:
        page.mouse.click(*image_point(session, fx, fy))
        page.wait_for_timeout(350)  # slower than a double click
    page.mouse.click(*image_point(session, *corners[0]))  # back on the first point closes it
    page.locator(".fl-shape-list li").first.wait_for()
    page.locator(".fl-shapes").focus()
    page.keyboard.press("2")  # relabel the drawn outline: square
    shown = page.locator(".fl-shape-list li")
    shown.first.get_by_text("square").wait_for()
    page.keyboard.press("n")  # and add one from the keyboard, labelled square too
    # Look before moving, as a person would: the new outline is the picked one.
    page.locator(".fl-shape-list li:nth-child(2)[data-picked]").wait_for()
    page.keyboard.press("ArrowUp")
    session.screenshot("polygons")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    drawn, typed = team.stored_answers(item)["outlines"]
    assert drawn["label"] == "square"
    assert len(drawn["points"]) == 4
    for (x, y), (fx, fy) in zip(drawn["points"], corners, strict=True):
        assert abs(x - fx * WIDTH) <= 2 and abs(y - fy * HEIGHT) <= 2, drawn
    assert typed == {
        "points": [[160, 117], [240, 117], [240, 177], [160, 177]],
        "label": "square",
    }


def test_a_missing_image_shows_a_placeholder_and_the_task_can_be_returned(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team([{"name": "objects", "type": "bbox", "settings": {"labels": LABELS}}])
    missing = {
        "src": f"/api/projects/{team.project_id}/media/{'0' * 64}",
        "width": 10,
        "height": 10,
    }
    team.import_items([{"fields": {"image": missing}}])
    session.allow_console(r"status of 404")  # the browser reports the missing file itself
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    placeholder = page.locator(".fl-media-missing")
    placeholder.wait_for()
    assert "could not be loaded" in placeholder.inner_text()
    session.screenshot("missing-image")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.locator(".fl-empty").wait_for()
