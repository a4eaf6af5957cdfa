"""What every export format shares: the plain data the database layer hands over, the base
class, and the streaming helpers that keep an export's memory flat whatever its size."""

import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

from fairlabel.errors import ValidationFailed

CHUNK_SIZE = 64 * 1024
IMAGE_QUESTION_TYPES = frozenset({"bbox", "polygon"})


@dataclass(frozen=True, slots=True)
class ExportQuestion:
    name: str
    type: str
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExportProject:
    id: int
    name: str
    organization: str
    questions: list[ExportQuestion]
    exported_at: datetime
    guideline_version: int


@dataclass(frozen=True, slots=True)
class ExportAnnotation:
    id: int
    worker: str
    """The worker's pseudonym: exports never carry a worker's identity."""
    version: int
    answers: dict[str, Any]
    guideline_version: int
    time_spent_ms: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExportRecord:
    item_id: int
    external_id: str
    fields: dict[str, Any]
    meta: dict[str, Any]
    status: str
    annotations: list[ExportAnnotation]
    """The latest version of each annotation of the item."""


RecordSource = Callable[[], Iterator[ExportRecord]]
"""Each call starts a fresh pass over the project, so a format may make two passes."""


class ExportFormat:
    """One export format: a name for the registry and a generator of the file's bytes."""

    name: ClassVar[str]
    media_type: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str]
    question_types: ClassVar[frozenset[str] | None] = None
    """The question types this format can export; None means every type."""
    passes: ClassVar[int] = 1
    """How many times chunks() calls the record source (for progress bars)."""

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        """Yields the file in pieces of about CHUNK_SIZE bytes, never holding all records."""
        raise NotImplementedError

    def check_project(self, project: ExportProject) -> None:
        """Raises ValidationFailed when the format cannot export the project: an export with
        nothing in it is a mistake to report before streaming starts, not an empty file."""
        if self.question_types is None or exportable_questions(self, project):
            return
        kinds = " or ".join(sorted(self.question_types))
        raise ValidationFailed(
            f"format {self.name!r} exports {kinds} questions and project {project.name!r} has none",
            field="format",
            value=self.name,
            expected=f"a project with a {kinds} question",
        )

    def filename(self, project: ExportProject) -> str:
        """A download name that is safe in a Content-Disposition header on every OS."""
        ascii_name = unicodedata.normalize("NFKD", project.name).encode("ascii", "ignore").decode()
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-.")
        return f"{stem or f'project-{project.id}'}-{self.name}{self.extension}"


def exportable_questions(fmt: ExportFormat, project: ExportProject) -> list[ExportQuestion]:
    if fmt.question_types is None:
        return list(project.questions)
    return [q for q in project.questions if q.type in fmt.question_types]


def rechunk(pieces: Iterable[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Joins many small writes into pieces of about `size` bytes: fewer, larger sends."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= size:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


class _DrainSink:
    """A write-only file for zipfile; with no tell() zipfile streams with data descriptors."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._buffer)

    def drain(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


class ZipStream:
    """Writes a zip archive entry by entry and hands back its bytes as they are produced.

    Memory stays flat but for zipfile's index of entries (about 550 bytes each), which it
    needs for the central directory written at the end."""

    def __init__(self, timestamp: datetime) -> None:
        self._sink = _DrainSink()
        self._zip = zipfile.ZipFile(self._sink, "w", zipfile.ZIP_DEFLATED)
        self._date_time = timestamp.timetuple()[:6]

    def contains(self, name: str) -> bool:
        try:
            self._zip.getinfo(name)
        except KeyError:
            return False
        return True

    def names(self, folder: str) -> Iterator[str]:
        """Entry names under `folder`, in the order written, without copying the index."""
        prefix = folder.rstrip("/") + "/"
        return (info.filename for info in self._zip.infolist() if info.filename.startswith(prefix))

    def write(self, name: str, pieces: Iterable[bytes]) -> Iterator[bytes]:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        with self._zip.open(info, "w") as entry:
            for piece in pieces:
                entry.write(piece)
                if len(self._sink) >= CHUNK_SIZE:
                    yield self._sink.drain()

    def close(self) -> Iterator[bytes]:
        """Writes the central directory, which can be large, and hands it back in chunks."""
        self._zip.close()
        data = self._sink.drain()
        for start in range(0, len(data), CHUNK_SIZE):
            yield data[start : start + CHUNK_SIZE]


@dataclass(frozen=True, slots=True)
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
    """Reads the image field as stored by the importer (a media dict, or a bare URL)."""
    if not has_image(record, field):
        return None
    value = record.fields[field]
    if isinstance(value, str):
        return ImageRef(_safe_name(PurePosixPath(urlsplit(value).path).name, record), None, None)
    name = value.get("name") or record.external_id + _EXTENSIONS.get(
        str(value.get("content_type", "")).lower(), ""
    )
    width, height = _dimension(value.get("width")), _dimension(value.get("height"))
    return ImageRef(_safe_name(str(name), record), width, height)


_DIRECTORY = re.compile(r".*[/\\]", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe_name(name: str, record: ExportRecord) -> str:
    """Keeps only the last path part: names become zip entries and lines of list files."""
    base = _CONTROL.sub("_", _DIRECTORY.sub("", name)).strip()
    return base if base not in {"", ".", ".."} else f"item-{record.item_id}"


def _dimension(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


@dataclass(frozen=True, slots=True)
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


def _box(raw: dict[str, Any]) -> Shape:
    return Shape(str(raw["label"]), raw["x"], raw["y"], raw["width"], raw["height"])


def _polygon(raw: dict[str, Any]) -> Shape | None:
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
        for question in questions:
            make = _box if question.type == "bbox" else _polygon
            for raw in annotation.answers.get(question.name) or []:
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
        questions, field = image_questions(project), image_field(project)
        labels, skipped = LabelIndex(questions), SkipLog()
        archive = ZipStream(project.exported_at)
        written = 0
        for record in source():
            image = image_ref(record, field)
            if image is None or not image.sized:
                skipped.add(record, "no image" if image is None else "image size unknown")
                continue
            stem = self._unique_stem(archive, image.stem, record)
            shapes = [shape for _, _, shape in record_shapes(questions, record)]
            body = self.label_file(project, image, shapes, labels)
            yield from archive.write(f"{self.folder}/{stem}{self.suffix}", [body])
            written += 1
        for name, pieces in self.extra_files(project, archive, labels):
            yield from archive.write(name, pieces)
        yield from archive.write("README.txt", [self._readme(project, written, skipped)])
        yield from archive.close()

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
