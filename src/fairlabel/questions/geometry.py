"""What box and polygon questions share: labels, the image field, and pixel bounds."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fairlabel.questions.base import (
    LabelSettings,
    expect_coordinate,
    image_size,
)


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
