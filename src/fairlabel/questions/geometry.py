"""What box and polygon questions share: labels, the image field, pixel bounds, and
agreement of two shape lists by IoU matching.

The IoU functions are small local versions in plain Python: gold scoring compares a few
shapes at a time, where NumPy's set-up would cost more than the arithmetic."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field

from fairlabel.questions.base import (
    LabelSettings,
    dice,
    expect_coordinate,
    image_size,
)

#: Two shapes of the same label match when their IoU reaches this (the PASCAL VOC rule).
IOU_MATCH = 0.5

Point = tuple[float, float]
Shape = dict[str, Any]


class ImageShapeSettings(LabelSettings):
    field: str = Field(default="image", min_length=1)


class ImageBounds:
    """The image's size when the item says it; coordinates are checked against it."""

    __slots__ = ("height", "width")

    def __init__(self, fields: dict[str, Any], field: str) -> None:
        size = image_size(fields, field)
        self.width: float | None = size[0] if size is not None else None
        self.height: float | None = size[1] if size is not None else None

    def x(self, value: Any, path: str) -> int | float:
        return expect_coordinate(value, path, self.width, "width")

    def y(self, value: Any, path: str) -> int | float:
        return expect_coordinate(value, path, self.height, "height")


def matched_f1(
    answer: Sequence[Shape], expected: Sequence[Shape], iou: Callable[[Shape, Shape], float]
) -> float:
    """F1 of shapes matched one to one, same label and IoU >= 0.5, best pairs first."""
    pairs = sorted(
        (
            (iou(mine, known), i, j)
            for i, mine in enumerate(answer)
            for j, known in enumerate(expected)
            if mine["label"] == known["label"]
        ),
        reverse=True,
    )
    used_answer: set[int] = set()
    used_expected: set[int] = set()
    for value, i, j in pairs:
        if value < IOU_MATCH:
            break
        if i not in used_answer and j not in used_expected:
            used_answer.add(i)
            used_expected.add(j)
    return dice(len(used_answer), len(answer), len(expected))


def box_iou(a: Shape, b: Shape) -> float:
    """Intersection over union of two {x, y, width, height} boxes."""
    width = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    height = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    inter = max(0.0, width) * max(0.0, height)
    union = a["width"] * a["height"] + b["width"] * b["height"] - inter
    return inter / union if union > 0 else 0.0


def polygon_iou(a: Shape, b: Shape) -> float:
    """IoU of two simple polygons, exact: both are cut into triangles, and the overlap is
    the sum of the convex overlaps of every pair of triangles."""
    first, second = _points(a), _points(b)
    inter = sum(area(_clip(t, u)) for t in triangulate(first) for u in triangulate(second))
    union = area(first) + area(second) - inter
    return inter / union if union > 0 else 0.0


def area(points: Sequence[Point]) -> float:
    """Unsigned shoelace area."""
    return abs(_signed_area(points))


def triangulate(points: Sequence[Point]) -> list[list[Point]]:
    """Ear clipping of a simple polygon into counter-clockwise triangles. A self-crossing
    outline has no ear at some point; the rest is then fanned, an approximation."""
    left = list(points) if _signed_area(points) > 0 else list(reversed(points))
    triangles: list[list[Point]] = []
    while len(left) > 3:
        ear = _find_ear(left)
        if ear is None:
            return triangles + [[left[0], left[k], left[k + 1]] for k in range(1, len(left) - 1)]
        triangles.append([left[ear - 1], left[ear], left[(ear + 1) % len(left)]])
        del left[ear]
    return [*triangles, left]


def _find_ear(points: list[Point]) -> int | None:
    """A convex corner whose triangle holds no other vertex (a flat corner counts, and
    adds a triangle of no area)."""
    for i, corner in enumerate(points):
        before, after = points[i - 1], points[(i + 1) % len(points)]
        if _cross(before, corner, after) < 0:
            continue
        if not any(
            _inside(p, before, corner, after) for p in points if p not in (before, corner, after)
        ):
            return i
    return None


def _inside(p: Point, a: Point, b: Point, c: Point) -> bool:
    """Inside or on the edge: a vertex on the cut would let the ear cross the outline."""
    return _cross(a, b, p) >= 0 and _cross(b, c, p) >= 0 and _cross(c, a, p) >= 0


def _clip(subject: list[Point], window: list[Point]) -> list[Point]:
    """Sutherland-Hodgman: the part of `subject` inside the convex, counter-clockwise
    `window`."""
    output = subject
    for k, edge_end in enumerate(window):
        edge_start = window[k - 1]
        if not output:
            break
        points, output = output, []
        previous = points[-1]
        for current in points:
            current_in = _cross(edge_start, edge_end, current) >= 0
            previous_in = _cross(edge_start, edge_end, previous) >= 0
            if current_in != previous_in:
                output.append(_crossing(previous, current, edge_start, edge_end))
            if current_in:
                output.append(current)
            previous = current
    return output


def _crossing(p: Point, q: Point, a: Point, b: Point) -> Point:
    """Where segment p-q crosses the line through a and b (p and q lie on either side)."""
    dp, dq = _cross(a, b, p), _cross(a, b, q)
    t = dp / (dp - dq)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _signed_area(points: Sequence[Point]) -> float:
    """Shoelace; positive for a counter-clockwise outline, 0 for an empty clip."""
    if not points:
        return 0.0
    total = 0.0
    previous = points[-1]
    for point in points:
        total += previous[0] * point[1] - point[0] * previous[1]
        previous = point
    return total / 2


def _points(polygon: Shape) -> list[Point]:
    return [(float(x), float(y)) for x, y in polygon["points"]]
