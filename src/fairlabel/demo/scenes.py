"""Synthetic images of coloured shapes with exact boxes and outlines, for box and polygon demos."""

from __future__ import annotations

import colorsys
import io
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageDraw

SHAPE_LABELS = ["circle", "square", "triangle"]

_MIN_SIDE = 64
_MAX_SHAPES = 5
_PLACEMENT_TRIES = 50
_EDGE_MARGIN = 2.0
_GAP = 4.0
_NOISE_STRENGTH = 0.1
_CIRCLE_SIDES = 16

Point = tuple[float, float]
Extent = tuple[float, float, float, float]
Colour = tuple[int, int, int]


@dataclass(slots=True)
class SceneObject:
    """One shape as a labeller should mark it: the tight pixel box and its outline."""

    label: str
    x: int
    y: int
    width: int
    height: int
    polygon: list[list[float]]


@dataclass(slots=True)
class Scene:
    """A PNG with the ground truth of every shape in it, to pre-fill gold or check answers."""

    png: bytes
    width: int
    height: int
    objects: list[SceneObject]


@dataclass(slots=True)
class _Outline:
    """A placed shape before drawing; circles keep their radius to draw a true circle."""

    label: str
    points: list[Point]
    circle: tuple[float, float, float] | None = None


def generate_scene(rng: random.Random, width: int = 640, height: int = 480) -> Scene:
    """Draw 1-5 shapes whose boxes never touch, so that every box is fully visible."""
    if width < _MIN_SIDE or height < _MIN_SIDE:
        raise ValueError(f"scene size {width}x{height} is too small; expected at least 64x64")
    image = _background(rng, width, height)
    placed: list[Extent] = []
    objects: list[SceneObject] = []
    for _ in range(rng.randint(1, _MAX_SHAPES)):
        outline = _place(rng, width, height, placed)
        if outline is not None:
            placed.append(_extent(outline.points))
            objects.append(_draw(image, outline, _vivid_colour(rng)))
    return Scene(png=_encode_png(image), width=width, height=height, objects=objects)


def generate_scenes(n: int, seed: int, width: int = 640, height: int = 480) -> Iterator[Scene]:
    """The same seed gives the same scenes, so demo data can be rebuilt identically."""
    rng = random.Random(seed)
    for _ in range(n):
        yield generate_scene(rng, width, height)


def _background(rng: random.Random, width: int, height: int) -> Image.Image:
    """A muted plain or gradient fill with grain, far in colour from any shape."""
    size = (width, height)
    base = Image.new("RGB", size, _muted_colour(rng))
    if rng.random() < 0.6:
        gradient = Image.linear_gradient("L")
        if rng.random() < 0.5:
            gradient = gradient.transpose(Image.Transpose.ROTATE_90)
        other = Image.new("RGB", size, _muted_colour(rng))
        base = Image.composite(other, base, gradient.resize(size))
    return Image.blend(base, _grain(rng, width, height), _NOISE_STRENGTH)


def _grain(rng: random.Random, width: int, height: int) -> Image.Image:
    """Grey noise in 2x2 cells: it looks like grain yet compresses well, keeping PNGs fast."""
    cells = ((width + 1) // 2, (height + 1) // 2)
    noise = Image.frombytes("L", cells, rng.randbytes(cells[0] * cells[1]))
    return noise.resize((width, height), Image.Resampling.NEAREST).convert("RGB")


def _muted_colour(rng: random.Random) -> Colour:
    """Near-grey, so that background pixels are easy to tell from shape pixels."""
    grey = rng.randint(60, 200)
    r, g, b = (grey + rng.randint(-12, 12) for _ in range(3))
    return (r, g, b)


def _vivid_colour(rng: random.Random) -> Colour:
    """Saturated and bright, so that shapes stand out from the muted background."""
    hue, saturation, value = rng.random(), rng.uniform(0.7, 1.0), rng.uniform(0.75, 1.0)
    r, g, b = (round(c * 255) for c in colorsys.hsv_to_rgb(hue, saturation, value))
    return (r, g, b)


def _place(rng: random.Random, width: int, height: int, placed: list[Extent]) -> _Outline | None:
    """Retry random placements until one fits inside the image clear of the others."""
    for _ in range(_PLACEMENT_TRIES):
        outline = _random_outline(rng, width, height)
        extent = _extent(outline.points)
        if _inside(extent, width, height) and not any(_near(extent, e) for e in placed):
            return outline
    return None


def _random_outline(rng: random.Random, width: int, height: int) -> _Outline:
    radius = rng.uniform(0.06, 0.16) * min(width, height)
    cx = rng.uniform(radius, width - radius)
    cy = rng.uniform(radius, height - radius)
    label = rng.choice(SHAPE_LABELS)
    if label == "circle":
        angles = [2 * math.pi * k / _CIRCLE_SIDES for k in range(_CIRCLE_SIDES)]
        return _Outline(label, _ring(cx, cy, radius, angles), circle=(cx, cy, radius))
    if label == "square":
        tilt = 0.0 if rng.random() < 0.5 else rng.uniform(0, math.pi / 2)
        angles = [tilt + math.pi / 4 + k * math.pi / 2 for k in range(4)]
        return _Outline(label, _ring(cx, cy, radius, angles))
    turn = rng.uniform(0, 2 * math.pi)
    angles = [turn + k * 2 * math.pi / 3 + rng.uniform(-0.35, 0.35) for k in range(3)]
    return _Outline(label, _ring(cx, cy, radius, angles))


def _ring(cx: float, cy: float, radius: float, angles: list[float]) -> list[Point]:
    return [(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in angles]


def _extent(points: list[Point]) -> Extent:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _inside(extent: Extent, width: int, height: int) -> bool:
    x0, y0, x1, y1 = extent
    m = _EDGE_MARGIN
    return x0 >= m and y0 >= m and x1 <= width - 1 - m and y1 <= height - 1 - m


def _near(a: Extent, b: Extent) -> bool:
    """True when two extents come within the gap, which would let drawn boxes touch."""
    return a[0] - _GAP < b[2] and b[0] - _GAP < a[2] and a[1] - _GAP < b[3] and b[1] - _GAP < a[3]


def _draw(image: Image.Image, outline: _Outline, colour: Colour) -> SceneObject:
    """Paint through a mask, and take the box from that mask so it is exact to the pixel."""
    mask = Image.new("L", image.size, 0)
    pen = ImageDraw.Draw(mask)
    if outline.circle is not None:
        cx, cy, r = outline.circle
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    else:
        pen.polygon(outline.points, fill=255)
    box = mask.getbbox()
    if box is None:
        raise RuntimeError(f"{outline.label} drew no pixels")
    image.paste(colour, (0, 0, *image.size), mask)
    x0, y0, x1, y1 = box
    return SceneObject(
        label=outline.label,
        x=x0,
        y=y0,
        width=x1 - x0,
        height=y1 - y0,
        polygon=[[round(x, 2), round(y, 2)] for x, y in outline.points],
    )


def _encode_png(image: Image.Image) -> bytes:
    """Light compression: grain barely compresses, and speed matters more than bytes here."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
