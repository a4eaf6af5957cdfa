"""COCO object detection JSON, streamed in two passes: images, then annotations."""

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from fairlabel.formats.base import (
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
    json_items,
    rechunk,
)
from fairlabel.formats.images import (
    ImageFormat,
    LabelIndex,
    Shape,
    SkipLog,
    has_image,
    image_field,
    image_questions,
    image_ref,
    record_shapes,
)
from fairlabel.formats.registry import register

_LICENSE_ID = 1


@register
class CocoFormat(ImageFormat):
    name = "coco"
    media_type = "application/json"
    extension = ".json"
    description = "COCO detection JSON: boxes and polygons, categories from the question labels"
    passes = 2

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        return rechunk(self._pieces(project, source))

    def _pieces(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        """Categories come last so that labels met only in answers can still be added."""
        questions, field = image_questions(project), image_field(project)
        labels, imageless = LabelIndex(questions), SkipLog()
        licenses = [{"id": _LICENSE_ID, "name": "Unspecified", "url": ""}]
        yield b'{"info":' + orjson.dumps(_info(project))
        yield b',"licenses":' + orjson.dumps(licenses) + b',"images":['
        yield from json_items(_images(source(with_annotations=False), field, imageless))
        yield b'],"annotations":['
        check = field if imageless.count else None
        yield from json_items(_annotations(source(), questions, check, labels))
        yield b'],"categories":' + orjson.dumps(_categories(labels)) + b"}"


def _info(project: ExportProject) -> dict[str, Any]:
    return {
        "description": project.name,
        "version": str(project.guideline_version),
        "year": project.exported_at.year,
        "contributor": project.organization,
        "date_created": project.exported_at.isoformat(),
        "url": "",
    }


def _images(
    records: Iterable[ExportRecord], field: str, imageless: SkipLog
) -> Iterator[dict[str, Any]]:
    """The images, counting the items without one in `imageless`. An image of unknown size
    keeps null width and height: COCO boxes are in pixels anyway."""
    for record in records:
        image = image_ref(record, field)
        if image is None:
            imageless.add(record, "no image")
            continue
        yield {
            "id": record.item_id,
            "file_name": image.file_name,
            "width": image.width,
            "height": image.height,
            "license": _LICENSE_ID,
            "external_id": record.external_id,
        }


def _annotations(
    records: Iterable[ExportRecord],
    questions: list[ExportQuestion],
    check_image: str | None,
    labels: LabelIndex,
) -> Iterator[dict[str, Any]]:
    """The shapes of the items the first pass listed as images. Items without an image are
    looked for again (field `check_image`) only if the first pass met any."""
    ann_id = 0
    for record in records:
        if not record.annotations or (check_image and not has_image(record, check_image)):
            continue
        for annotation, question, shape in record_shapes(questions, record):
            ann_id += 1
            yield {
                "id": ann_id,
                "image_id": record.item_id,
                "category_id": labels.index(shape.label, question.name) + 1,
                "bbox": [shape.x, shape.y, shape.width, shape.height],
                "area": shape.area,
                "iscrowd": 0,
                "segmentation": [_outline(shape)],
                "attributes": {
                    "annotation_id": annotation.id,
                    "worker": annotation.worker,
                    "question": question.name,
                },
            }


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
