from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlabel.errors import ValidationFailed

from ._helpers import PATH, check, rejects, settings_rejected

SETTINGS = {"labels": ["car", "person"]}
IMAGE = {
    "src": "/api/media/abc",
    "sha256": "abc",
    "width": 640,
    "height": 480,
    "content_type": "image/png",
}
FIELDS = {"image": IMAGE}


def box(x: Any, y: Any, width: Any, height: Any, label: str = "car") -> dict[str, Any]:
    return {"x": x, "y": y, "width": width, "height": height, "label": label}


def test_boxes_inside_the_image_are_accepted() -> None:
    answer = [box(0, 0, 640, 480), box(10.5, 20, 30, 40.25, "person")]
    assert check("bbox", SETTINGS, answer, FIELDS) == answer


def test_no_boxes_is_a_valid_answer() -> None:
    assert check("bbox", SETTINGS, [], FIELDS) == []


def test_a_url_image_has_unknown_size_so_only_signs_are_checked() -> None:
    fields = {"image": "https://example.org/cat.png"}
    assert check("bbox", SETTINGS, [box(5000, 5000, 10, 10)], fields) == [box(5000, 5000, 10, 10)]
    rejects("bbox", SETTINGS, [box(-1, 0, 10, 10)], "[0].x", ">= 0", fields)


def test_a_media_object_without_a_size_is_treated_as_unknown() -> None:
    fields = {"image": {"src": "/api/media/x", "width": None}}
    assert check("bbox", SETTINGS, [box(5000, 1, 1, 1)], fields)


def test_unknown_keys_are_not_kept() -> None:
    answer = [{**box(1, 1, 1, 1), "score": 0.9}]
    rejects("bbox", SETTINGS, answer, "[0].score", "no such key", FIELDS)


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        (box(0, 0, 1, 1), "", "a list of boxes"),
        ([[0, 0, 1, 1]], "[0]", "an object with keys x, y, width, height, label"),
        ([{"x": 0, "y": 0, "width": 1, "label": "car"}], "[0].height", "a value"),
        ([box("1", 0, 1, 1)], "[0].x", "a finite number"),
        ([box(True, 0, 1, 1)], "[0].x", "a finite number"),
        ([box(float("nan"), 0, 1, 1)], "[0].x", "a finite number"),
        ([box(0, -0.5, 1, 1)], "[0].y", ">= 0"),
        ([box(0, 0, 0, 1)], "[0].width", "> 0"),
        ([box(0, 0, 1, -3)], "[0].height", "> 0"),
        ([box(0, 0, 1, 1), box(0, 0, 1, 1), box(600, 0, 41, 10)], "[2].width", "x + width <= 640"),
        ([box(0, 470, 10, 11)], "[0].height", "y + height <= 480 (the image height)"),
        ([box(641, 0, 1, 1)], "[0].x", "<= 640 (the image width)"),
        ([box(0, 0, 1, 1, "dog")], "[0].label", "one of: car, person"),
    ],
)
def test_bad_boxes_are_rejected(answer: Any, field: str, expected: str) -> None:
    rejects("bbox", SETTINGS, answer, field, expected, FIELDS)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({}, "the item to have a field 'image'"), ({"image": 42}, "an image")],
)
def test_the_item_must_have_an_image(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        check("bbox", SETTINGS, [], fields)
    assert info.value.field == "item.fields.image"
    assert info.value.expected is not None and expected in info.value.expected


def test_bad_settings() -> None:
    settings_rejected("bbox", {"labels": []}, ".labels", "non-empty")
    settings_rejected("bbox", {"labels": ["a"], "field": 3}, ".field", "a valid string")


sizes = st.integers(1, 4000)
coords = st.floats(min_value=0, max_value=5000, allow_nan=False)


@given(width=sizes, height=sizes, data=st.data())
def test_every_box_inside_the_image_is_accepted(width: int, height: int, data: Any) -> None:
    x = data.draw(st.floats(0, width, exclude_max=True))
    y = data.draw(st.floats(0, height, exclude_max=True))
    w = data.draw(st.floats(0, width - x, exclude_min=True))
    h = data.draw(st.floats(0, height - y, exclude_min=True))
    fields = {"image": {"src": "/x", "width": width, "height": height}}
    assert check("bbox", SETTINGS, [box(x, y, w, h)], fields) == [box(x, y, w, h)]


@given(
    width=sizes,
    height=sizes,
    x=coords,
    y=coords,
    w=st.floats(-10, 5000, allow_nan=False),
    h=st.floats(-10, 5000, allow_nan=False),
)
def test_a_box_is_accepted_exactly_when_it_fits(
    width: int, height: int, x: float, y: float, w: float, h: float
) -> None:
    fits = w > 0 and h > 0 and x + w <= width and y + h <= height
    clearly_out = w <= 0 or h <= 0 or x + w > width + 1e-3 or y + h > height + 1e-3
    fields = {"image": {"src": "/x", "width": width, "height": height}}
    try:
        check("bbox", SETTINGS, [box(x, y, w, h)], fields)
    except ValidationFailed as error:
        assert not fits
        assert error.field in {f"{PATH}[0].{key}" for key in ("x", "y", "width", "height")}
    else:
        assert not clearly_out
