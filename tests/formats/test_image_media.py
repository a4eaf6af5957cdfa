"""The image formats' zips with media: each stored image beside its labels under its relative
path, names made unique (and said so in files.csv), EXIF-turned images written upright, and
options a format does not take refused before anything is written."""

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fairlabel.errors import ValidationFailed
from fairlabel.formats import ExportOptions, ensure_exportable, get_format
from fairlabel.formats.split import parse_split

from .factories import BOXES, TOPIC, export, make_annotation, make_project, make_record

BOX = {"x": 2, "y": 3, "width": 10, "height": 5, "label": "car"}


def _png(path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), "red").save(path, "PNG")
    return path


def _rotated_jpeg(path: Path, width: int, height: int) -> Path:
    """A phone photo stored `width` x `height`, tagged to be shown a quarter turn clockwise;
    its left half is white, so the turn can be seen in the pixels."""
    image = Image.new("RGB", (width, height), "black")
    image.paste((255, 255, 255), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, "JPEG", exif=exif, quality=95)
    return path


@pytest.fixture
def stored(tmp_path: Path) -> dict[str, Path]:
    return {
        "a1": _png(tmp_path / "a1.png", 40, 30),
        "a2": _png(tmp_path / "a2.png", 20, 10),
        "rot": _rotated_jpeg(tmp_path / "rot.jpg", 60, 40),
    }


def _image(name: str, sha: str | None, width: int, height: int) -> dict[str, Any]:
    value: dict[str, Any] = {"name": name, "width": width, "height": height}
    if sha is not None:
        value |= {"sha256": sha, "src": f"/api/projects/7/media/{sha}"}
    return value


def _records() -> list[Any]:
    return [
        make_record(
            1, {"image": _image("cam1/0001.png", "a1", 40, 30)}, make_annotation({"boxes": [BOX]})
        ),
        make_record(
            2, {"image": _image("cam2/0001.png", "a2", 20, 10)}, make_annotation({"boxes": [BOX]})
        ),
        make_record(3, {"image": _image("phone/IMG_1.jpg", "rot", 40, 60)}),
        make_record(4, {"image": _image("cam1/0001.PNG", "a2", 20, 10)}, external_id="again"),
        make_record(
            5, {"image": {"src": "https://cdn.example.org/remote.png", "width": 9, "height": 9}}
        ),
    ]


def _zip(fmt: str, stored: dict[str, Path], **options: Any) -> zipfile.ZipFile:
    media = ExportOptions(include_media=True, media=stored.get, **options)
    data = export(get_format(fmt), make_project(BOXES, options=media), _records())
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def _files(archive: zipfile.ZipFile) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(archive.read("files.csv").decode()))
    return {row["external_id"]: row for row in rows}


@pytest.mark.parametrize(("fmt", "folder"), [("yolo", "images/"), ("voc", "JPEGImages/")])
def test_label_zips_hold_each_stored_image_beside_its_labels(
    fmt: str, folder: str, stored: dict[str, Path]
) -> None:
    archive = _zip(fmt, stored)
    found = _files(archive)
    assert {key: row["file_name"] for key, row in found.items()} == {
        "ext-1": "cam1/0001.png",
        "ext-2": "cam2/0001.png",
        "ext-3": "phone/IMG_1.jpg",
        "again": "cam1/0001_4.PNG",
    }
    for key, sha in [("ext-1", "a1"), ("ext-2", "a2"), ("again", "a2")]:
        row = found[key]
        path = folder + row["file_name"]
        assert archive.read(path) == stored[sha].read_bytes()
        assert row["label_file"] in archive.namelist()
    readme = archive.read("README.txt").decode()
    assert "ext-5 (item 5): image not stored here" in readme
    assert "media: included" in readme


def test_an_exif_turned_image_is_written_as_the_annotator_saw_it(stored: dict[str, Path]) -> None:
    archive = _zip("voc", stored)
    with Image.open(io.BytesIO(archive.read("JPEGImages/phone/IMG_1.jpg"))) as image:
        assert image.size == (40, 60)
        assert image.getexif().get(0x0112) is None
        top, bottom = image.getpixel((20, 5)), image.getpixel((20, 55))
    assert sum(top) > 600 and sum(bottom) < 150  # the white half is on top once turned


def test_coco_with_media_is_a_zip_of_its_json_and_images(stored: dict[str, Path]) -> None:
    project = make_project(BOXES, options=ExportOptions(include_media=True, media=stored.get))
    fmt = get_format("coco")
    assert (fmt.content_type(project), fmt.filename(project)) == (
        "application/zip",
        "Street-scenes-coco.zip",
    )
    archive = _zip("coco", stored)
    data = json.loads(archive.read("annotations.json"))
    names = {image["external_id"]: image["file_name"] for image in data["images"]}
    assert names == {
        "ext-1": "cam1/0001.png",
        "ext-2": "cam2/0001.png",
        "ext-3": "phone/IMG_1.jpg",
        "again": "cam1/0001_4.PNG",
    }
    assert {a["image_id"] for a in data["annotations"]} == {1, 2}
    for image in data["images"]:
        assert f"images/{image['file_name']}" in archive.namelist()
    assert "export.json" in archive.namelist() and "files.csv" in archive.namelist()


@pytest.mark.parametrize(
    ("fmt", "options", "field"),
    [
        ("coco", ExportOptions(split=parse_split("train:0.8,val:0.2", 0)), "split"),
        ("coco", ExportOptions(seed=3), "seed"),
        ("voc", ExportOptions(seed=3), "seed"),
        ("jsonl", ExportOptions(split=parse_split("train:0.8,val:0.2", 0)), "split"),
        ("jsonl", ExportOptions(include_media=True), "include_media"),
        ("conll", ExportOptions(seed=1), "seed"),
    ],
)
def test_options_a_format_does_not_take_are_refused(
    fmt: str, options: ExportOptions, field: str
) -> None:
    project = make_project(BOXES, TOPIC, options=options)
    with pytest.raises(ValidationFailed) as caught:
        ensure_exportable(get_format(fmt), project)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("train:0.8,dev:0.2", "unknown split 'dev'"),
        ("train:0.8,val:0.3", "sum to 1.1"),
        ("train:0.8", "needs val"),
        ("train:0.5,val:0.5,train:0.5", "given twice"),
        ("train:abc,val:0.5", "not a number"),
        ("train:1.5,val:-0.5", "not in (0, 1]"),
        ("train:0.8;val:0.2", "not a number"),
        ("train 0.8", "not a name:ratio pair"),
        ("train:nan,val:0.2", "not in (0, 1]"),
    ],
)
def test_bad_splits_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_split(text, 0)
    assert (caught.value.field, caught.value.value) == ("split", text)
    assert needle in caught.value.message
    assert "train:0.8,val:0.2" in (caught.value.expected or "")
