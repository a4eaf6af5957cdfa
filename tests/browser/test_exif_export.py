"""A phone photo stored sideways with an EXIF orientation tag: the browser shows it turned,
the size the import recorded is the size shown, a box drawn on it is stored in those pixels,
and the COCO export (with the image itself) says the same."""

import io
import json
import zipfile
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import Session, Team

pytestmark = pytest.mark.browser

STORED = (300, 200)
"""Width and height of the pixels in the file; shown a quarter turn clockwise: 200 x 300."""


def _phone_photo() -> bytes:
    image = Image.new("RGB", STORED, "#223344")
    image.paste((250, 250, 250), (0, 0, STORED[0] // 2, STORED[1]))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def test_an_exif_turned_photo_is_labelled_and_exported_as_shown(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team([{"name": "objects", "type": "bbox", "settings": {"labels": ["cat"]}}])
    files = {"files": ("phone/IMG_0001.jpg", _phone_photo(), "image/jpeg")}
    uploaded = team.owner.post(f"/api/projects/{team.project_id}/media", files=files)
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()["items"][0]
    recorded = (item["fields"]["image"]["width"], item["fields"]["image"]["height"])
    assert recorded == (200, 300)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.wait_for_selector(".fl-shapes svg")
    shown = page.eval_on_selector(".fl-shapes img", "img => [img.naturalWidth, img.naturalHeight]")
    assert tuple(shown) == recorded
    page.locator(".fl-shapes").focus()
    page.keyboard.press("n")
    page.locator(".fl-shape-list li[data-picked]").wait_for()
    page.keyboard.press("Enter")
    session.wait_for_next_item(item["id"])
    (box,) = team.stored_answers(item["id"])["objects"]
    assert box["x"] + box["width"] <= 200 and box["y"] + box["height"] <= 300
    response = team.owner.get(
        f"/api/projects/{team.project_id}/export",
        params={"format": "coco", "include_media": "true"},
    )
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    coco = json.loads(archive.read("annotations.json"))
    (image,) = coco["images"]
    assert (image["file_name"], image["width"], image["height"]) == ("phone/IMG_0001.jpg", 200, 300)
    (written,) = coco["annotations"]
    assert written["bbox"] == [box["x"], box["y"], box["width"], box["height"]]
    with Image.open(io.BytesIO(archive.read("images/phone/IMG_0001.jpg"))) as exported:
        assert exported.size == recorded
        assert sum(exported.getpixel((100, 20))) > 600  # the white half is on top, as shown
