"""Upload limits, proven with crafted files: a decompression-bomb image, zip archives with
`../`, absolute and link entries, zip bombs and damaged archives. Each is refused with a
specific 4xx and leaves the tables and the filesystem (inside and outside the data folder)
as they were; a good archive of media becomes items named by their paths."""

import functools
import hashlib
import io
import os
import stat
import struct
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from fairlabel import cli
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.errors import ValidationFailed
from fairlabel.items import archive, service
from fairlabel.models import Item, Media
from fairlabel.projects import service as projects_service
from tests.items.conftest import Setup
from tests.items.test_media_api import jpeg, png, upload, wav

BOMB_SIDE = 50_000
DEFAULT_PIXELS = Settings().max_image_pixels


@functools.cache
def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A valid black-and-white PNG of side by side pixels, 1 bit each, whose rows of zeros
    deflate to a few hundred kilobytes: decoded, it would take gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (side + 7) // 8)
    deflate = zlib.compressobj(9)
    rows_at_once = 500
    compressed = [deflate.compress(row * rows_at_once) for _ in range(side // rows_at_once)]
    compressed.append(deflate.compress(row * (side % rows_at_once)) + deflate.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(compressed))
        + chunk(b"IEND", b"")
    )


def zip_of(*entries: tuple[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A zip written entry by entry as given (zipfile's writestr keeps a name as it is);
    `links` adds Unix symbolic links, name to target."""
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        warnings.simplefilter("ignore", UserWarning)  # a name twice, on purpose
        for name, data in entries:
            zipped.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, target)
    return out.getvalue()


def patched_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """The archive with one field of its first central-directory entry changed (and of the
    local header where it has one), as a crafted archive would have it."""
    changed = bytearray(data)
    directory = changed.find(b"PK\x01\x02")
    struct.pack_into(fmt, changed, directory + offset, value)
    local = {8: 6, 10: 8, 24: 22}.get(offset)
    if local is not None:
        struct.pack_into(fmt, changed, local, value)
    return bytes(changed)


def files_under(root: Path) -> dict[str, str]:
    """Every file and link below `root`, with a hash of its bytes or the link's target; the
    SQLite database files aside."""
    found = {}
    for path in root.rglob("*"):
        if path.is_symlink():
            found[str(path.relative_to(root))] = f"link to {os.readlink(path)}"
        elif path.is_file() and not path.name.startswith("fairlabel.db"):
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def rows(database: Database) -> dict[str, list[tuple[str, ...]]]:
    with database.session(write=False) as db:
        return {
            model.__tablename__: sorted(
                tuple(str(getattr(obj, c.name)) for c in model.__table__.columns)
                for obj in db.scalars(select(model))
            )
            for model in (Item, Media)
        }


class Unchanged:
    """The tables and the filesystem around the data folder, before and after."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.around = settings.data_dir.parent
        self.before = (rows(database), files_under(self.around))

    def check(self) -> None:
        assert (rows(self.database), files_under(self.around)) == self.before


@pytest.fixture
def unchanged(setup: Setup, database: Database, settings: Settings) -> Unchanged:
    upload(setup.owner, setup.project_id, ("kept.png", png(8, 8, "green")))
    return Unchanged(database, settings)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


# --- decompression bombs ------------------------------------------------------------------


def test_a_decompression_bomb_image_is_refused_from_its_header(
    setup: Setup, unchanged: Unchanged
) -> None:
    bomb = bomb_png()
    assert len(bomb) < 1024**2
    started = time.perf_counter()
    response = upload(setup.owner, setup.project_id, ("good.png", png()), ("bomb.png", bomb))
    seconds = time.perf_counter() - started
    error = error_of(response, 413)
    assert (error["code"], error["field"], error["value"]) == ("too_large", "file", "bomb.png")
    assert f"{DEFAULT_PIXELS:,} pixels" in error["expected"]
    assert "FAIRLABEL_MAX_IMAGE_PIXELS" in error["expected"]
    assert "decompression bomb" in error["message"]
    assert seconds < 10, "refused from the header, never decoded"
    unchanged.check()


def test_an_image_over_the_pixel_limit_is_refused_with_its_size(
    setup: Setup, unchanged: Unchanged, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_image_pixels", 1000)
    response = upload(setup.owner, setup.project_id, ("wide.png", png(40, 30)))
    error = error_of(response, 413)
    assert "is 40 x 30 pixels" in error["message"]
    assert "1,000 pixels" in error["expected"]
    unchanged.check()
    accepted = upload(setup.owner, setup.project_id, ("fits.png", png(40, 25)))
    assert accepted.status_code == 201, accepted.text


def test_a_folder_import_with_a_bomb_keeps_no_file(
    setup: Setup, database: Database, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(png(5, 6, "blue"))
    (folder / "bomb.png").write_bytes(bomb_png())
    unchanged = Unchanged(database, settings)
    with database.session() as db:
        project = projects_service.get_project(db, setup.project_id)
        with pytest.raises(ValidationFailed) as caught:
            service.import_media_folder(db, settings, project, folder)
    assert [(d["value"], d["field"]) for d in caught.value.details] == [("bomb.png", "file")]
    assert "FAIRLABEL_MAX_IMAGE_PIXELS" in caught.value.details[0]["expected"]
    unchanged.check()


# --- zip archives of media ----------------------------------------------------------------


def test_a_zip_of_media_becomes_items_named_by_their_paths(
    setup: Setup, settings: Settings, database: Database
) -> None:
    cat, dog = png(12, 10, "red"), jpeg(20, 16)
    images = zip_of(
        ("cats/", b""),
        ("cats/cat.png", cat),
        ("dogs/dog.jpg", dog),
        ("clip.wav", wav()),
        ("__MACOSX/cats/._cat.png", b"resource fork"),
        (".DS_Store", b"junk"),
    )
    response = upload(setup.owner, setup.project_id, ("images.zip", images), ("solo.png", png()))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["created"], body["updated"]) == (4, 0)
    names = [item["external_id"] for item in body["items"]]
    assert names == ["cats/cat.png", "dogs/dog.jpg", "clip.wav", "solo.png"]
    image = body["items"][0]["fields"]["image"]
    assert (image["width"], image["height"], image["name"]) == (12, 10, "cats/cat.png")
    sha = hashlib.sha256(cat).hexdigest()
    assert (settings.media_dir / sha[:2] / sha[2:4] / sha).read_bytes() == cat
    assert not list(settings.media_dir.glob(".upload-*"))
    with database.session(write=False) as db:
        assert len(db.scalars(select(Media)).all()) == 4


UNSAFE = {
    "parent": ("../escaped.png", None),
    "grandparent": ("../../escaped.png", None),
    "deep": ("pics/../../../escaped.png", None),
    "backslashes": ("..\\..\\escaped.png", None),
    "drive": ("C:/escaped.png", None),
    "control": ("bad\x01name.png", None),
    "link": ("link.png", "../../../../etc/passwd"),
    "absolute-link": ("abs-link.png", "/etc/passwd"),
}


@pytest.mark.parametrize("case", list(UNSAFE))
def test_an_archive_with_an_unsafe_entry_is_refused_whole(
    setup: Setup, unchanged: Unchanged, settings: Settings, case: str
) -> None:
    name, target = UNSAFE[case]
    entries = [("ok.png", png(6, 6))]
    links = {name: target} if target else None
    crafted = zip_of(*entries, *([] if target else [(name, png(7, 7))]), links=links)
    assert name in zipfile.ZipFile(io.BytesIO(crafted)).namelist()
    response = upload(setup.owner, setup.project_id, ("evil.zip", crafted))
    error = error_of(response, 422)
    assert (error["field"], error["value"]) == ("file", "evil.zip")
    assert "nothing was imported" in error["message"]
    assert "no '..'" in error["expected"] and "no links" in error["expected"]
    assert [(d["field"], d["value"]) for d in error["details"]] == [("entry", name)]
    unchanged.check()
    assert not (settings.data_dir.parent / "escaped.png").exists()


def test_an_absolute_entry_is_refused_and_nothing_lands_there(
    setup: Setup, unchanged: Unchanged, settings: Settings
) -> None:
    target = settings.data_dir.parent / "outside" / "abs.png"
    crafted = zip_of(("ok.png", png()), (str(target), png(9, 9)))
    response = upload(setup.owner, setup.project_id, ("evil.zip", crafted))
    error = error_of(response, 422)
    assert error["details"][0]["value"] == str(target)
    assert "absolute path" in error["details"][0]["message"]
    assert not target.exists() and not target.parent.exists()
    unchanged.check()


@pytest.mark.parametrize(
    ("crafted", "needle"),
    [
        (zip_of(("a.png", png()), ("a.png", png(3, 3))), "an earlier entry has too"),
        (patched_directory(zip_of(("a.png", png())), 8, "<H", 0x1), "an encrypted entry"),
        (patched_directory(zip_of(("a.png", png())), 10, "<H", 9), "cannot read (9)"),
    ],
    ids=["twice", "encrypted", "deflate64"],
)
def test_entries_that_cannot_be_read_safely_refuse_the_archive(
    setup: Setup, unchanged: Unchanged, crafted: bytes, needle: str
) -> None:
    response = upload(setup.owner, setup.project_id, ("odd.zip", crafted))
    error = error_of(response, 422)
    assert needle in error["details"][-1]["message"]
    unchanged.check()


# --- zip bombs -----------------------------------------------------------------------------


def deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@functools.cache
def zeros_zip(name: str, mebibytes: int) -> bytes:
    """One entry of `mebibytes` MiB of zeros, streamed into the archive: about 1 KB a MiB."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped,
        zipped.open(deflated(name), "w", force_zip64=True) as entry,
    ):
        block = b"\x00" * 1024**2
        for _ in range(mebibytes):
            entry.write(block)
    return out.getvalue()


def test_an_entry_declaring_more_than_a_media_file_may_hold_is_refused_unread(
    setup: Setup, unchanged: Unchanged, settings: Settings
) -> None:
    """600 MiB of zeros in under a megabyte, against the 512 MiB a media file may have."""
    bomb = zeros_zip("bomb.png", 600)
    assert len(bomb) < 1024**2
    started = time.perf_counter()
    response = upload(setup.owner, setup.project_id, ("bomb.zip", bomb))
    error = error_of(response, 413)
    assert time.perf_counter() - started < 10, "refused from the directory, never expanded"
    assert (error["field"], error["value"]) == ("file", "bomb.zip/bomb.png")
    assert f"{600 * 1024**2:,} bytes" in error["message"]
    assert f"at most {settings.max_media_bytes:,} bytes" in error["expected"]
    unchanged.check()


def test_an_archive_expanding_past_the_upload_limit_is_refused_unread(
    setup: Setup, unchanged: Unchanged, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_upload_bytes", 100_000)
    crafted = zip_of(*[(f"{n}.wav", b"\x00" * 40_000) for n in range(3)])
    assert len(crafted) < 100_000
    error = error_of(upload(setup.owner, setup.project_id, ("many.zip", crafted)), 413)
    assert (error["field"], error["value"]) == ("file", "many.zip")
    assert "the archive expands to" in error["message"]
    assert "at most 100,000 bytes once expanded" in error["expected"]
    unchanged.check()


def test_an_entry_lying_about_its_size_fails_as_damaged(setup: Setup, unchanged: Unchanged) -> None:
    """Its directory says 100 bytes; its data inflates to a megabyte: zipfile stops at the
    declared size and the CRC no longer matches."""
    crafted = patched_directory(zeros_zip("liar.png", 1), 24, "<I", 100)
    error = error_of(upload(setup.owner, setup.project_id, ("liar.zip", crafted)), 422)
    assert (error["field"], error["value"]) == ("file", "liar.zip/liar.png")
    assert "Bad CRC-32" in error["message"]
    unchanged.check()


def test_too_many_entries_are_refused_before_the_directory_is_read(
    setup: Setup, unchanged: Unchanged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_ENTRIES", 3)
    crafted = zip_of(*[(f"{n}.png", png(4, 4)) for n in range(4)])
    error = error_of(upload(setup.owner, setup.project_id, ("many.zip", crafted)), 413)
    assert "declares 4 entries" in error["message"]
    assert "at most 3 entries" in error["expected"]
    unchanged.check()


def test_a_bomb_image_inside_an_archive_is_refused(setup: Setup, unchanged: Unchanged) -> None:
    crafted = zip_of(("fine.png", png()), ("pics/bomb.png", bomb_png()))
    error = error_of(upload(setup.owner, setup.project_id, ("pics.zip", crafted)), 413)
    assert (error["field"], error["value"]) == ("file", "pics/bomb.png")
    assert "FAIRLABEL_MAX_IMAGE_PIXELS" in error["expected"]
    unchanged.check()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, "File is not a zip file"),
        (zip_of(("a.png", png()))[:-30], "File is not a zip file"),
        (
            zip_of(
                ("a.zip", zip_of(("a.png", png()))),
            ),
            "unrecognised media file",
        ),
        (zip_of(("notes.txt", b"text")), "unrecognised media file"),
    ],
    ids=["garbage", "truncated", "nested", "not-media"],
)
def test_damaged_nested_and_non_media_archives_are_refused(
    setup: Setup, unchanged: Unchanged, data: bytes, needle: str
) -> None:
    error = error_of(upload(setup.owner, setup.project_id, ("odd.zip", data)), 422)
    assert needle in error["message"]
    assert error["field"] == "file"
    unchanged.check()


# --- the same archives from the command line ------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLABEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAIRLABEL_DATABASE_URL", settings.resolved_database_url)


def fairlabel(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("cli_env")
def test_the_import_command_takes_a_zip_of_media(
    setup: Setup, stored_items: Callable[[int], dict[str, Item]], tmp_path: Path
) -> None:
    images = tmp_path / "images.zip"
    images.write_bytes(zip_of(("a.png", png(5, 4)), ("sub/b.jpg", jpeg(6, 8)), (".x", b"")))
    code, out = fairlabel("import", str(setup.project_id), str(images))
    assert code == 0, out
    assert "created 2, updated 0, skipped 0" in out
    items = stored_items(setup.project_id)
    assert sorted(items) == ["a.png", "sub/b.jpg"]
    assert items["sub/b.jpg"].fields["image"]["width"] == 6


@pytest.mark.usefixtures("cli_env")
def test_the_import_command_refuses_an_unsafe_zip_and_writes_nothing(
    setup: Setup, database: Database, settings: Settings, tmp_path: Path
) -> None:
    evil = tmp_path / "evil.zip"
    evil.write_bytes(zip_of(("ok.png", png()), ("../../escaped.png", png(3, 3))))
    unchanged = Unchanged(database, settings)
    code, out = fairlabel("import", str(setup.project_id), str(evil), "--skip-invalid")
    assert code == 2, out
    assert "cannot be extracted safely" in out and "Traceback" not in out
    unchanged.check()
    assert not (Path.cwd().parent.parent / "escaped.png").exists()


def test_an_archive_import_can_skip_what_is_not_media(
    setup: Setup, database: Database, settings: Settings, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed.zip"
    mixed.write_bytes(zip_of(("a.png", png()), ("notes.txt", b"text"), ("b.wav", wav())))
    with database.session() as db:
        project = projects_service.get_project(db, setup.project_id)
        with pytest.raises(ValidationFailed) as caught:
            service.import_media_archive(db, settings, project, mixed)
        assert [d["value"] for d in caught.value.details] == ["notes.txt"]
        db.rollback()
        report = service.import_media_archive(db, settings, project, mixed, skip_invalid=True)
    assert (report.created, report.skipped) == (2, 1)
