"""YOLO: the zip reads back in Ultralytics' layout, boxes round-trip through normalisation,
polygons become segmentation lines, the split is seeded, unsized images are listed."""

import csv
import io
import zipfile
from typing import Any

import pytest
import yaml

from fairlabel.formats import CHUNK_SIZE, ExportOptions, get_format
from fairlabel.formats.split import Split, parse_split

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

BOXES_ONLY = make_project(BOXES)
WITH_OUTLINES = make_project(BOXES, OUTLINES)
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
SPLIT = Split((("train", 0.8), ("val", 0.2)), 0)


def _zip(project: Any = BOXES_ONLY, records: list[Any] = RECORDS) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(export(get_format("yolo"), project, records)))


@pytest.fixture(scope="module")
def archive() -> zipfile.ZipFile:
    return _zip()


def files(archive: zipfile.ZipFile) -> dict[str, dict[str, str]]:
    """files.csv by external id."""
    rows = csv.DictReader(io.StringIO(archive.read("files.csv").decode()))
    return {row["external_id"]: row for row in rows}


def _rows(archive: zipfile.ZipFile, external_id: str) -> list[list[str]]:
    label = files(archive)[external_id]["label_file"]
    return [line.split() for line in archive.read(label).decode().splitlines()]


def test_archive_is_sound_and_complete(archive: zipfile.ZipFile) -> None:
    assert archive.testzip() is None
    found = files(archive)
    assert sorted(archive.namelist()) == sorted(
        [
            "README.txt",
            "classes.txt",
            "data.yaml",
            "export.json",
            "files.csv",
            "train.txt",
            "val.txt",
            *(row["label_file"] for row in found.values()),
        ]
    )
    assert {key: (row["file_name"], row["item_id"]) for key, row in found.items()} == {
        "ext-1": ("scene_001.png", "1"),
        "ext-2": ("scene_002.png", "2"),
        "ext-6": ("scene_001_6.png", "6"),
    }
    for key, row in found.items():
        assert row["split"] == SPLIT.of(key)
        assert row["label_file"] == f"labels/{row['file_name'][:-4]}.txt"
        listed = archive.read(f"{row['split']}.txt").decode().splitlines()
        assert f"./images/{row['file_name']}" in listed


def test_classes_in_settings_order_and_data_yaml_has_distinct_splits(
    archive: zipfile.ZipFile,
) -> None:
    assert archive.read("classes.txt").decode() == "car\nperson\n"
    data = yaml.safe_load(archive.read("data.yaml"))
    assert data == {
        "train": "train.txt",
        "val": "val.txt",
        "nc": 2,
        "names": {0: "car", 1: "person"},
    }


def test_boxes_round_trip_within_a_millionth(archive: zipfile.ZipFile) -> None:
    rows = _rows(archive, "ext-1")
    for row, box in zip(rows[:2], BOXES_A[:2], strict=True):
        cls, cx, cy, w, h = int(row[0]), *map(float, row[1:])
        assert all(len(value.split(".")[1]) == 6 for value in row[1:])
        assert cls == ["car", "person"].index(box["label"])
        assert (cx - w / 2) == pytest.approx(box["x"] / 640, abs=1e-6)
        assert (cy - h / 2) == pytest.approx(box["y"] / 480, abs=1e-6)
        assert w == pytest.approx(box["width"] / 640, abs=1e-6)
        assert h == pytest.approx(box["height"] / 480, abs=1e-6)


def test_box_past_the_edge_is_clipped_into_the_image(archive: zipfile.ZipFile) -> None:
    assert _rows(archive, "ext-1")[2] == ["0", "0.984375", "0.020833", "0.031250", "0.041667"]


def test_image_without_objects_gets_an_empty_file(archive: zipfile.ZipFile) -> None:
    assert _rows(archive, "ext-2") == []


def test_unsized_and_missing_images_are_listed_in_the_readme(archive: zipfile.ZipFile) -> None:
    readme = archive.read("README.txt").decode()
    assert "images written: 3" in readme
    assert "images skipped: 3" in readme
    assert "no-size (item 3): image size unknown" in readme
    assert "ext-4 (item 4): image size unknown" in readme
    assert "ext-5 (item 5): no image" in readme
    assert "labels: per_annotation" in readme


def test_polygons_are_segmentation_lines_and_boxes_their_corners() -> None:
    rows = _rows(_zip(WITH_OUTLINES), "ext-1")
    car = BOXES_A[1]
    x0, y0, x1, y1 = car["x"] / 640, car["y"] / 480, 1.0, 1.0  # clipped at the image edge
    assert rows[1] == ["0", *(f"{v:.6f}" for v in (x0, y0, x1, y0, x1, y1, x0, y1))]
    assert rows[3] == [
        "2",
        *(f"{v:.6f}" for x, y in TRIANGLE["points"] for v in (x / 640, y / 480)),
    ]
    assert all((len(row) - 1) % 2 == 0 and len(row) >= 7 for row in rows)


def test_labels_met_only_in_answers_get_new_classes() -> None:
    stray = {"x": 1, "y": 1, "width": 2, "height": 2, "label": "bicycle"}
    record = make_record(1, {"image": image()}, make_annotation({"boxes": [stray]}))
    archive = _zip(BOXES_ONLY, [record])
    assert archive.read("classes.txt").decode().splitlines()[-1] == "bicycle"
    assert _rows(archive, "ext-1")[0][0] == "2"


def test_the_split_is_seeded_reproducible_and_disjoint() -> None:
    records = [make_record(i, {"image": image(name=f"img_{i}.png")}) for i in range(1, 401)]
    three = parse_split("train:0.7,val:0.2,test:0.1", 42)

    def splits(split: Split) -> dict[str, str]:
        project = make_project(BOXES, options=ExportOptions(split=split, seed=split.seed))
        return {key: row["split"] for key, row in files(_zip(project, records)).items()}

    first, again = splits(three), splits(three)
    assert first == again
    other_seed = splits(parse_split("train:0.7,val:0.2,test:0.1", 43))
    assert other_seed != first
    counts = {name: list(first.values()).count(name) for name in ("train", "val", "test")}
    assert sum(counts.values()) == 400
    assert counts["train"] == pytest.approx(280, abs=40)
    assert counts["val"] == pytest.approx(80, abs=30)
    assert counts["test"] == pytest.approx(40, abs=20)
    archive = _zip(make_project(BOXES, options=ExportOptions(split=three)), records)
    lists = {
        name: set(archive.read(f"{name}.txt").decode().splitlines())
        for name in ("train", "val", "test")
    }
    assert sum(len(images) for images in lists.values()) == 400
    assert not (lists["train"] & lists["val"] or lists["val"] & lists["test"])
    assert not lists["train"] & lists["test"]
    data = yaml.safe_load(archive.read("data.yaml"))
    assert [data[name] for name in ("train", "val", "test")] == ["train.txt", "val.txt", "test.txt"]


def test_an_image_keeps_its_split_when_others_are_added() -> None:
    few = [make_record(i, {"image": image(name=f"img_{i}.png")}) for i in range(1, 51)]
    more = few + [make_record(i, {"image": image(name=f"img_{i}.png")}) for i in range(51, 201)]
    before = {k: r["split"] for k, r in files(_zip(BOXES_ONLY, few)).items()}
    after = {k: r["split"] for k, r in files(_zip(BOXES_ONLY, more)).items()}
    assert before == {key: after[key] for key in before}


def test_large_archives_come_in_full_chunks() -> None:
    records = [make_record(i, {"image": image(name=f"img_{i}.png")}) for i in range(3000)]
    chunks = list(get_format("yolo").chunks(BOXES_ONLY, source_of(records)))
    assert len(chunks) > 1
    assert all(len(chunk) >= CHUNK_SIZE for chunk in chunks[:-1])
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(chunks))).namelist()) == 3007
