"""COCO: pycocotools reads the file back exactly, and memory stays flat however many items."""

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pycocotools.coco import COCO

from fairlabel.formats import ExportRecord, get_format
from fairlabel.formats.images import PER_ANNOTATION

from .factories import (
    BOXES,
    EXPORTED_AT,
    OUTLINES,
    TOPIC,
    export,
    generated,
    image,
    make_annotation,
    make_project,
    make_record,
    source_of,
)

PROJECT = make_project(BOXES, OUTLINES, TOPIC)
AMBER_BOXES = [
    {"x": 10.5, "y": 20.25, "width": 100, "height": 50.125, "label": "car"},
    {"x": 0, "y": 0, "width": 640, "height": 480, "label": "person"},
]
TRIANGLE = {"points": [[0, 0], [40, 0], [40, 30]], "label": "road"}
BIRCH_BOX = {"x": 1.1, "y": 2.2, "width": 3.3, "height": 4.4, "label": "truck"}
RECORDS = [
    make_record(
        1,
        {"image": image(640, 480, "scene_001.png")},
        make_annotation({"boxes": AMBER_BOXES, "outlines": [TRIANGLE], "topic": "news"}, id=11),
        make_annotation({"boxes": [BIRCH_BOX]}, id=12, worker="w-birch"),
    ),
    make_record(2, {"image": image(800, 600, name=None)}, external_id="cam/frame-2"),
    make_record(3, {"text": "no image here"}, make_annotation({"boxes": [BIRCH_BOX]})),
]


@pytest.fixture(scope="module")
def coco(tmp_path_factory: pytest.TempPathFactory) -> COCO:
    path: Path = tmp_path_factory.mktemp("coco") / "export.json"
    path.write_bytes(export(get_format("coco"), PROJECT, RECORDS))
    return COCO(str(path))


def test_images_keep_item_ids_names_and_sizes(coco: COCO) -> None:
    assert sorted(coco.getImgIds()) == [1, 2]
    first, second = coco.loadImgs([1, 2])
    assert (first["file_name"], first["width"], first["height"]) == ("scene_001.png", 640, 480)
    assert (second["file_name"], second["width"], second["height"]) == ("cam/frame-2.png", 800, 600)
    assert second["external_id"] == "cam/frame-2"


def test_categories_follow_settings_then_unknown_labels(coco: COCO) -> None:
    cats = coco.loadCats(coco.getCatIds())
    assert [(c["id"], c["name"], c["supercategory"]) for c in cats] == [
        (1, "car", "boxes"),
        (2, "person", "boxes"),
        (3, "road", "outlines"),
        (4, "truck", "boxes"),
    ]


def test_every_box_round_trips_exactly(coco: COCO) -> None:
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[1], catIds=[1, 2, 4]))
    written = [(a["bbox"], coco.loadCats(a["category_id"])[0]["name"]) for a in anns]
    expected = [([b["x"], b["y"], b["width"], b["height"]], b["label"]) for b in AMBER_BOXES]
    assert written == [*expected, ([1.1, 2.2, 3.3, 4.4], "truck")]
    assert all(a["area"] == a["bbox"][2] * a["bbox"][3] for a in anns)


def test_polygon_has_shoelace_area_and_its_bounds(coco: COCO) -> None:
    (polygon,) = coco.loadAnns(coco.getAnnIds(catIds=[3]))
    assert polygon["segmentation"] == [[0, 0, 40, 0, 40, 30]]
    assert polygon["area"] == 600
    assert polygon["bbox"] == [0, 0, 40, 30]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, under NumPy 2
def test_pycocotools_rasterises_boxes_and_polygons(coco: COCO) -> None:
    box, _, polygon, _ = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    assert coco.annToMask(box).sum() == pytest.approx(100 * 50, rel=0.05)
    assert coco.annToMask(polygon).sum() == pytest.approx(600, rel=0.1)


def test_annotations_are_numbered_from_one_and_attributed(coco: COCO) -> None:
    anns = coco.loadAnns(coco.getAnnIds())
    assert [a["id"] for a in anns] == [1, 2, 3, 4]
    assert all(a["image_id"] == 1 and a["iscrowd"] == 0 for a in anns)
    assert [a["attributes"] for a in anns] == [
        {"annotation_id": 11, "worker": "w-amber", "question": "boxes"},
        {"annotation_id": 11, "worker": "w-amber", "question": "boxes"},
        {"annotation_id": 11, "worker": "w-amber", "question": "outlines"},
        {"annotation_id": 12, "worker": "w-birch", "question": "boxes"},
    ]


def test_info_and_licenses(coco: COCO) -> None:
    assert coco.dataset["info"] == {
        "description": f"Street scenes: per_annotation labels, {PER_ANNOTATION.summary}",
        "labels": "per_annotation",
        "version": "3",
        "year": 2024,
        "contributor": "Acme Vision",
        "date_created": EXPORTED_AT.isoformat(),
        "url": "",
    }
    assert coco.dataset["licenses"] == [{"id": 1, "name": "Unspecified", "url": ""}]


def test_an_empty_project_is_still_valid_json() -> None:
    data = json.loads(export(get_format("coco"), PROJECT, []))
    assert (data["images"], data["annotations"]) == ([], [])
    assert [c["name"] for c in data["categories"]] == ["car", "person", "road"]


def _many(count: int) -> Iterator[ExportRecord]:
    """Fresh records each pass, as a database cursor gives, sharing their small parts."""
    box = {"x": 1, "y": 2, "width": 30, "height": 40, "label": "car"}
    fields, annotation = {"image": image()}, make_annotation({"boxes": [box]})
    for item_id in range(1, count + 1):
        yield make_record(item_id, fields, annotation)


def _peak(count: int) -> int:
    """Peak traced memory of a whole export of `count` items, its bytes thrown away."""
    tracemalloc.start()
    try:
        for _chunk in get_format("coco").chunks(PROJECT, generated(lambda: _many(count))):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_items() -> None:
    """Beyond where the peak falls among the transient buffers (a chunk, a batch of encoded
    values), four times the items cost no more memory: nothing is kept per item."""
    _peak(10)  # first-use caches are no growth
    growth = _peak(20_000) - _peak(5_000)
    assert growth < 100 * 1024, f"{growth / 15_000:.0f} bytes more per item"


def test_file_names_come_from_the_name_then_the_url_then_the_external_id() -> None:
    def image_named(**value: object) -> dict[str, object]:
        return {"image": {"width": 10, "height": 10, **value}}

    records = [
        make_record(1, image_named(name="kept.jpg", src="https://cdn.example.org/x/other.png")),
        make_record(2, image_named(src="https://cdn.example.org/x/street-9.png?v=2#top")),
        make_record(3, image_named(src="/api/projects/7/media/ab12", content_type="image/jpeg")),
        make_record(4, {"image": "https://cdn.example.org/y/bare.webp"}),
    ]
    data = json.loads(export(get_format("coco"), PROJECT, records))
    names = [image["file_name"] for image in data["images"]]
    assert names == ["kept.jpg", "x/street-9.png", "ext-3.jpg", "y/bare.webp"]


def test_images_in_two_folders_keep_their_relative_paths() -> None:
    records = [
        make_record(1, {"image": image(name="cam1/0001.png")}),
        make_record(2, {"image": image(name="cam2/0001.png")}),
        make_record(3, {"image": image(name="..\\up/./a//b.png")}),
        make_record(4, {"image": image(name='odd:"name"?.png')}),
    ]
    data = json.loads(export(get_format("coco"), PROJECT, records))
    names = [image["file_name"] for image in data["images"]]
    assert names == ["cam1/0001.png", "cam2/0001.png", "up/a/b.png", "odd__name__.png"]


def test_the_images_pass_asks_for_items_only() -> None:
    asked: list[bool] = []
    source = source_of(RECORDS)

    def spy(*, with_annotations: bool = True) -> Iterator[ExportRecord]:
        asked.append(with_annotations)
        return source(with_annotations=with_annotations)

    data = json.loads(b"".join(get_format("coco").chunks(PROJECT, spy)))
    assert asked == [False, True]
    assert len(data["annotations"]) == 4
