"""Media items: upload, content-addressed storage, image sizes, unsafe names, and serving
with Range to authorized users only."""

import hashlib
import io
import wave
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.errors import ValidationFailed
from fairlabel.items import media, service
from fairlabel.models import Item, Media
from fairlabel.projects import service as projects_service
from tests.factories import Account, Factory
from tests.items.conftest import Setup, get_with_headers
from tests.items.test_items_api import give_assignment


def png(width: int = 40, height: int = 30, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int, height: int, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), "blue")
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def wav(seconds: float = 0.5) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * int(8000 * seconds))
    return out.getvalue()


def upload(account: Account, project_id: int, *files: tuple[str, bytes]) -> object:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return account.post(f"/api/projects/{project_id}/media", files=parts)


def count(database: Database, model: type) -> int:
    with database.session(write=False) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_upload_stores_by_hash_and_reads_the_image_size(
    setup: Setup, settings: Settings, database: Database
) -> None:
    data = png(40, 30)
    sha = hashlib.sha256(data).hexdigest()
    response = upload(
        setup.owner,
        setup.project_id,
        ("scenes/cat.png", data),
        ("rotated.jpg", jpeg(40, 30, orientation=6)),
        ("beep.wav", wav()),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["created"], body["updated"]) == (3, 0)
    cat, rotated, beep = body["items"]
    assert cat["external_id"] == "scenes/cat.png"
    assert cat["fields"] == {
        "image": {
            "src": f"/api/projects/{setup.project_id}/media/{sha}",
            "sha256": sha,
            "content_type": "image/png",
            "size": len(data),
            "name": "scenes/cat.png",
            "width": 40,
            "height": 30,
        }
    }
    assert (rotated["fields"]["image"]["width"], rotated["fields"]["image"]["height"]) == (30, 40)
    assert beep["fields"]["audio"]["content_type"] == "audio/wav"
    assert "width" not in beep["fields"]["audio"]
    stored = settings.data_dir / "media" / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == data
    assert not list((settings.data_dir / "media").glob(".upload-*"))
    assert count(database, Media) == 3


def test_upload_again_updates_the_same_item(setup: Setup, database: Database) -> None:
    first = upload(setup.owner, setup.project_id, ("a.png", png(10, 10))).json()
    again = upload(setup.owner, setup.project_id, ("a.png", png(20, 10, "green"))).json()
    assert (again["created"], again["updated"]) == (0, 1)
    assert again["items"][0]["id"] == first["items"][0]["id"]
    assert again["items"][0]["fields"]["image"]["width"] == 20
    assert count(database, Item) == 1


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "/etc/passwd", "a/../../b.png", "..\\..\\x.png", ".."],
)
def test_unsafe_names_are_refused(setup: Setup, database: Database, name: str) -> None:
    response = upload(setup.owner, setup.project_id, ("ok.png", png()), (name, png()))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["field"], error["value"]) == ("filename", name)
    assert "without '..'" in error["expected"]
    assert count(database, Item) == count(database, Media) == 0


@pytest.mark.parametrize(
    "name", ["a\x00b.png", "a/\x01b.png", "C:\\x.png", "c:x.png", "", "./", "x" * 600]
)
def test_safe_name_refuses_nul_drives_empty_and_long(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        media.safe_name(name)
    assert caught.value.field == "filename"


def test_safe_name_keeps_relative_paths() -> None:
    assert media.safe_name("a/./b//c.png") == "a/b/c.png"
    assert media.safe_name("dir\\img.jpg") == "dir/img.jpg"


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("broken.png", png()[:60], "cannot be read"),
        ("cut.jpg", jpeg(64, 64)[:300], "cannot be read"),
        ("notes.txt", b"just some text", "unrecognised"),
        ("song.mp3", png(), "its name says audio"),
        ("empty.png", b"", "empty"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    setup: Setup, database: Database, name: str, data: bytes, needle: str
) -> None:
    response = upload(setup.owner, setup.project_id, ("good.png", png()), (name, data))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["field"], error["value"]) == ("file", name)
    assert needle in error["message"]
    assert count(database, Item) == 0


def test_too_large_media_file(
    setup: Setup, settings: Settings, monkeypatch: pytest.MonkeyPatch, database: Database
) -> None:
    monkeypatch.setattr(settings, "max_media_bytes", 100)
    response = upload(setup.owner, setup.project_id, ("big.png", png(200, 200)))
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "file"
    monkeypatch.setattr(settings, "max_media_bytes", 10**9)
    monkeypatch.setattr(settings, "max_upload_bytes", 100)
    assert upload(setup.owner, setup.project_id, ("big.png", png(200, 200))).status_code == 413
    assert count(database, Item) == 0


def test_upload_needs_files_and_a_manager(setup: Setup, factory: Factory) -> None:
    url = f"/api/projects/{setup.project_id}/media"
    assert setup.owner.post(url, data={"x": "1"}).status_code == 422
    assert setup.owner.post(url, content=b"raw").status_code == 422
    viewer = factory.user(org_id=setup.org_id, role="viewer")
    assert upload(viewer, setup.project_id, ("a.png", png())).status_code == 403
    stranger, _org = factory.owner()
    assert upload(stranger, setup.project_id, ("a.png", png())).status_code == 404


@pytest.fixture
def sound(setup: Setup) -> tuple[str, bytes, int]:
    """An uploaded audio file: its URL, its bytes and its item id."""
    data = wav(1.0)
    item = upload(setup.owner, setup.project_id, ("clip.wav", data)).json()["items"][0]
    return item["fields"]["audio"]["src"], data, item["id"]


def test_serves_the_file_with_its_type_and_etag(
    setup: Setup, sound: tuple[str, bytes, int]
) -> None:
    url, data, _item = sound
    response = setup.owner.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes"
    sha = hashlib.sha256(data).hexdigest()
    assert response.headers["etag"] == f'"{sha}"'
    cached = get_with_headers(setup.owner, url, {"If-None-Match": f'"{sha}"'})
    assert cached.status_code == 304


def test_range_requests(setup: Setup, sound: tuple[str, bytes, int]) -> None:
    url, data, _item = sound
    first = get_with_headers(setup.owner, url, {"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.content == data[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{len(data)}"
    suffix = get_with_headers(setup.owner, url, {"Range": "bytes=-10"})
    assert suffix.status_code == 206
    assert suffix.content == data[-10:]
    beyond = get_with_headers(setup.owner, url, {"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert beyond.json()["error"]["field"] == "Range"
    middle = get_with_headers(setup.owner, url, {"Range": "bytes=10-19"})
    assert (middle.status_code, middle.content) == (206, data[10:20])
    for malformed in ("bytes=abc", "items=0-1", "bytes=9-3", "bytes=-"):
        response = get_with_headers(setup.owner, url, {"Range": malformed})
        assert response.status_code == 400, malformed
        assert response.json()["error"]["value"] == malformed


def test_media_is_for_members_and_assigned_workers(
    setup: Setup, sound: tuple[str, bytes, int], factory: Factory, database: Database
) -> None:
    url, data, item_id = sound
    stranger, _org = factory.owner()
    assert stranger.get(url).status_code == 404
    worker = factory.worker()
    assert worker.get(url).status_code == 404
    give_assignment(database, setup.project_id, item_id, worker.user_id)
    assert worker.get(url).content == data
    viewer = factory.user(org_id=setup.org_id, role="viewer")
    assert viewer.get(url).status_code == 200
    missing = setup.owner.get(f"/api/projects/{setup.project_id}/media/{'0' * 64}")
    assert missing.status_code == 404
    assert setup.owner.get(f"/api/projects/{setup.project_id}/media/..%2F..").status_code == 404


def test_same_file_under_two_names_is_shown_to_workers_of_either(
    setup: Setup, factory: Factory, database: Database
) -> None:
    data = png(12, 12)
    items = upload(setup.owner, setup.project_id, ("one.png", data), ("two.png", data)).json()
    second = items["items"][1]
    worker = factory.worker()
    give_assignment(database, setup.project_id, second["id"], worker.user_id)
    assert worker.get(second["fields"]["image"]["src"]).status_code == 200
    assert count(database, Media) == 1


def test_media_folder_import(
    setup: Setup, settings: Settings, database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(png(5, 6))
    (folder / "sub" / "b.jpg").write_bytes(jpeg(7, 8))
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "readme.txt").write_text("not media")
    outside = tmp_path / "secret.png"
    outside.write_bytes(png())
    (folder / "link.png").symlink_to(outside)
    progress: list[int] = []
    with database.session() as db:
        project = projects_service.get_project(db, setup.project_id)
        with pytest.raises(ValidationFailed) as caught:
            service.import_media_folder(db, settings, project, folder)
        assert {d["value"] for d in caught.value.details} == {"readme.txt", "link.png"}
        db.rollback()
        report = service.import_media_folder(
            db, settings, project, folder, progress.append, skip_invalid=True
        )
    assert (report.created, report.skipped) == (2, 2)
    assert progress == [1, 2]
    with database.session(write=False) as db:
        names = set(db.scalars(select(Item.external_id)))
    assert names == {"a.png", "sub/b.jpg"}
