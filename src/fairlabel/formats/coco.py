"""COCO object detection JSON, streamed in two passes: images, then annotations. With media,
a zip of annotations.json and images/<file name>, so the zip alone trains."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from fairlabel.formats.base import ExportAnnotation, ExportProject, json_items, rechunk
from fairlabel.formats.bundle import (
    Manifest,
    Written,
    export_json,
    manifest_csv,
    media_entries,
    media_line,
    readme,
    stored_media,
)
from fairlabel.formats.images import (
    NOT_STORED,
    ImageFormat,
    LabelIndex,
    Objects,
    Provenance,
    Shape,
    SkipLog,
    has_image,
    image_field,
    image_questions,
    image_ref,
)
from fairlabel.formats.registry import register
from fairlabel.formats.zipstream import ZipStream

_LICENSE_ID = 1
ANNOTATIONS = "annotations.json"


@register
class CocoFormat(ImageFormat):
    name = "coco"
    media_type = "application/json"
    extension = ".json"
    description = (
        "COCO detection JSON: boxes and polygons, categories in the question labels' order, "
        "file names the images' relative paths; with media, a zip of annotations.json and "
        "images/"
    )
    passes = 2

    def content_type(self, project: ExportProject) -> str:
        return "application/zip" if project.options.include_media else self.media_type

    def extension_for(self, project: ExportProject) -> str:
        return ".zip" if project.options.include_media else self.extension

    def image_chunks(
        self,
        project: ExportProject,
        source: Callable[..., Iterator[Any]],
        objects: Objects,
        provenance: Provenance,
    ) -> Iterator[bytes]:
        if project.options.include_media:
            return rechunk(self._zip(project, source, objects, provenance))
        labels = LabelIndex(image_questions(project))
        return rechunk(self._json(project, source, objects, provenance, labels, None, SkipLog()))

    def _json(
        self,
        project: ExportProject,
        source: Callable[..., Iterator[Any]],
        objects: Objects,
        provenance: Provenance,
        labels: LabelIndex,
        manifest: Manifest | None,
        skipped: SkipLog,
    ) -> Iterator[bytes]:
        """Categories come last so that labels met only in answers can still be added."""
        field = image_field(project)
        licenses = [{"id": _LICENSE_ID, "name": "Unspecified", "url": ""}]
        yield b'{"info":' + orjson.dumps(_info(project, provenance))
        yield b',"licenses":' + orjson.dumps(licenses) + b',"images":['
        records = source(with_annotations=False)
        yield from json_items(_images(records, project, field, skipped, manifest))
        yield b'],"annotations":['
        listed = _listed(field, skipped, manifest)
        yield from json_items(_annotations(source(with_annotations=True), objects, listed, labels))
        yield b'],"categories":' + orjson.dumps(_categories(labels)) + b"}"

    def _zip(
        self,
        project: ExportProject,
        source: Callable[..., Iterator[Any]],
        objects: Objects,
        provenance: Provenance,
    ) -> Iterator[bytes]:
        archive, manifest = ZipStream(project.exported_at), Manifest(by_stem=False)
        labels, skipped = LabelIndex(image_questions(project)), SkipLog()
        try:
            json = self._json(project, source, objects, provenance, labels, manifest, skipped)
            yield from archive.write(ANNOTATIONS, json)
            yield from media_entries(archive, manifest, _in_images)
            yield from archive.write("files.csv", manifest_csv(manifest, _annotations_file))
            written = Written(
                project,
                self.name,
                self.description,
                provenance,
                None,
                manifest.counts(),
                skipped,
                [label for label, _ in labels.labels()],
                [
                    f"{ANNOTATIONS}: the COCO file; its file names are relative to images/",
                    media_line(project, "images/"),
                ],
            )
            yield archive.add("README.txt", readme(written))
            yield archive.add("export.json", export_json(written))
            yield from archive.close()
        finally:
            manifest.close()
            archive.discard()


def _in_images(split: str, file_name: str) -> str:
    return f"images/{file_name}"


def _annotations_file(split: str, file_name: str) -> str:
    return ANNOTATIONS


def _info(project: ExportProject, provenance: Provenance) -> dict[str, Any]:
    return {
        "description": f"{project.name}: {provenance.kind} labels, {provenance.summary}",
        "labels": provenance.kind,
        "version": str(project.guideline_version),
        "year": project.exported_at.year,
        "contributor": project.organization,
        "date_created": project.exported_at.isoformat(),
        "url": "",
    }


def _images(
    records: Iterable[Any],
    project: ExportProject,
    field: str,
    skipped: SkipLog,
    manifest: Manifest | None,
) -> Iterator[dict[str, Any]]:
    """The images, counting the items left out in `skipped`. An image of unknown size keeps
    null width and height: COCO boxes are in pixels anyway. With a manifest (an export with
    media), only stored images, under names made unique."""
    for record in records:
        image = image_ref(record, field)
        if image is None:
            skipped.add(record, "no image")
            continue
        if manifest is not None:
            media = stored_media(project.options, image)
            if media is None:
                skipped.add(record, NOT_STORED)
                continue
            image.file_name = manifest.add(record, image, "", media)
        yield {
            "id": record.item_id,
            "file_name": image.file_name,
            "width": image.width,
            "height": image.height,
            "license": _LICENSE_ID,
            "external_id": record.external_id,
        }


def _listed(
    field: str, skipped: SkipLog, manifest: Manifest | None
) -> Callable[[Any], bool] | None:
    """Whether the first pass listed a record's image; None (every record) when the first
    pass left none out, so that the second asks nothing per record."""
    if not skipped.count:
        return None
    if manifest is not None:
        return lambda record: manifest.has(record.item_id)
    return lambda record: has_image(record, field)


def _annotations(
    records: Iterable[Any],
    objects: Objects,
    listed: Callable[[Any], bool] | None,
    labels: LabelIndex,
) -> Iterator[dict[str, Any]]:
    ann_id = 0
    for record in records:
        if listed is not None and not listed(record):
            continue
        for shape in objects(record):
            ann_id += 1
            source, question = shape.source, shape.question
            if isinstance(source, ExportAnnotation):
                attributes = {
                    "annotation_id": source.id,
                    "worker": source.worker,
                    "question": question,
                }
            else:
                attributes = {"question": question, **(source or {})}
            entry = {
                "id": ann_id,
                "image_id": record.item_id,
                "category_id": labels.index(shape.label, question) + 1,
                "bbox": [shape.x, shape.y, shape.width, shape.height],
                "area": shape.area,
                "iscrowd": 0,
                "segmentation": [_outline(shape)],
                "attributes": attributes,
            }
            if shape.score is not None:
                entry["score"] = shape.score
            yield entry


def _outline(shape: Shape) -> list[float]:
    """A box is written as its four-corner polygon: pycocotools and Detectron2 take it."""
    if shape.points:
        return [coordinate for point in shape.points for coordinate in point]
    x0, y0, x1, y1 = shape.x, shape.y, shape.x + shape.width, shape.y + shape.height
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def _categories(labels: LabelIndex) -> list[dict[str, Any]]:
    return [
        {"id": index, "name": label, "supercategory": question}
        for index, (label, question) in enumerate(labels.labels(), start=1)
    ]
