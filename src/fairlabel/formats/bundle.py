"""The zips of the image formats: which images went in under which unique name and split
(the manifest, written as files.csv), the media files themselves when asked for, and the
README.txt and export.json that say what the zip holds."""

import csv
import io
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from fairlabel.formats.base import ExportOptions, ExportProject, rechunk
from fairlabel.formats.images import (
    NOT_STORED,
    ImageFormat,
    ImageRef,
    LabelIndex,
    Objects,
    Provenance,
    Shape,
    SkipLog,
    image_field,
    image_questions,
    image_ref,
    stem_of,
)
from fairlabel.formats.split import Split
from fairlabel.formats.zipstream import INDEX_CACHE_KIB, ZipStream

_EXIF_ORIENTATION = 0x0112
NAME_CLASHES = (
    "file names: each image keeps its relative path; one whose name is taken already (or "
    "differs only in case or extension) has its item id appended, as files.csv says"
)


class ManifestRow(NamedTuple):
    item_id: int
    external_id: str
    file_name: str
    split: str
    media: str | None
    """The stored file's path, for an export with media."""


class Manifest:
    """The images an export wrote, in order. File names are made unique here (by their stem
    where label files are named after it, ignoring case so that the zip unpacks on macOS and
    Windows too), and kept in a private temporary SQLite file like the zip's own index, so
    memory stays flat: a later image with a taken name gets its item id appended."""

    def __init__(self, *, by_stem: bool) -> None:
        self._by_stem = by_stem
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(f"PRAGMA cache_size=-{INDEX_CACHE_KIB}")
        self._db.execute(
            "CREATE TABLE images (key TEXT PRIMARY KEY, item_id INTEGER, external_id TEXT,"
            " file_name TEXT, split TEXT, media TEXT)"
        )
        self._db.execute("CREATE INDEX images_item ON images (item_id)")

    def add(self, record: Any, image: ImageRef, split: str, media: Path | None) -> str:
        """The unique name the image is written under."""
        name, stored = image.file_name, None if media is None else str(media)
        while True:
            key = (stem_of(name) if self._by_stem else name).casefold()
            added = self._db.execute(
                "INSERT OR IGNORE INTO images VALUES (?, ?, ?, ?, ?, ?)",
                (key, record.item_id, record.external_id, name, split, stored),
            )
            if added.rowcount:
                return name
            name = _renamed(name, record.item_id)

    def has(self, item_id: int) -> bool:
        found = self._db.execute("SELECT 1 FROM images WHERE item_id = ?", (item_id,))
        return found.fetchone() is not None

    def rows(self) -> Iterator[ManifestRow]:
        query = "SELECT item_id, external_id, file_name, split, media FROM images ORDER BY rowid"
        return (ManifestRow(*row) for row in self._db.execute(query))

    def counts(self) -> dict[str, int]:
        query = "SELECT split, count(*) FROM images GROUP BY split"
        return dict(self._db.execute(query).fetchall())

    def close(self) -> None:
        self._db.close()


def _renamed(name: str, item_id: int) -> str:
    stem = stem_of(name)
    return f"{stem}_{item_id}{name[len(stem) :]}"


def media_entry(archive: ZipStream, name: str, path: Path) -> Iterator[bytes]:
    """The image as its annotator saw it: one with an EXIF orientation is written turned that
    way with the tag removed, so a reader that ignores EXIF (PIL's Image.open, most training
    loaders) sees the same pixels the boxes were drawn on. Others are copied byte for byte."""
    upright = _upright(path)
    if upright is None:
        yield from archive.add_file(name, path)
    else:
        yield archive.add(name, upright, compress=False)


def _upright(path: Path) -> bytes | None:
    """The image re-encoded the right way up (JPEG with its own quantisation tables and
    subsampling, so it loses as little as possible), or None when it needs no turn."""
    from PIL import Image, ImageOps, JpegImagePlugin

    try:
        with Image.open(path) as image:
            if image.getexif().get(_EXIF_ORIENTATION, 1) not in range(2, 9):
                return None
            options: dict[str, Any] = {"icc_profile": image.info.get("icc_profile")}
            if isinstance(image, JpegImagePlugin.JpegImageFile):
                options |= {
                    "qtables": image.quantization,
                    "subsampling": JpegImagePlugin.get_sampling(image),
                }
            turned = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            turned.save(out, image.format, exif=turned.getexif(), **options)
            return out.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


@dataclass(frozen=True, slots=True)
class Written:
    """What an export wrote, for its README.txt and export.json."""

    project: ExportProject
    format: str
    description: str
    provenance: Provenance
    split: Split | None
    counts: dict[str, int]
    skipped: SkipLog
    classes: list[str]
    layout: list[str]
    """Lines saying where the files are."""


def readme(written: Written) -> bytes:
    project = written.project
    lines = [
        f"fairlabel export of project {project.name!r} (id {project.id}, "
        f"{project.organization}) in {written.format} format",
        f"exported at {project.exported_at.isoformat()}, "
        f"guideline version {project.guideline_version}",
        written.description,
        f"labels: {written.provenance.kind}, {written.provenance.summary}",
        "",
        *written.layout,
        "files.csv: each image's item id, external id, split, file name and label file",
        NAME_CLASHES,
        "",
        f"images written: {sum(written.counts.values())}",
        *_split_lines(written),
        f"images skipped: {written.skipped.count}",
        *written.skipped.lines(),
    ]
    return ("\n".join(lines) + "\n").encode()


def _split_lines(written: Written) -> list[str]:
    if written.split is None:
        return []
    counts = ", ".join(f"{name} {written.counts.get(name, 0)}" for name in written.split.names)
    empty = [name for name in written.split.names if not written.counts.get(name)]
    return [
        f"split {written.split.describe()}, seed {written.split.seed}: {counts} "
        "(an image's split follows from the seed and its external id alone)",
        *([f"warning: no image fell in {', '.join(empty)}"] if empty else []),
    ]


def export_json(written: Written) -> bytes:
    project = written.project
    split = written.split
    return orjson.dumps(
        {
            "format": written.format,
            "labels": written.provenance.kind,
            "labels_description": written.provenance.summary,
            "project": {
                "id": project.id,
                "name": project.name,
                "organization": project.organization,
                "guideline_version": project.guideline_version,
            },
            "exported_at": project.exported_at,
            "media_included": project.options.include_media,
            "split": None
            if split is None
            else {"seed": split.seed, "ratios": dict(split.ratios), "images": written.counts},
            "images": sum(written.counts.values()),
            "images_skipped": written.skipped.count,
            "classes": written.classes,
            "files": "files.csv",
        },
        option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE,
    )


def manifest_csv(manifest: Manifest, label_path: Callable[[str, str], str]) -> Iterator[bytes]:
    """files.csv, one line per image; `label_path(split, file_name)` names its label file."""
    yield _csv_line(["item_id", "external_id", "split", "file_name", "label_file"])
    for row in manifest.rows():
        label = label_path(row.split, row.file_name)
        yield _csv_line([row.item_id, row.external_id, row.split, row.file_name, label])


def _csv_line(row: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().encode()


def media_line(project: ExportProject, folder: str) -> str:
    """The README line on media: where the images are, or where to put them."""
    if project.options.include_media:
        return f"media: included, at {folder}<file name>"
    return f"media: not included; put each image at {folder} + its file name in files.csv"


def media_entries(
    archive: ZipStream, manifest: Manifest, image_path: Callable[[str, str], str]
) -> Iterator[bytes]:
    """Every manifest image's stored file, at `image_path(split, file_name)`."""
    for row in manifest.rows():
        if row.media is not None:
            yield from media_entry(archive, image_path(row.split, row.file_name), Path(row.media))


def stored_media(options: ExportOptions, image: ImageRef) -> Path | None:
    """The image's file when the export includes media and the project stores it."""
    if options.media is None or image.media is None:
        return None
    return options.media(image.media)


class ImageArchiveFormat(ImageFormat):
    """Zip formats with one label file per image (YOLO, Pascal VOC), the images themselves
    with include_media, and files.csv, README.txt and export.json."""

    media_type = "application/zip"
    extension = ".zip"
    takes_split = True

    def label_path(self, split: str, file_name: str) -> str:
        raise NotImplementedError

    def image_path(self, split: str, file_name: str) -> str:
        raise NotImplementedError

    def label_file(
        self, project: ExportProject, image: ImageRef, shapes: list[Shape], labels: LabelIndex
    ) -> bytes:
        """The contents of the label file of one image."""
        raise NotImplementedError

    def extra_files(
        self, project: ExportProject, manifest: Manifest, labels: LabelIndex, split: Split | None
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Files written after every label file (class lists, image sets), as byte pieces."""
        raise NotImplementedError

    def layout(self, project: ExportProject, split: Split | None) -> list[str]:
        """README lines saying where the files are."""
        raise NotImplementedError

    def image_chunks(
        self,
        project: ExportProject,
        source: Callable[..., Iterator[Any]],
        objects: Objects,
        provenance: Provenance,
    ) -> Iterator[bytes]:
        return rechunk(self._pieces(project, source, objects, provenance))

    def _pieces(
        self,
        project: ExportProject,
        source: Callable[..., Iterator[Any]],
        objects: Objects,
        provenance: Provenance,
    ) -> Iterator[bytes]:
        options, split = project.options, self.split_of(project.options)
        labels, skipped = LabelIndex(image_questions(project)), SkipLog()
        field = image_field(project)
        archive, manifest = ZipStream(project.exported_at), Manifest(by_stem=True)
        try:
            for record in source(with_annotations=True):
                image = image_ref(record, field)
                if image is None or not image.sized:
                    skipped.add(record, "no image" if image is None else "image size unknown")
                    continue
                media = stored_media(options, image)
                if options.include_media and media is None:
                    skipped.add(record, NOT_STORED)
                    continue
                part = split.of(record.external_id) if split else ""
                image.file_name = manifest.add(record, image, part, media)
                body = self.label_file(project, image, list(objects(record)), labels)
                yield archive.add(self.label_path(part, image.file_name), body)
            if options.include_media:
                yield from media_entries(archive, manifest, self.image_path)
            for name, pieces in self.extra_files(project, manifest, labels, split):
                yield from archive.write(name, pieces)
            yield from archive.write("files.csv", manifest_csv(manifest, self.label_path))
            written = Written(
                project,
                self.name,
                self.description,
                provenance,
                split,
                manifest.counts(),
                skipped,
                [label for label, _ in labels.labels()],
                self.layout(project, split),
            )
            yield archive.add("README.txt", readme(written))
            yield archive.add("export.json", export_json(written))
            yield from archive.close()
        finally:
            manifest.close()
            archive.discard()
