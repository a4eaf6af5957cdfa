"""YOLO (Ultralytics layout): a zip of labels/<image path>.txt with normalised boxes, or
segmentation outlines when the project has polygons, one image list per split (as
Ultralytics' autosplit writes them) and data.yaml to train on.

Splits are lists rather than folders so that the images keep the layout they were imported
in: a client who has the images drops their folder into images/ as it is."""

from collections.abc import Iterable, Iterator

import orjson

from fairlabel.formats.base import ExportProject
from fairlabel.formats.bundle import ImageArchiveFormat, Manifest, media_line
from fairlabel.formats.images import ImageRef, LabelIndex, Shape, image_questions, stem_of
from fairlabel.formats.registry import register
from fairlabel.formats.split import Split


@register
class YoloFormat(ImageArchiveFormat):
    name = "yolo"
    description = (
        "YOLO (Ultralytics): labels/<image path>.txt with 'class cx cy w h' normalised "
        "to [0, 1], or 'class x1 y1 x2 y2 ...' segmentation lines when the project has a "
        "polygon question (boxes then as their four corners); a seeded train/val(/test) split "
        "as train.txt, val.txt (and test.txt) image lists (train:0.8,val:0.2 unless asked "
        "otherwise); classes in data.yaml and classes.txt"
    )
    default_split = (("train", 0.8), ("val", 0.2))

    def label_path(self, split: str, file_name: str) -> str:
        """Where Ultralytics looks: the image's path with its last images/ made labels/."""
        before, _, after = f"/images/{stem_of(file_name)}".rpartition("/images/")
        return f"{before}/labels/{after}.txt".lstrip("/")

    def image_path(self, split: str, file_name: str) -> str:
        return f"images/{file_name}"

    def label_file(
        self, project: ExportProject, image: ImageRef, shapes: list[Shape], labels: LabelIndex
    ) -> bytes:
        outlined = any(q.type == "polygon" for q in image_questions(project))
        line = _outline_line if outlined else _box_line
        return b"".join(line(image, shape, labels).encode() for shape in shapes)

    def extra_files(
        self, project: ExportProject, manifest: Manifest, labels: LabelIndex, split: Split | None
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        names = [_one_line(label) for label, _ in labels.labels()]
        yield "classes.txt", ["".join(f"{name}\n" for name in names).encode()]
        splits = split.names if split else []
        yield "data.yaml", [_data_yaml(names, splits).encode()]
        for name in splits:
            yield f"{name}.txt", _image_list(manifest, name)

    def layout(self, project: ExportProject, split: Split | None) -> list[str]:
        return [
            "labels/<file name without extension>.txt beside images/, as Ultralytics expects; "
            "train.txt, val.txt (test.txt) list each split's images; train on data.yaml (its "
            "folder is the dataset root)",
            media_line(project, "images/"),
        ]


def _box_line(image: ImageRef, shape: Shape, labels: LabelIndex) -> str:
    """One 'class cx cy w h' line; a box wholly outside its image has no line."""
    corners = shape.clipped(image)
    if corners is None or image.width is None or image.height is None:
        return ""
    x0, y0, x1, y1 = corners
    cx, cy = (x0 + x1) / 2 / image.width, (y0 + y1) / 2 / image.height
    w, h = (x1 - x0) / image.width, (y1 - y0) / image.height
    return f"{labels.index(shape.label)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n"


def _outline_line(image: ImageRef, shape: Shape, labels: LabelIndex) -> str:
    """One 'class x1 y1 x2 y2 ...' segmentation line, every vertex normalised into [0, 1]; a
    box is its four corners (clipped), so that every line of the file is an outline."""
    corners = shape.clipped(image)
    if corners is None or image.width is None or image.height is None:
        return ""
    if shape.points:
        points = shape.points
    else:
        x0, y0, x1, y1 = corners
        points = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    width, height = image.width, image.height
    values = " ".join(f"{_unit(x / width):.6f} {_unit(y / height):.6f}" for x, y in points)
    return f"{labels.index(shape.label)} {values}\n"


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _image_list(manifest: Manifest, split: str) -> Iterator[bytes]:
    """One split's images, './'-relative to the list's folder, as Ultralytics reads them."""
    for row in manifest.rows():
        if row.split == split:
            yield f"./images/{row.file_name}\n".encode()


def _one_line(label: str) -> str:
    return " ".join(label.split())


def _data_yaml(names: list[str], splits: list[str]) -> str:
    """Ultralytics layout without a `path:` key, so that the root is the file's own folder;
    JSON strings are valid YAML scalars, so any label is quoted safely."""
    entries = "".join(f"  {i}: {orjson.dumps(name).decode()}\n" for i, name in enumerate(names))
    folders = "".join(f"{split}: {split}.txt\n" for split in splits)
    return (
        "# the dataset root is this file's folder: train with data=<this file>\n"
        f"{folders}nc: {len(names)}\nnames:\n{entries}"
    )
