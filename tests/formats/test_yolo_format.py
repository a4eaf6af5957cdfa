"""YOLO: the zip reads back, boxes round-trip through normalisation, unsized images are listed."""

import io
import zipfile
from typing import Any

import pytest
import yaml

from fairlabel.formats import CHUNK_SIZE, get_format

from .factories import (
    BOXES,
    OUTLINES,
    export,
    image,
    make_annotation,
    make_project,
    make_record,
    source_of,
)

PROJECT = make_project(BOXES, OUTLINES)
BOXES_A: list[dict[str, Any]] = [
    {"x": 10.5, "y": 20.25, "width": 100.3, "height": 50.125, "label": "person"},
    {"x": 600, "y": 400, "width": 40, "height": 80, "label": "car"},
    {"x": 620, "y": -10, "width": 40, "height": 30, "label": "car"},
]
TRIANGLE = {"points": [[100, 50], [300, 50], [200, 250]], "label": "road"}
RECORDS = [
    make_record(
        1,
        {"image": image(640, 480, "scene_001.png")},
        make_annotation({"boxes": BOXES_A, "outlines": [TRIANGLE]}),
    ),
    make_record(2, {"image": image(640, 480, "scene_002.png")}),
    make_record(3, {"image": image(None, None, "unsized.png")}, external_id="no-size"),
    make_record(4, {"image": "https://cdn.example.com/a/remote.jpg?sig=1"}),
    make_record(5, {"text": "not an image"}),
    make_record(6, {"image": image(320, 240, "scene_001.png")}),
]


@pytest.fixture(scope="module")
def archive() -> zipfile.ZipFile:
    data = export(get_format("yolo"), PROJECT, RECORDS)
    return zipfile.ZipFile(io.BytesIO(data))


def _rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return [line.split() for line in archive.read(name).decode().splitlines()]


def test_archive_is_sound_and_complete(archive: zipfile.ZipFile) -> None:
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "README.txt",
        "classes.txt",
        "data.yaml",
        "labels/scene_001.txt",
        "labels/scene_001_6.txt",
        "labels/scene_002.txt",
    ]


def test_classes_in_settings_order(archive: zipfile.ZipFile) -> None:
    assert archive.read("classes.txt").decode() == "car\nperson\nroad\n"
    data = yaml.safe_load(archive.read("data.yaml"))
    assert data["names"] == {0: "car", 1: "person", 2: "road"}
    assert data["nc"] == 3


def test_boxes_round_trip_within_a_millionth(archive: zipfile.ZipFile) -> None:
    rows = _rows(archive, "labels/scene_001.txt")
    for row, box in zip(rows[:2], BOXES_A[:2], strict=True):
        cls, cx, cy, w, h = int(row[0]), *map(float, row[1:])
        assert all(len(value.split(".")[1]) == 6 for value in row[1:])
        assert cls == ["car", "person"].index(box["label"])
        assert (cx - w / 2) == pytest.approx(box["x"] / 640, abs=1e-6)
        assert (cy - h / 2) == pytest.approx(box["y"] / 480, abs=1e-6)
        assert w == pytest.approx(box["width"] / 640, abs=1e-6)
        assert h == pytest.approx(box["height"] / 480, abs=1e-6)


def test_box_past_the_edge_is_clipped_into_the_image(archive: zipfile.ZipFile) -> None:
    row = _rows(archive, "labels/scene_001.txt")[2]
    assert row == ["0", "0.984375", "0.020833", "0.031250", "0.041667"]


def test_polygon_is_exported_as_its_bounds(archive: zipfile.ZipFile) -> None:
    row = _rows(archive, "labels/scene_001.txt")[3]
    assert row == [
        "2",
        f"{200 / 640:.6f}",
        f"{150 / 480:.6f}",
        f"{200 / 640:.6f}",
        f"{200 / 480:.6f}",
    ]


def test_image_without_objects_gets_an_empty_file(archive: zipfile.ZipFile) -> None:
    assert archive.read("labels/scene_002.txt") == b""


def test_unsized_and_missing_images_are_listed_in_the_readme(archive: zipfile.ZipFile) -> None:
    readme = archive.read("README.txt").decode()
    assert "images written: 3" in readme
    assert "images skipped: 3" in readme
    assert "no-size (item 3): image size unknown" in readme
    assert "ext-4 (item 4): image size unknown" in readme
    assert "ext-5 (item 5): no image" in readme


def test_labels_met_only_in_answers_get_new_classes() -> None:
    stray = {"x": 1, "y": 1, "width": 2, "height": 2, "label": "bicycle"}
    record = make_record(1, {"image": image()}, make_annotation({"boxes": [stray]}))
    archive = zipfile.ZipFile(io.BytesIO(export(get_format("yolo"), PROJECT, [record])))
    assert archive.read("classes.txt").decode().splitlines()[-1] == "bicycle"
    assert archive.read("labels/scene.txt").decode().startswith("3 ")


def test_large_archives_come_in_full_chunks() -> None:
    records = [make_record(i, {"image": image(name=f"img_{i}.png")}) for i in range(3000)]
    chunks = list(get_format("yolo").chunks(PROJECT, source_of(records)))
    assert len(chunks) > 1
    assert all(len(chunk) >= CHUNK_SIZE for chunk in chunks[:-1])
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(chunks))).namelist()) == 3003
