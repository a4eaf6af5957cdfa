"""Pascal VOC: the XML parses back to the same boxes in 1-based integer pixels, the class
order is the project's, image sets follow the split, and odd names are escaped."""

import io
import zipfile
from xml.etree import ElementTree

import pytest

from fairlabel.formats import ExportOptions, get_format
from fairlabel.formats.split import parse_split

from .factories import BOXES, OUTLINES, export, image, make_annotation, make_project, make_record

PROJECT = make_project(BOXES, OUTLINES)
BOX = {"x": 10.5, "y": 20, "width": 100.25, "height": 50, "label": "car"}
ODD = {"x": 0, "y": 0, "width": 5, "height": 5, "label": "<truck & trailer>"}
POLYGON = {"points": [[10, 40], [50, 5], [90, 60]], "label": "road"}
RECORDS = [
    make_record(
        1,
        {"image": image(640, 480, "scene_001.png")},
        make_annotation({"boxes": [BOX, ODD], "outlines": [POLYGON]}),
    ),
    make_record(2, {"image": image(800, 600, 'rock & "roll" <1>.jpg')}),
    make_record(3, {"image": image(None, 480)}),
]


@pytest.fixture(scope="module")
def archive() -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(export(get_format("voc"), PROJECT, RECORDS)))


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read(name))


def _boxes(root: ElementTree.Element) -> list[tuple[str | None, list[float]]]:
    return [
        (
            obj.findtext("name"),
            [
                float(obj.findtext(f"bndbox/{tag}") or "nan")
                for tag in ("xmin", "ymin", "xmax", "ymax")
            ],
        )
        for obj in root.iter("object")
    ]


def test_layout(archive: zipfile.ZipFile) -> None:
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "Annotations/rock & _roll_ _1_.xml",
        "Annotations/scene_001.xml",
        "ImageSets/Main/default.txt",
        "README.txt",
        "export.json",
        "files.csv",
        "labelmap.txt",
    ]
    default = archive.read("ImageSets/Main/default.txt").decode()
    assert default == "scene_001\nrock & _roll_ _1_\n"


def test_labelmap_follows_the_settings_not_first_appearance(archive: zipfile.ZipFile) -> None:
    assert archive.read("labelmap.txt").decode() == (
        "# label:color_rgb:parts:actions\n"
        "background:0,0,0::\n"
        "car:128,0,0::\n"
        "person:0,128,0::\n"
        "road:128,128,0::\n"
        "<truck & trailer>:0,0,128::\n"
    )


def test_a_split_writes_one_image_set_each_and_trainval() -> None:
    records = [make_record(i, {"image": image(name=f"cam{i % 2}/f{i}.png")}) for i in range(60)]
    split = parse_split("train:0.5,val:0.3,test:0.2", 3)
    project = make_project(BOXES, options=ExportOptions(split=split))
    archive = zipfile.ZipFile(io.BytesIO(export(get_format("voc"), project, records)))
    sets = {
        name: archive.read(f"ImageSets/Main/{name}.txt").decode().split()
        for name in ("train", "val", "test", "trainval")
    }
    for record in records:
        stem = record.fields["image"]["name"][:-4]
        assert stem in sets[split.of(record.external_id)]
        assert f"Annotations/{stem}.xml" in archive.namelist()
    assert sorted(sets["trainval"]) == sorted(sets["train"] + sets["val"])
    assert sum(len(sets[name]) for name in ("train", "val", "test")) == 60
    assert "ImageSets/Main/default.txt" not in archive.namelist()


def test_header_fields(archive: zipfile.ZipFile) -> None:
    root = _xml(archive, "Annotations/scene_001.xml")
    assert root.tag == "annotation"
    assert root.findtext("folder") == "JPEGImages"
    assert root.findtext("filename") == "scene_001.png"
    size = [root.findtext(f"size/{tag}") for tag in ("width", "height", "depth")]
    assert size == ["640", "480", "3"]


def test_boxes_are_1_based_integer_pixels(archive: zipfile.ZipFile) -> None:
    root = _xml(archive, "Annotations/scene_001.xml")
    raw = [
        [obj.findtext(f"bndbox/{tag}") for tag in ("xmin", "ymin", "xmax", "ymax")]
        for obj in root.iter("object")
    ]
    # car: x 10.5 -> round 10 (to even) + 1; x + width 110.75 -> 111; y 20 -> 21, 70 -> 70
    assert raw[:2] == [["11", "21", "111", "70"], ["1", "1", "5", "5"]]
    obj = root.find("object")
    assert obj is not None
    assert [obj.findtext(tag) for tag in ("pose", "truncated", "difficult")] == [
        "Unspecified",
        "0",
        "0",
    ]


def test_polygon_has_its_bounds_and_its_vertices(archive: zipfile.ZipFile) -> None:
    assert _boxes(_xml(archive, "Annotations/scene_001.xml"))[2] == ("road", [11, 6, 90, 60])
    polygon = list(_xml(archive, "Annotations/scene_001.xml").iter("object"))[2].find("polygon")
    assert polygon is not None
    values = [float(child.text or "nan") for child in polygon]
    assert values == [v + 1 for point in POLYGON["points"] for v in point]


def test_file_names_are_escaped_in_xml_and_made_portable(archive: zipfile.ZipFile) -> None:
    raw = archive.read("Annotations/rock & _roll_ _1_.xml")
    assert b"rock &amp; _roll_ _1_.jpg" in raw
    root = ElementTree.fromstring(raw)
    assert root.findtext("filename") == "rock & _roll_ _1_.jpg"
    assert list(root.iter("object")) == []


def test_unsized_image_is_skipped_and_reported(archive: zipfile.ZipFile) -> None:
    readme = archive.read("README.txt").decode()
    assert "images skipped: 1" in readme
    assert "ext-3 (item 3): image size unknown" in readme
