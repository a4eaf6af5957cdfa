"""Labelled axis-aligned boxes on an image, in pixels from the top-left corner."""

from __future__ import annotations

from typing import Any

from fairlabel.questions.base import (
    EDGE_TOLERANCE,
    QuestionType,
    RecordShape,
    expect_label,
    expect_list,
    expect_number,
    fail,
    format_number,
)
from fairlabel.questions.geometry import ImageBounds, ImageShapeSettings, box_iou, matched_f1
from fairlabel.questions.registry import register

_BOX = RecordShape(("x", "y", "width", "height", "label"))


@register
class BBoxQuestion(QuestionType[ImageShapeSettings]):
    """The answer is a list of {x, y, width, height, label}; boxes must lie inside the image."""

    name = "bbox"
    settings_model = ImageShapeSettings
    answer_kind = "boxes"

    def validate_answer(
        self, settings: ImageShapeSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> list[dict[str, Any]]:
        bounds = ImageBounds(fields, settings.field)
        result: list[dict[str, Any]] = []
        for index, value in enumerate(expect_list(answer, path, "a list of boxes")):
            result.append(_check_box(value, settings, bounds, f"{path}[{index}]"))
        return result

    def score(self, settings: ImageShapeSettings, answer: Any, expected: Any) -> float:
        """F1 of boxes matched by label and IoU >= 0.5."""
        return matched_f1(answer, expected, box_iou)


def _check_box(
    value: Any, settings: ImageShapeSettings, bounds: ImageBounds, path: str
) -> dict[str, Any]:
    record = _BOX.check(value, path)
    x = bounds.x(record["x"], f"{path}.x")
    y = bounds.y(record["y"], f"{path}.y")
    width = _extent(record["width"], x, bounds.width, f"{path}.width", "x", "width")
    height = _extent(record["height"], y, bounds.height, f"{path}.height", "y", "height")
    label = expect_label(record["label"], settings, f"{path}.label")
    return {"x": x, "y": y, "width": width, "height": height, "label": label}


def _extent(
    value: Any, origin: float, limit: float | None, path: str, axis: str, edge: str
) -> int | float:
    """A box side: positive, and not reaching past the image edge from its origin."""
    size = expect_number(value, path)
    if size <= 0:
        fail(path, value, "a number > 0")
    if limit is not None and origin + size > limit + EDGE_TOLERANCE:
        fail(path, value, f"{axis} + {edge} <= {format_number(limit)} (the image {edge})")
    return size
