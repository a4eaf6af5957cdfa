"""Pascal VOC: the XML parses back to the same boxes, and odd names are escaped."""

import io
import zipfile
from xml.etree import ElementTree

import pytest

from fairlabel.formats import get_format

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
    ]
    default = archive.read("ImageSets/Main/default.txt").decode()
    assert default == "scene_001\nrock & _roll_ _1_\n"


def test_header_fields(archive: zipfile.ZipFile) -> None:
    root = _xml(archive, "Annotations/scene_001.xml")
    assert root.tag == "annotation"
    assert root.findtext("folder") == "JPEGImages"
    assert root.findtext("filename") == "scene_001.png"
    size = [root.findtext(f"size/{tag}") for tag in ("width", "height", "depth")]
    assert size == ["640", "480", "3"]


def test_boxes_parse_back_exactly(archive: zipfile.ZipFile) -> None:
    root = _xml(archive, "Annotations/scene_001.xml")
    assert _boxes(root)[:2] == [
        ("car", [10.5, 20, 110.75, 70]),
        ("<truck & trailer>", [0, 0, 5, 5]),
    ]
    obj = root.find("object")
    assert obj is not None
    assert [obj.findtext(tag) for tag in ("pose", "truncated", "difficult")] == [
        "Unspecified",
        "0",
        "0",
    ]


def test_polygon_becomes_its_bounding_box(archive: zipfile.ZipFile) -> None:
    assert _boxes(_xml(archive, "Annotations/scene_001.xml"))[2] == ("road", [10, 5, 90, 60])


def test_file_names_are_escaped_in_xml_and_made_portable_in_entries(
    archive: zipfile.ZipFile,
) -> None:
    raw = archive.read("Annotations/rock & _roll_ _1_.xml")
    assert b'rock &amp; "roll" &lt;1&gt;.jpg' in raw
    root = ElementTree.fromstring(raw)
    assert root.findtext("filename") == 'rock & "roll" <1>.jpg'
    assert list(root.iter("object")) == []


def test_unsized_image_is_skipped_and_reported(archive: zipfile.ZipFile) -> None:
    readme = archive.read("README.txt").decode()
    assert "images skipped: 1" in readme
    assert "ext-3 (item 3): image size unknown" in readme
