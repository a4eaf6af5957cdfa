"""Scenes must be reproducible and their boxes exact, since they serve as gold for box questions."""

import io
import random

import pytest
from PIL import Image, ImageChops, ImageDraw

from fairlabel.demo import SHAPE_LABELS, Scene, generate_scene, generate_scenes

_VIVID = 80
_CORNERS = {"circle": 16, "square": 4, "triangle": 3}


def _decode(scene: Scene) -> Image.Image:
    return Image.open(io.BytesIO(scene.png))


def _vivid_mask(scene: Scene) -> Image.Image:
    """Shapes are saturated and backgrounds near-grey, so channel spread separates them."""
    r, g, b = _decode(scene).convert("RGB").split()
    high = ImageChops.lighter(ImageChops.lighter(r, g), b)
    low = ImageChops.darker(ImageChops.darker(r, g), b)
    return ImageChops.subtract(high, low).point(lambda v: 255 if v >= _VIVID else 0)


@pytest.fixture(scope="module")
def scenes() -> list[Scene]:
    return list(generate_scenes(40, seed=11))


def test_same_seed_gives_same_scenes() -> None:
    assert list(generate_scenes(3, seed=5)) == list(generate_scenes(3, seed=5))
    assert list(generate_scenes(3, seed=5)) != list(generate_scenes(3, seed=6))


def test_png_decodes_at_stated_size(scenes: list[Scene]) -> None:
    for scene in scenes[:5]:
        image = _decode(scene)
        assert image.format == "PNG"
        assert image.size == (scene.width, scene.height) == (640, 480)


def test_custom_size() -> None:
    scene = generate_scene(random.Random(3), width=200, height=120)
    assert _decode(scene).size == (200, 120)


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        generate_scene(random.Random(3), width=20, height=480)


def test_labels_counts_and_boxes_inside(scenes: list[Scene]) -> None:
    seen = set()
    for scene in scenes:
        assert 1 <= len(scene.objects) <= 5
        for obj in scene.objects:
            seen.add(obj.label)
            assert obj.width > 0 and obj.height > 0
            assert 0 <= obj.x <= obj.x + obj.width <= scene.width
            assert 0 <= obj.y <= obj.y + obj.height <= scene.height
    assert seen == set(SHAPE_LABELS)


def test_boxes_do_not_overlap(scenes: list[Scene]) -> None:
    for scene in scenes:
        boxes = [(o.x, o.y, o.x + o.width, o.y + o.height) for o in scene.objects]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_boxes_are_tight(scenes: list[Scene]) -> None:
    """Shape pixels touch every edge of their box, and none lie outside all boxes."""
    for scene in scenes:
        mask = _vivid_mask(scene)
        for obj in scene.objects:
            inside = mask.crop((obj.x, obj.y, obj.x + obj.width, obj.y + obj.height))
            assert inside.getbbox() == (0, 0, obj.width, obj.height), obj
        blank = ImageDraw.Draw(mask)
        for obj in scene.objects:
            blank.rectangle((obj.x, obj.y, obj.x + obj.width - 1, obj.y + obj.height - 1), fill=0)
        assert mask.getbbox() is None


def test_polygons_match_their_boxes(scenes: list[Scene]) -> None:
    for scene in scenes:
        for obj in scene.objects:
            assert len(obj.polygon) == _CORNERS[obj.label]
            xs = [p[0] for p in obj.polygon]
            ys = [p[1] for p in obj.polygon]
            assert min(xs) == pytest.approx(obj.x, abs=1.5)
            assert max(xs) == pytest.approx(obj.x + obj.width, abs=1.5)
            assert min(ys) == pytest.approx(obj.y, abs=1.5)
            assert max(ys) == pytest.approx(obj.y + obj.height, abs=1.5)
