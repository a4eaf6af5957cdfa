"""Labelled polygons on an image (segmentation outlines), in pixels."""

from __future__ import annotations

from typing import Any

from fairlabel.questions.base import (
    QuestionType,
    RecordShape,
    expect_label,
    expect_list,
    fail,
)
from fairlabel.questions.geometry import (
    ImageBounds,
    ImageShapeSettings,
    matched_f1,
    polygon_iou,
)
from fairlabel.questions.registry import register

_POLYGON = RecordShape(("points", "label"))


@register
class PolygonQuestion(QuestionType[ImageShapeSettings]):
    """The answer is a list of {points: [[x, y], ...], label}; every point inside the image."""

    name = "polygon"
    settings_model = ImageShapeSettings
    answer_kind = "polygons"

    def validate_answer(
        self, settings: ImageShapeSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> list[dict[str, Any]]:
        bounds = ImageBounds(fields, settings.field)
        return [
            _check_polygon(value, settings, bounds, f"{path}[{index}]")
            for index, value in enumerate(expect_list(answer, path, "a list of polygons"))
        ]

    def score(self, settings: ImageShapeSettings, answer: Any, expected: Any) -> float:
        """F1 of polygons matched by label and IoU >= 0.5."""
        return matched_f1(answer, expected, polygon_iou)


def _check_polygon(
    value: Any, settings: ImageShapeSettings, bounds: ImageBounds, path: str
) -> dict[str, Any]:
    record = _POLYGON.check(value, path)
    points_path = f"{path}.points"
    raw_points = expect_list(record["points"], points_path, "a list of [x, y] points")
    if len(raw_points) < 3:
        fail(points_path, raw_points, "at least 3 points")
    points = [
        _check_point(point, bounds, f"{points_path}[{index}]")
        for index, point in enumerate(raw_points)
    ]
    if _twice_area(points) == 0:
        fail(points_path, raw_points, "points that enclose an area (not all on one line)")
    label = expect_label(record["label"], settings, f"{path}.label")
    return {"points": points, "label": label}


def _check_point(value: Any, bounds: ImageBounds, path: str) -> list[int | float]:
    point = expect_list(value, path, "an [x, y] pair")
    if len(point) != 2:
        fail(path, value, "an [x, y] pair")
    return [bounds.x(point[0], f"{path}[0]"), bounds.y(point[1], f"{path}[1]")]


def _twice_area(points: list[list[int | float]]) -> float:
    """Shoelace formula; zero means a degenerate outline that no exporter can use."""
    total = 0.0
    previous = points[-1]
    for point in points:
        total += previous[0] * point[1] - point[0] * previous[1]
        previous = point
    return abs(total)
