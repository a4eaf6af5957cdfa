"""COCO, YOLO and VOC exports loaded as their users load them (pycocotools, supervision's
readers), every value compared with what workers submitted on images imported as files:
two images named 0001.png in two folders, and a phone photo turned by its EXIF tag."""

import io
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.factories import Account, Factory

from .helpers import BOXES, REGIONS, Built, build_project, work

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # supervision says it runs without OpenCV
    import supervision as sv
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

PHONE = "phone/IMG_0001.jpg"
#: The size each image is shown at: the phone photo is stored 60 x 40, turned by EXIF.
SHOWN = {"cam1/0001.png": (64, 48), "cam2/0001.png": (80, 60), PHONE: (40, 60)}
ROAD_1 = {"points": [[0, 40], [30, 47], [0, 47]], "label": "road"}
ROAD_3 = {"points": [[2, 58], [38, 58], [20, 45]], "label": "road"}


def _answers(k: int) -> dict[str, dict[str, Any]]:
    """Worker k's answers: the same objects a little apart, a dog only the first worker saw
    on cam1 and a cat two of three saw on cam2. The phone photo's box reaches y = 55.5,
    inside the photo as shown (60 high), outside it as stored (40 high)."""
    cam1 = [{"x": 4.5 + k / 2, "y": 6.25, "width": 30, "height": 20.5, "label": "cat"}]
    cam2 = [{"x": 10, "y": 10 + k, "width": 40.25, "height": 30, "label": "dog"}]
    if k == 0:
        cam1.append({"x": 50, "y": 30, "width": 10, "height": 12, "label": "dog"})
    if k < 2:
        cam2.append({"x": 60, "y": 5, "width": 15, "height": 15, "label": "cat"})
    phone = [{"x": 5, "y": 30, "width": 20, "height": 25.5, "label": "cat"}]
    return {
        "cam1/0001.png": {"objects": cam1, "regions": [ROAD_1]},
        "cam2/0001.png": {"objects": cam2, "regions": []},
        PHONE: {"objects": phone, "regions": [ROAD_3]},
    }


def _png(width: int, height: int, color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def _phone_photo() -> bytes:
    """Stored 60 wide and 40 high, its left half white; shown turned a quarter clockwise,
    so 40 wide and 60 high with the white half on top."""
    image = Image.new("RGB", (60, 40), "black")
    image.paste((255, 255, 255), (0, 0, 30, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


FILES = {
    "cam1/0001.png": _png(64, 48, "red"),
    "cam2/0001.png": _png(80, 60, "green"),
    PHONE: _phone_photo(),
}


def _upload(owner: Account, project_id: int) -> None:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in FILES.items()]
    response = owner.post(f"/api/projects/{project_id}/media", files=parts)
    assert response.status_code == 201, response.text
    sizes = {i["external_id"]: i["fields"]["image"] for i in response.json()["items"]}
    assert {name: (s["width"], s["height"]) for name, s in sizes.items()} == SHOWN


def _labelled(factory: Factory, questions: list[dict[str, Any]], workers: int) -> Built:
    built = build_project(factory, questions, [], overlap=workers)
    _upload(built.owner, built.project_id)
    names = {q["name"] for q in questions}
    for k in range(workers):
        worker = factory.worker()
        built.workers.append(worker)
        answers = {
            image: {key: value for key, value in given.items() if key in names}
            for image, given in _answers(k).items()
        }
        assert {work(built, worker, answers) for _ in FILES} == set(FILES)
    return built


@pytest.fixture
def cameras(factory: Factory) -> Built:
    """Boxes and polygons, each image labelled by three workers."""
    return _labelled(factory, [BOXES, REGIONS], 3)


@pytest.fixture
def boxes_only(factory: Factory) -> Built:
    return _labelled(factory, [BOXES], 1)


def _unzipped(built: Built, tmp_path: Path, **params: Any) -> Path:
    response = built.owner.get(f"/api/projects/{built.project_id}/export", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    folder = tmp_path / "export"
    archive.extractall(folder)
    return folder


def _submitted(built: Built) -> dict[str, list[tuple[str, tuple[float, ...]]]]:
    """Every shape workers submitted, per image, as (label, (x0, y0, x1, y1)) sorted."""
    found: dict[str, list[tuple[str, tuple[float, ...]]]] = {}
    for image, submissions in built.submitted.items():
        shapes = [shape for s in submissions for value in s["answers"].values() for shape in value]
        found[image] = sorted(_corners(shape) for shape in shapes)
    return found


def _corners(shape: dict[str, Any]) -> tuple[str, tuple[float, ...]]:
    if "points" in shape:
        xs, ys = [p[0] for p in shape["points"]], [p[1] for p in shape["points"]]
        return shape["label"], (min(xs), min(ys), max(xs), max(ys))
    x, y, w, h = shape["x"], shape["y"], shape["width"], shape["height"]
    return shape["label"], (x, y, x + w, y + h)


def _read(dataset: sv.DetectionDataset, root: Path) -> dict[str, list[tuple[str, Any]]]:
    """supervision's detections per image path relative to `root`, as (label, xyxy) sorted."""
    return {
        Path(path).resolve().relative_to(root.resolve()).as_posix(): sorted(
            (dataset.classes[c], tuple(float(v) for v in box))
            for c, box in zip(detections.class_id, detections.xyxy, strict=True)
        )
        for path, detections in dataset.annotations.items()
    }


def _same(read: dict[str, list[Any]], expected: dict[str, list[Any]], tolerance: float) -> None:
    assert read.keys() == expected.keys()
    for name, shapes in expected.items():
        assert [label for label, _ in read[name]] == [label for label, _ in shapes], name
        for (_, got), (_, want) in zip(read[name], shapes, strict=True):
            assert got == pytest.approx(want, abs=tolerance), name


# --- per annotation -------------------------------------------------------------------------


def test_coco_with_media_loads_in_pycocotools_and_supervision(
    cameras: Built, tmp_path: Path
) -> None:
    root = _unzipped(cameras, tmp_path, format="coco", include_media="true")
    coco = COCO(str(root / "annotations.json"))
    images = {image["file_name"]: image for image in coco.loadImgs(coco.getImgIds())}
    assert {name: (i["width"], i["height"]) for name, i in images.items()} == SHOWN
    assert coco.dataset["info"]["labels"] == "per_annotation"
    expected = _submitted(cameras)
    for name, image in images.items():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        written = sorted(
            (coco.loadCats(a["category_id"])[0]["name"], _xyxy(a["bbox"])) for a in anns
        )
        assert written == expected[name]  # exact: the numbers as submitted
        workers = {s["worker"] for s in cameras.submitted[name]}
        assert {a["attributes"]["worker"] for a in anns} == workers and len(workers) == 3
    dataset = sv.DetectionDataset.from_coco(str(root / "images"), str(root / "annotations.json"))
    assert dataset.classes == ["cat", "dog", "road"]
    _same(_read(dataset, root / "images"), expected, 1e-4)
    for name, (width, height) in SHOWN.items():
        with Image.open(root / "images" / name) as shown:
            assert shown.size == (width, height)


def _xyxy(bbox: list[float]) -> tuple[float, ...]:
    x, y, w, h = bbox
    return (x, y, x + w, y + h)


def test_yolo_segmentation_loads_in_supervision_per_folder(cameras: Built, tmp_path: Path) -> None:
    root = _unzipped(cameras, tmp_path, format="yolo", include_media="true")
    read: dict[str, list[Any]] = {}
    for folder in sorted({p.parent for p in (root / "images").rglob("*.*")}):
        labels = root / "labels" / folder.relative_to(root / "images")
        dataset = sv.DetectionDataset.from_yolo(str(folder), str(labels), str(root / "data.yaml"))
        assert dataset.classes == ["cat", "dog", "road"]
        assert all(d.mask is not None for d in dataset.annotations.values())  # outlines
        read |= _read(dataset, root / "images")
    _same(read, _submitted(cameras), 64 * 1e-6 + 1e-4)


def test_yolo_boxes_load_in_supervision_without_segmentation(
    boxes_only: Built, tmp_path: Path
) -> None:
    root = _unzipped(boxes_only, tmp_path, format="yolo", include_media="true")
    read: dict[str, list[Any]] = {}
    for folder in sorted({p.parent for p in (root / "images").rglob("*.*")}):
        labels = root / "labels" / folder.relative_to(root / "images")
        dataset = sv.DetectionDataset.from_yolo(str(folder), str(labels), str(root / "data.yaml"))
        assert dataset.classes == ["cat", "dog"]
        assert all(d.mask is None for d in dataset.annotations.values())
        read |= _read(dataset, root / "images")
    _same(read, _submitted(boxes_only), 80 * 1e-6 + 1e-4)


def test_voc_loads_in_supervision_in_1_based_pixels(cameras: Built, tmp_path: Path) -> None:
    root = _unzipped(cameras, tmp_path, format="voc", include_media="true")
    images, annotations = root / "JPEGImages", root / "Annotations"
    read: dict[str, list[Any]] = {}
    for folder in sorted({p.parent for p in images.rglob("*.*")}):
        dataset = sv.DetectionDataset.from_pascal_voc(
            str(folder), str(annotations / folder.relative_to(images))
        )
        read |= _read(dataset, images)
    # VOC keeps whole pixels: each edge is the submitted one rounded
    expected = {
        name: sorted((label, tuple(float(round(v)) for v in box)) for label, box in shapes)
        for name, shapes in _submitted(cameras).items()
    }
    _same(read, expected, 0)
    labelmap = (root / "labelmap.txt").read_text().splitlines()
    assert [line.split(":")[0] for line in labelmap[1:]] == ["background", "cat", "dog", "road"]


def test_every_zip_maps_items_to_file_names(cameras: Built, tmp_path: Path) -> None:
    root = _unzipped(cameras, tmp_path, format="voc")
    lines = (root / "files.csv").read_text().splitlines()
    rows = [line.split(",") for line in lines[1:]]
    assert lines[0] == "item_id,external_id,split,file_name,label_file"
    assert {(external, name) for _, external, _, name, _ in rows} == {(n, n) for n in SHOWN}
    assert not (root / "JPEGImages").exists()
    assert "media: not included" in (root / "README.txt").read_text()


# --- aggregated -----------------------------------------------------------------------------


def _consensus(built: Built) -> dict[str, dict[str, dict[str, Any]]]:
    """The consensus per external id and question, as the API lists it."""
    items = built.owner.get(f"/api/projects/{built.project_id}/items").json()
    names = {item["id"]: item["external_id"] for item in items["items"]}
    page = built.owner.get(f"/api/projects/{built.project_id}/consensus").json()
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in page["consensus"]:
        found.setdefault(names[row["item_id"]], {})[row["question"]] = row
    return found


def test_aggregated_coco_has_one_object_each_with_its_score(cameras: Built, tmp_path: Path) -> None:
    response = cameras.owner.get(
        f"/api/projects/{cameras.project_id}/export",
        params={"format": "coco", "aggregated": "true"},
    )
    assert response.status_code == 200, response.text
    assert "-coco-aggregated.json" in response.headers["content-disposition"]
    path = tmp_path / "aggregated.json"
    path.write_bytes(response.content)
    truth = COCO(str(path))
    assert truth.dataset["info"]["labels"] == "aggregated"
    consensus = _consensus(cameras)
    images = {i["file_name"]: i for i in truth.loadImgs(truth.getImgIds())}
    expected_scores = {
        "cam1/0001.png": {"cat": 1.0, "road": 1.0},
        "cam2/0001.png": {"dog": 1.0, "cat": round(2 / 3, 6)},
        PHONE: {"cat": 1.0, "road": 1.0},
    }
    for name, image in images.items():
        anns = truth.loadAnns(truth.getAnnIds(imgIds=[image["id"]]))
        shapes = [s for row in consensus[name].values() for s in row["answer"]]
        assert sorted(_label_and(truth, a) for a in anns) == sorted(map(_corners, shapes))
        scores = {truth.loadCats(a["category_id"])[0]["name"]: a["score"] for a in anns}
        assert scores == expected_scores[name]
        for a in anns:
            row = consensus[name][a["attributes"]["question"]]
            assert a["attributes"]["annotators"] == row["annotators"] == 3
            assert a["attributes"]["confidence"] == row["confidence"]
    results = truth.loadRes(truth.dataset["annotations"])
    assert [a["score"] for a in results.loadAnns(results.getAnnIds())] == [
        a["score"] for a in truth.dataset["annotations"]
    ]
    evaluation = COCOeval(truth, results, "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


def _label_and(coco: COCO, ann: dict[str, Any]) -> tuple[str, tuple[float, ...]]:
    return coco.loadCats(ann["category_id"])[0]["name"], _xyxy(ann["bbox"])


def test_per_annotation_coco_repeats_each_object_per_worker(cameras: Built) -> None:
    def count(aggregated: bool) -> int:
        params = {"format": "coco", "aggregated": str(aggregated).lower()}
        body = cameras.owner.get(f"/api/projects/{cameras.project_id}/export", params=params)
        return len(body.json()["annotations"])

    assert (count(False), count(True)) == (18, 6)


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_aggregated_zips_have_the_consensus_objects(
    cameras: Built, tmp_path: Path, fmt: str
) -> None:
    root = _unzipped(cameras, tmp_path, format=fmt, aggregated="true", include_media="true")
    assert '"labels": "aggregated"' in (root / "export.json").read_text()
    consensus = _consensus(cameras)
    expected = {
        name: sorted(_corners(s) for row in rows.values() for s in row["answer"])
        for name, rows in consensus.items()
    }
    read: dict[str, list[Any]] = {}
    if fmt == "yolo":
        for folder in sorted({p.parent for p in (root / "images").rglob("*.*")}):
            labels = root / "labels" / folder.relative_to(root / "images")
            data = str(root / "data.yaml")
            dataset = sv.DetectionDataset.from_yolo(str(folder), str(labels), data)
            read |= _read(dataset, root / "images")
        _same(read, expected, 80 * 1e-6 + 1e-4)
        return
    images = root / "JPEGImages"
    for folder in sorted({p.parent for p in images.rglob("*.*")}):
        annotations = root / "Annotations" / folder.relative_to(images)
        read |= _read(sv.DetectionDataset.from_pascal_voc(str(folder), str(annotations)), images)
    rounded = {
        name: sorted((label, tuple(float(round(v)) for v in box)) for label, box in shapes)
        for name, shapes in expected.items()
    }
    _same(read, rounded, 0)
