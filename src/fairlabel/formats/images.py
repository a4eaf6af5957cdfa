"""What the image formats (COCO, YOLO, Pascal VOC) share: the item's image, its boxes and
polygons reduced to shapes, class indexes, and the zip layout of the label-file formats."""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

from fairlabel.errors import ValidationFailed
from fairlabel.formats.base import (
    ExportAnnotation,
    ExportFormat,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
    rechunk,
)
from fairlabel.formats.zipstream import ZipStream

IMAGE_QUESTION_TYPES = frozenset({"bbox", "polygon"})


@dataclass(slots=True)
class ImageRef:
    """What the image formats need to know about an item's image."""

    file_name: str
    width: int | None
    height: int | None

    @property
    def sized(self) -> bool:
        return self.width is not None and self.height is not None

    @property
    def stem(self) -> str:
        """The name of files derived from the image, extractable on Windows too."""
        return _NOT_ON_WINDOWS.sub("_", PurePosixPath(self.file_name).stem or self.file_name)


_NOT_ON_WINDOWS = re.compile(r'[<>:"|?*]')
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "image/avif": ".avif",
}


def has_image(record: ExportRecord, field: str) -> bool:
    """Whether image_ref finds an image, without building it (for a format's second pass)."""
    value = record.fields.get(field)
    return isinstance(value, dict) or (isinstance(value, str) and value != "")


def image_ref(record: ExportRecord, field: str) -> ImageRef | None:
    """Reads the image field as stored by the importer (a media dict, or a bare URL). Its
    file name is the media's name, else the URL's last part, else the external id."""
    value = record.fields.get(field)
    if isinstance(value, str) and value:
        return ImageRef(_safe_name(PurePosixPath(urlsplit(value).path).name, record), None, None)
    if not isinstance(value, dict):
        return None
    name = (
        value.get("name")
        or _url_name(value.get("src"))
        or record.external_id + _EXTENSIONS.get(str(value.get("content_type", "")).lower(), "")
    )
    width, height = _dimension(value.get("width")), _dimension(value.get("height"))
    return ImageRef(_safe_name(str(name), record), width, height)


def _url_name(url: Any) -> str:
    """The file name at the end of a URL's path (street.png in https://cdn/x/street.png?v=2);
    none for a path without an extension, such as a media hash."""
    if not isinstance(url, str):
        return ""
    name = PurePosixPath(urlsplit(url).path).name
    return name if PurePosixPath(name).suffix else ""


_DIRECTORY = re.compile(r".*[/\\]", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe_name(name: str, record: ExportRecord) -> str:
    """Keeps only the last path part: names become zip entries and lines of list files."""
    plain = name.isprintable() and "/" not in name and "\\" not in name
    if plain and name == name.strip() and name not in {"", ".", ".."}:
        return name  # the common case, without the two substitutions below
    base = _CONTROL.sub("_", _DIRECTORY.sub("", name)).strip()
    return base if base not in {"", ".", ".."} else f"item-{record.item_id}"


def _dimension(value: Any) -> int | None:
    """A positive int, or None; `type() is int` leaves out bools (and costs less)."""
    return value if type(value) is int and value > 0 else None


@dataclass(slots=True)
class Shape:
    """A box or a polygon reduced to what every image format needs: label and bounds."""

    label: str
    x: float
    y: float
    width: float
    height: float
    points: tuple[tuple[float, float], ...] = ()
    """Polygon vertices in pixels; empty for a box."""

    @property
    def area(self) -> float:
        if not self.points:
            return self.width * self.height
        pairs = zip(self.points, self.points[1:] + self.points[:1], strict=True)
        return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs)) / 2

    def clipped(self, image: ImageRef) -> tuple[float, float, float, float] | None:
        """Corners (x0, y0, x1, y1) inside the image; None when nothing of it is inside."""
        if image.width is None or image.height is None:
            return None
        x0, x1 = _clamp(self.x, image.width), _clamp(self.x + self.width, image.width)
        y0, y1 = _clamp(self.y, image.height), _clamp(self.y + self.height, image.height)
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _clamp(value: float, limit: int) -> float:
    return min(max(value, 0), limit)


def _box(raw: Mapping[str, Any]) -> Shape:
    return Shape(str(raw["label"]), raw["x"], raw["y"], raw["width"], raw["height"])


def _polygon(raw: Mapping[str, Any]) -> Shape | None:
    """Bounds from the vertices; fewer than three vertices is no polygon and is left out."""
    points = tuple((p[0], p[1]) for p in raw["points"])
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y = min(xs), min(ys)
    return Shape(str(raw["label"]), x, y, max(xs) - x, max(ys) - y, points)


def image_questions(project: ExportProject) -> list[ExportQuestion]:
    return [q for q in project.questions if q.type in IMAGE_QUESTION_TYPES]


def image_field(project: ExportProject) -> str:
    """The item field holding the image; one per project, so an image is one item."""
    fields = {q.settings.get("field", "image") for q in image_questions(project)}
    if len(fields) > 1:
        raise ValidationFailed(
            f"the bbox and polygon questions of project {project.name!r} point at different "
            f"image fields: {', '.join(sorted(fields))}",
            field="format",
            value=sorted(fields),
            expected="a project whose bbox and polygon questions all use one image field",
        )
    return fields.pop() if fields else "image"


def record_shapes(
    questions: list[ExportQuestion], record: ExportRecord
) -> Iterator[tuple[ExportAnnotation, ExportQuestion, Shape]]:
    """Every box and polygon of every annotation of the record, in answer order."""
    for annotation in record.annotations:
        answers = annotation.answers
        for question in questions:
            raws = answers.get(question.name)
            if not raws:
                continue
            make = _box if question.type == "bbox" else _polygon
            for raw in raws:
                shape = make(raw)
                if shape is not None:
                    yield annotation, question, shape


class LabelIndex:
    """Class indexes in settings order; a label found only in answers (removed from the
    settings since) gets the next index rather than being dropped."""

    def __init__(self, questions: list[ExportQuestion]) -> None:
        self._index: dict[str, int] = {}
        self._group: dict[str, str] = {}
        for question in questions:
            for label in question.settings.get("labels", []):
                self.index(str(label), question.name)

    def index(self, label: str, group: str = "") -> int:
        """0-based index of the label; `group` (its question) names it on first sight."""
        if label not in self._index:
            self._index[label] = len(self._index)
            self._group[label] = group
        return self._index[label]

    def labels(self) -> list[tuple[str, str]]:
        """(label, question name) pairs in index order."""
        return [(label, self._group[label]) for label in self._index]


class SkipLog:
    """Which items an export left out and why; keeps the first few only, to stay bounded."""

    limit = 1000

    def __init__(self) -> None:
        self.count = 0
        self._lines: list[str] = []

    def add(self, record: ExportRecord, reason: str) -> None:
        self.count += 1
        if len(self._lines) < self.limit:
            self._lines.append(f"{record.external_id} (item {record.item_id}): {reason}")

    def lines(self) -> list[str]:
        more = self.count - len(self._lines)
        return self._lines + ([f"... and {more} more"] if more else [])


class ImageFormat(ExportFormat):
    """Formats of boxes and polygons on one image per item."""

    question_types = IMAGE_QUESTION_TYPES

    def check_project(self, project: ExportProject) -> None:
        super().check_project(project)
        image_field(project)


class ImageArchiveFormat(ImageFormat):
    """Zip formats with one label file per image (YOLO, Pascal VOC)."""

    media_type = "application/zip"
    extension = ".zip"
    folder: ClassVar[str]
    suffix: ClassVar[str]

    def label_file(
        self, project: ExportProject, image: ImageRef, shapes: list[Shape], labels: LabelIndex
    ) -> bytes:
        """The contents of the label file of one image."""
        raise NotImplementedError

    def extra_files(
        self, project: ExportProject, archive: ZipStream, labels: LabelIndex
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Files written after every label file (class lists, image sets), as byte pieces."""
        raise NotImplementedError

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        return rechunk(self._pieces(project, source))

    def _pieces(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        questions, field = image_questions(project), image_field(project)
        labels, skipped = LabelIndex(questions), SkipLog()
        archive = ZipStream(project.exported_at)
        try:
            written = 0
            for record in source():
                image = image_ref(record, field)
                if image is None or not image.sized:
                    skipped.add(record, "no image" if image is None else "image size unknown")
                    continue
                stem = self._unique_stem(archive, image.stem, record)
                shapes = [shape for _, _, shape in record_shapes(questions, record)]
                body = self.label_file(project, image, shapes, labels)
                yield archive.add(f"{self.folder}/{stem}{self.suffix}", body)
                written += 1
            for name, pieces in self.extra_files(project, archive, labels):
                yield from archive.write(name, pieces)
            yield archive.add("README.txt", self._readme(project, written, skipped))
            yield from archive.close()
        finally:
            archive.discard()

    def _unique_stem(self, archive: ZipStream, stem: str, record: ExportRecord) -> str:
        """Two items may carry the same file name; the later one gets its item id appended."""
        while archive.contains(f"{self.folder}/{stem}{self.suffix}"):
            stem = f"{stem}_{record.item_id}"
        return stem

    def _readme(self, project: ExportProject, written: int, skipped: SkipLog) -> bytes:
        lines = [
            f"fairlabel export of project {project.name!r} (id {project.id}, "
            f"{project.organization}) in {self.name} format",
            f"exported at {project.exported_at.isoformat()}, "
            f"guideline version {project.guideline_version}",
            self.description,
            "",
            f"images written: {written}",
            f"images skipped: {skipped.count}",
            *skipped.lines(),
        ]
        return ("\n".join(lines) + "\n").encode()
