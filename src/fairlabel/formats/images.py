"""What the image formats (COCO, YOLO, Pascal VOC) share: the item's image and its file name,
its boxes and polygons reduced to shapes, class indexes, and which labels an export holds
(every worker's, or the consensus). The zip side (layout, media, manifest) is in bundle.py."""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from fairlabel.errors import ValidationFailed
from fairlabel.formats.base import (
    ExportAnnotation,
    ExportFormat,
    ExportOptions,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
    refuse_option,
)
from fairlabel.formats.split import EXAMPLE, Split

IMAGE_QUESTION_TYPES = frozenset({"bbox", "polygon"})


@dataclass(slots=True)
class ImageRef:
    """What the image formats need to know about an item's image."""

    file_name: str
    """The image's relative path, made portable: the name of every file derived from it."""
    width: int | None
    height: int | None
    media: str | None = None
    """The hash of the stored file, for an image imported as a file."""

    @property
    def sized(self) -> bool:
        return self.width is not None and self.height is not None

    @property
    def stem(self) -> str:
        """The relative path without its extension: label files are named after it."""
        return stem_of(self.file_name)


def stem_of(name: str) -> str:
    slash = name.rfind("/") + 1
    dot = name.rfind(".")
    return name[:dot] if dot > slash else name


_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "image/avif": ".avif",
}


def has_image(record: Any, field: str) -> bool:
    """Whether image_ref finds an image, without building it (for a format's second pass)."""
    value = record.fields.get(field)
    return isinstance(value, dict) or (isinstance(value, str) and value != "")


def image_ref(record: Any, field: str) -> ImageRef | None:
    """Reads the image field as stored by the importer (a media dict, or a bare URL). Its file
    name is the media's relative path (cam1/0001.png), else the URL's path, else the external
    id with the content type's extension."""
    value = record.fields.get(field)
    if isinstance(value, str) and value:
        name = _url_path(value) or record.external_id
        return ImageRef(portable(name, record.item_id), None, None)
    if not isinstance(value, dict):
        return None
    name = (
        value.get("name")
        or _url_path(value.get("src"), needs_extension=True)
        or record.external_id + _EXTENSIONS.get(str(value.get("content_type", "")).lower(), "")
    )
    name = str(name)
    if not _is_portable(name):
        name = portable(name, record.item_id)
    width, height = _dimension(value.get("width")), _dimension(value.get("height"))
    media = value.get("sha256")
    return ImageRef(name, width, height, media if type(media) is str else None)


def _url_path(url: Any, *, needs_extension: bool = False) -> str:
    """The path of a URL (x/street.png in https://cdn/x/street.png?v=2). With
    needs_extension, none for a path whose last part has no extension, such as a media hash."""
    if not isinstance(url, str):
        return ""
    path = unquote(urlsplit(url).path)
    if needs_extension and not PurePosixPath(path).suffix:
        return ""
    return path


_NAME_CHAR = r'[^\x00-\x1f\x7f<>:"|?*\\/]'
_EDGE_CHAR = r'[^\x00-\x20\x7f<>:"|?*\\/]'
_PART = rf"(?!\.{{1,2}}(?:/|\Z)){_EDGE_CHAR}(?:{_NAME_CHAR}*{_EDGE_CHAR})?"
_PORTABLE = re.compile(rf"{_PART}(?:/{_PART})*")
_NOT_PORTABLE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_is_portable = _PORTABLE.fullmatch


def portable(name: str, item_id: int) -> str:
    """A relative path that unpacks inside its folder on every OS: '/' separated, without
    empty, '.' or '..' parts, control characters or characters Windows refuses in names."""
    if _is_portable(name):
        return name  # the common case, without the rebuilding below
    parts = (_NOT_PORTABLE.sub("_", part).strip() for part in name.replace("\\", "/").split("/"))
    kept = [part for part in parts if part not in {"", ".", ".."}]
    return "/".join(kept) or f"item-{item_id}"


def _dimension(value: Any) -> int | None:
    """A positive int, or None; `type() is int` leaves out bools (and costs less)."""
    return value if type(value) is int and value > 0 else None


@dataclass(slots=True)
class Shape:
    """A box or a polygon reduced to what every image format needs: label and bounds, and
    where it came from (the question, a worker's annotation or the consensus)."""

    label: str
    x: float
    y: float
    width: float
    height: float
    points: tuple[tuple[float, float], ...] = ()
    """Polygon vertices in pixels; empty for a box."""
    question: str = ""
    source: ExportAnnotation | Mapping[str, Any] | None = None
    """The annotation that drew it, or the consensus figures behind it."""
    score: float | None = None
    """For a consensus shape: the share of annotators who drew it."""

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


ShapeSource = ExportAnnotation | Mapping[str, Any] | None


ShapeMaker = Callable[[Mapping[str, Any], str, ShapeSource, float | None], Shape | None]


def shape_maker(kind: str) -> ShapeMaker:
    """How a bbox or a polygon question's answer entries become Shapes (chosen once per
    question: every exported annotation goes through it)."""
    return _box if kind == "bbox" else _polygon


def _box(raw: Mapping[str, Any], question: str, source: ShapeSource, score: float | None) -> Shape:
    x, y, width, height = raw["x"], raw["y"], raw["width"], raw["height"]
    return Shape(str(raw["label"]), x, y, width, height, (), question, source, score)


def _polygon(
    raw: Mapping[str, Any], question: str, source: ShapeSource, score: float | None
) -> Shape | None:
    """Bounds from the vertices; fewer than three vertices is no polygon and is left out."""
    points = tuple((p[0], p[1]) for p in raw["points"])
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y = min(xs), min(ys)
    label = str(raw["label"])
    return Shape(label, x, y, max(xs) - x, max(ys) - y, points, question, source, score)


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


Objects = Callable[[Any], Iterable[Shape]]
"""The shapes to export for one record."""


def annotation_objects(questions: list[ExportQuestion]) -> Objects:
    """Every box and polygon of every annotation of the record, in answer order."""

    makers = [(question.name, shape_maker(question.type)) for question in questions]

    def objects(record: ExportRecord) -> Iterator[Shape]:
        for annotation in record.annotations:
            answers = annotation.answers
            for name, make in makers:
                for raw in answers.get(name) or ():
                    shape = make(raw, name, annotation, None)
                    if shape is not None:
                        yield shape

    return objects


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which labels an export holds; every export says it (COCO's info, the zips' README)."""

    kind: str
    summary: str


PER_ANNOTATION = Provenance(
    "per_annotation",
    "every worker's boxes and polygons, one object per worker who drew it (attributes name "
    "the annotation and the worker's pseudonym); the aggregated export has one per object",
)
AGGREGATED = Provenance(
    "aggregated",
    "the consensus: one box or polygon per object (weighted box fusion, polygon medoid), "
    "its score the share of annotators who drew it (same label, IoU >= 0.5)",
)


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


@dataclass(slots=True)
class SkipLog:
    """Which items an export left out and why; keeps the first few only, to stay bounded."""

    limit = 1000
    count: int = 0
    _lines: list[str] = field(default_factory=list)

    def add(self, record: Any, reason: str) -> None:
        self.count += 1
        if len(self._lines) < self.limit:
            self._lines.append(f"{record.external_id} (item {record.item_id}): {reason}")

    def lines(self) -> list[str]:
        more = self.count - len(self._lines)
        return self._lines + ([f"... and {more} more"] if more else [])


NOT_STORED = "image not stored here (a URL only), so not in a zip with media"


class ImageFormat(ExportFormat):
    """Formats of boxes and polygons on one image per item. chunks() writes every worker's
    shapes; image_chunks() is the same file from any source of shapes (the consensus)."""

    question_types = IMAGE_QUESTION_TYPES
    takes_split = False
    default_split: tuple[tuple[str, float], ...] | None = None

    def check_project(self, project: ExportProject) -> None:
        super().check_project(project)
        image_field(project)

    def check_options(self, options: ExportOptions) -> None:
        if options.split is not None and not self.takes_split:
            refuse_option(self.name, "split", options.split, "yolo or voc")
        if options.seed is not None and options.split is None and self.default_split is None:
            raise ValidationFailed(
                f"a seed shuffles a split, and this {self.name} export has none",
                field="seed",
                value=options.seed,
                expected=f"a split with it (split={EXAMPLE}), or no seed",
            )

    def split_of(self, options: ExportOptions) -> Split | None:
        if options.split is not None or self.default_split is None:
            return options.split
        return Split(self.default_split, options.seed or 0)

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        objects = annotation_objects(image_questions(project))
        return self.image_chunks(project, source, objects, PER_ANNOTATION)

    def image_chunks(
        self,
        project: ExportProject,
        source: Callable[..., Iterator[Any]],
        objects: Objects,
        provenance: Provenance,
    ) -> Iterator[bytes]:
        """`source(with_annotations=...)` yields records with item_id, external_id and fields;
        `objects(record)` their shapes (read only from a pass with annotations)."""
        raise NotImplementedError
