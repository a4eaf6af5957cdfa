"""YOLO detection labels: a zip of labels/<stem>.txt with normalised centre boxes."""

from collections.abc import Iterable, Iterator

import orjson

from fairlabel.formats.base import ExportProject
from fairlabel.formats.images import ImageArchiveFormat, ImageRef, LabelIndex, Shape
from fairlabel.formats.registry import register
from fairlabel.formats.zipstream import ZipStream


@register
class YoloFormat(ImageArchiveFormat):
    name = "yolo"
    description = (
        "YOLO detection labels: labels/<image stem>.txt with 'class cx cy w h' normalised "
        "to [0, 1]; polygons as their bounding boxes; classes in data.yaml and classes.txt"
    )
    folder = "labels"
    suffix = ".txt"

    def label_file(
        self, project: ExportProject, image: ImageRef, shapes: list[Shape], labels: LabelIndex
    ) -> bytes:
        lines = (_line(image, shape, labels) for shape in shapes)
        return b"".join(line.encode() for line in lines if line)

    def extra_files(
        self, project: ExportProject, archive: ZipStream, labels: LabelIndex
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        names = [_one_line(label) for label, _ in labels.labels()]
        yield "classes.txt", ["".join(f"{name}\n" for name in names).encode()]
        yield "data.yaml", [_data_yaml(names).encode()]


def _line(image: ImageRef, shape: Shape, labels: LabelIndex) -> str:
    """One 'class cx cy w h' line; a box wholly outside its image has no line."""
    corners = shape.clipped(image)
    if corners is None or image.width is None or image.height is None:
        return ""
    x0, y0, x1, y1 = corners
    cx, cy = (x0 + x1) / 2 / image.width, (y0 + y1) / 2 / image.height
    w, h = (x1 - x0) / image.width, (y1 - y0) / image.height
    return f"{labels.index(shape.label)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n"


def _one_line(label: str) -> str:
    return " ".join(label.split())


def _data_yaml(names: list[str]) -> str:
    """Ultralytics layout; JSON strings are valid YAML scalars, so any label is quoted safely."""
    entries = "".join(f"  {i}: {orjson.dumps(name).decode()}\n" for i, name in enumerate(names))
    return (
        "# put the images in images/ beside labels/ (same stems), then train on this file\n"
        f"path: .\ntrain: images\nval: images\nnc: {len(names)}\nnames:\n{entries}"
    )
