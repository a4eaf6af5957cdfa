"""Exports through the real API, of work done through the real queue: every format reads back
with the tools its users have (pycocotools, zipfile, XML), and bad requests get clear 4xx."""

import csv
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from pycocotools.coco import COCO

from tests.factories import Factory

from .helpers import BOXES, ENTITIES, REGIONS, STREETS, TOPIC, Built, build_project, work

CAT = {"x": 10.5, "y": 20.25, "width": 100, "height": 50.125, "label": "cat"}
DOG = {"x": 300, "y": 200, "width": 40.5, "height": 80, "label": "dog"}
ROAD = {"points": [[0, 0], [40, 0], [40, 30]], "label": "road"}
FIRST_WORKER = {
    "street-1": {"objects": [CAT], "regions": [ROAD]},
    "street-2": {"objects": [], "regions": []},
}
SECOND_WORKER = {"street-1": {"objects": [DOG]}}


@pytest.fixture
def streets(factory: Factory) -> Built:
    """Three images, two labels wanted each: street-1 done by both workers, street-2 by one,
    street-3 by none."""
    built = build_project(factory, [BOXES, REGIONS], STREETS, overlap=2)
    first, second = factory.worker(), factory.worker()
    built.workers = [first, second]
    assert work(built, first, FIRST_WORKER) == "street-1"
    assert work(built, second, SECOND_WORKER) == "street-1"
    assert work(built, first, FIRST_WORKER) == "street-2"
    return built


def _coco(built: Built, tmp_path: Path) -> COCO:
    response = built.export("coco")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    path = tmp_path / "export.json"
    path.write_bytes(response.content)
    return COCO(str(path))


def test_coco_boxes_and_polygons_round_trip_through_pycocotools(
    streets: Built, tmp_path: Path
) -> None:
    coco = _coco(streets, tmp_path)
    images = {image["file_name"]: image for image in coco.loadImgs(coco.getImgIds())}
    assert {name: (i["width"], i["height"]) for name, i in images.items()} == {
        "streets/street-1.png": (640, 480),
        "streets/street-2.png": (800, 600),
        "streets/street-3.png": (320, 240),
    }
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["cat", "dog", "road"]
    found = coco.loadAnns(coco.getAnnIds(imgIds=[images["streets/street-1.png"]["id"]]))
    boxes = {coco.loadCats(a["category_id"])[0]["name"]: a for a in found}
    for box in (CAT, DOG):
        assert boxes[box["label"]]["bbox"] == [box["x"], box["y"], box["width"], box["height"]]
    assert boxes["road"]["segmentation"] == [[0, 0, 40, 0, 40, 30]]
    assert boxes["road"]["area"] == 600
    assert len(coco.getAnnIds()) == 3


def test_coco_names_the_worker_by_pseudonym_only(streets: Built, tmp_path: Path) -> None:
    coco = _coco(streets, tmp_path)
    workers = {a["attributes"]["worker"] for a in coco.loadAnns(coco.getAnnIds())}
    pseudonyms = {s["worker"] for answers in streets.submitted.values() for s in answers}
    assert workers == pseudonyms and len(workers) == 2
    assert not any("@" in worker for worker in workers)


def _zip(built: Built, fmt: str) -> zipfile.ZipFile:
    response = built.export(fmt)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    return archive


def _label_files(archive: zipfile.ZipFile) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(archive.read("files.csv").decode()))
    return {row["external_id"]: row["label_file"] for row in rows}


def test_yolo_zip_has_normalised_outlines_per_image(streets: Built) -> None:
    """The project has a polygon question, so every line is an outline, boxes as corners."""
    archive = _zip(streets, "yolo")
    assert archive.read("classes.txt") == b"cat\ndog\nroad\n"
    labels = _label_files(archive)
    lines = [line.split() for line in archive.read(labels["street-1"]).decode().splitlines()]
    corners = {
        "0": (10.5, 20.25, 110.5, 70.375),
        "1": (300, 200, 340.5, 280),
    }
    expected = {
        cls: [x0 / 640, y0 / 480, x1 / 640, y0 / 480, x1 / 640, y1 / 480, x0 / 640, y1 / 480]
        for cls, (x0, y0, x1, y1) in corners.items()
    }
    expected["2"] = [0, 0, 40 / 640, 0, 40 / 640, 30 / 480]
    assert sorted(line[0] for line in lines) == ["0", "1", "2"]
    for cls, *values in lines:
        assert [float(v) for v in values] == pytest.approx(expected[cls], abs=1e-6)
    assert archive.read(labels["street-2"]) == archive.read(labels["street-3"]) == b""


def test_voc_zip_has_one_xml_per_image(streets: Built) -> None:
    archive = _zip(streets, "voc")
    root = ElementTree.fromstring(archive.read("Annotations/streets/street-1.xml"))
    assert root.findtext("filename") == "streets/street-1.png"
    assert (root.findtext("size/width"), root.findtext("size/height")) == ("640", "480")
    boxes = {
        obj.findtext("name"): [
            obj.findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")
        ]
        for obj in root.iter("object")
    }
    assert boxes == {
        "cat": ["11", "21", "110", "70"],
        "dog": ["301", "201", "340", "280"],
        "road": ["1", "1", "40", "30"],
    }
    stems = archive.read("ImageSets/Main/default.txt").decode().split()
    assert stems == ["streets/street-1", "streets/street-2", "streets/street-3"]


def test_jsonl_has_every_item_every_annotation_and_status(streets: Built) -> None:
    response = streets.export("jsonl")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = {row["item"]["external_id"]: row for row in map(json.loads, response.iter_lines())}
    assert {key: row["status"] for key, row in lines.items()} == {
        "street-1": "done",
        "street-2": "in_progress",
        "street-3": "new",
    }
    assert lines["street-1"]["item"]["fields"] == {"image": STREETS[0]["image"]}
    for external_id, row in lines.items():
        submitted = streets.submitted.get(external_id, [])
        written = row["annotations"]
        assert [a["id"] for a in written] == [s["id"] for s in submitted]
        for annotation, original in zip(written, submitted, strict=True):
            assert annotation["answers"] == original["answers"]
            assert annotation["worker"] == original["worker"]
            assert annotation["time_spent_ms"] == 4_200
            created = datetime.fromisoformat(annotation["created_at"])
            assert created == datetime.fromisoformat(original["created_at"])
            assert created.utcoffset() is not None and not created.utcoffset()


def test_conll_tags_spans_bio(factory: Factory) -> None:
    texts = [{"external_id": "doc-1", "text": "Ada Lovelace visited Paris"}]
    built = build_project(factory, [ENTITIES], texts)
    worker = factory.worker()
    spans = [{"start": 0, "end": 12, "label": "PER"}, {"start": 21, "end": 26, "label": "LOC"}]
    work(built, worker, {"doc-1": {"entities": spans}})
    response = built.export("conll")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    pseudonym = built.submitted["doc-1"][0]["worker"]
    assert response.text == (
        f"-DOCSTART- id=doc-1 annotator={pseudonym}\n\n"
        "Ada B-PER\nLovelace I-PER\nvisited O\nParis B-LOC\n\n"
    )


def test_download_streams_through_a_real_server(streets: Built, live_server: str) -> None:
    url = f"{live_server}/api/projects/{streets.project_id}/export"
    with httpx.stream(
        "GET", url, params={"format": "coco"}, headers=streets.owner.headers
    ) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=") and "-coco.json" in disposition
        body = response.read()
    assert len(json.loads(body)["annotations"]) == 3


# --- bad requests: a clear 4xx, never a 500 or a broken file -------------------------------


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def test_unknown_format_names_the_field_and_the_choices(streets: Built) -> None:
    error = _error(streets.export("pascal"), 422)
    assert (error["field"], error["value"]) == ("format", "pascal")
    assert "coco" in error["expected"] and "jsonl" in error["expected"]


def test_coco_of_a_text_project_is_refused(factory: Factory) -> None:
    built = build_project(factory, [TOPIC], [{"external_id": "t", "text": "a match report"}])
    error = _error(built.export("coco"), 422)
    assert (error["field"], error["value"]) == ("format", "coco")
    assert "bbox" in error["expected"]


def test_another_organizations_project_is_not_found(streets: Built, factory: Factory) -> None:
    stranger, _ = factory.owner()
    error = _error(streets.export("jsonl", stranger), 404)
    assert error["field"] == "project_id"


def test_a_worker_cannot_export(streets: Built) -> None:
    _error(streets.export("jsonl", streets.workers[0]), 404)


def test_anonymous_is_unauthorized(streets: Built) -> None:
    response = streets.owner.client.get(f"/api/projects/{streets.project_id}/export")
    assert response.status_code == 401, response.text


# --- an empty project exports as a valid, empty file ---------------------------------------


@pytest.fixture
def empty(factory: Factory) -> Built:
    return build_project(factory, [BOXES, ENTITIES], [])


def test_empty_jsonl_and_conll_are_empty_files(empty: Built) -> None:
    for fmt in ("jsonl", "conll"):
        response = empty.export(fmt)
        assert (response.status_code, response.content) == (200, b"")


def test_empty_coco_is_valid(empty: Built, tmp_path: Path) -> None:
    coco = _coco(empty, tmp_path)
    assert (coco.getImgIds(), coco.getAnnIds()) == ([], [])
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["cat", "dog"]


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_empty_zips_are_valid(empty: Built, fmt: str) -> None:
    archive = _zip(empty, fmt)
    assert "images written: 0" in archive.read("README.txt").decode()
