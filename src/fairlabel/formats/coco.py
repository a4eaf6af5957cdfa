"""COCO object detection JSON, streamed in two passes: images, then annotations."""

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from fairlabel.formats.base import (
    ExportAnnotation,
    ExportProject,
    ExportQuestion,
    ImageFormat,
    ImageRef,
    LabelIndex,
    RecordSource,
    Shape,
    has_image,
    image_field,
    image_questions,
    image_ref,
    rechunk,
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
        labels = LabelIndex(questions)
        licenses = [{"id": _LICENSE_ID, "name": "Unspecified", "url": ""}]
        yield b'{"info":' + orjson.dumps(_info(project))
        yield b',"licenses":' + orjson.dumps(licenses) + b',"images":['
        images = (
            _image(record.item_id, record.external_id, image)
            for record in source()
            if (image := image_ref(record, field)) is not None
        )
        yield from _array_items(images)
        yield b'],"annotations":['
        shapes = (
            (record.item_id, *found)
            for record in source()
            if has_image(record, field)
            for found in record_shapes(questions, record)
        )
        yield from _array_items(_annotations(shapes, labels))
        yield b'],"categories":' + orjson.dumps(_categories(labels)) + b"}"


def _array_items(values: Iterable[Any]) -> Iterator[bytes]:
    for position, value in enumerate(values):
        yield (b"," if position else b"") + orjson.dumps(value)


def _info(project: ExportProject) -> dict[str, Any]:
    return {
        "description": project.name,
        "version": str(project.guideline_version),
        "year": project.exported_at.year,
        "contributor": project.organization,
        "date_created": project.exported_at.isoformat(),
        "url": "",
    }


def _image(item_id: int, external_id: str, image: ImageRef) -> dict[str, Any]:
    """An image of unknown size keeps null width and height: COCO boxes are in pixels anyway."""
    return {
        "id": item_id,
        "file_name": image.file_name,
        "width": image.width,
        "height": image.height,
        "license": _LICENSE_ID,
        "external_id": external_id,
    }


def _annotations(
    shapes: Iterable[tuple[int, ExportAnnotation, ExportQuestion, Shape]], labels: LabelIndex
) -> Iterator[dict[str, Any]]:
    for ann_id, (item_id, annotation, question, shape) in enumerate(shapes, start=1):
        yield {
            "id": ann_id,
            "image_id": item_id,
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
    corners = shape.points or (
        (shape.x, shape.y),
        (shape.x + shape.width, shape.y),
        (shape.x + shape.width, shape.y + shape.height),
        (shape.x, shape.y + shape.height),
    )
    return list(itertools.chain.from_iterable(corners))


def _categories(labels: LabelIndex) -> list[dict[str, Any]]:
    return [
        {"id": index, "name": label, "supercategory": question}
        for index, (label, question) in enumerate(labels.labels(), start=1)
    ]
