from typing import Any

import pytest

from fairlabel.errors import ValidationFailed

from ._helpers import check, rejects

SETTINGS = {"labels": ["road", "building"]}
FIELDS = {"image": {"src": "/api/media/x", "width": 100, "height": 50}}
TRIANGLE = [[0, 0], [100, 0], [50, 50]]


def test_polygons_inside_the_image_are_accepted() -> None:
    answer = [{"points": TRIANGLE, "label": "road"}]
    assert check("polygon", SETTINGS, answer, FIELDS) == answer


def test_points_given_as_tuples_are_stored_as_lists() -> None:
    answer = [{"points": [(1, 1), (5, 1), (5.5, 4)], "label": "road"}]
    result = check("polygon", SETTINGS, answer, FIELDS)
    assert result == [{"points": [[1, 1], [5, 1], [5.5, 4]], "label": "road"}]


def test_a_url_image_skips_the_upper_bound() -> None:
    answer = [{"points": [[0, 0], [900, 0], [900, 900]], "label": "road"}]
    assert check("polygon", SETTINGS, answer, {"image": "https://x/y.png"}) == answer


def polygon(points: Any, label: Any = "road") -> list[dict[str, Any]]:
    return [{"points": points, "label": label}]


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ({"points": TRIANGLE}, "", "a list of polygons"),
        ([{"points": TRIANGLE}], "[0].label", "a value"),
        (polygon(TRIANGLE, "sky"), "[0].label", "one of: road, building"),
        (polygon("0,0 1,1 2,0"), "[0].points", "a list of [x, y] points"),
        (polygon([[0, 0], [1, 1]]), "[0].points", "at least 3 points"),
        (polygon([[0, 0], [1, 1], [2]]), "[0].points[2]", "an [x, y] pair"),
        (polygon([[0, 0], [1, 1], 5]), "[0].points[2]", "an [x, y] pair"),
        (polygon([[0, 0], [1, "a"], [2, 0]]), "[0].points[1][1]", "a finite number"),
        (polygon([[0, 0], [101, 0], [50, 50]]), "[0].points[1][0]", "<= 100 (the image width)"),
        (polygon([[0, 0], [10, 0], [5, 51]]), "[0].points[2][1]", "<= 50 (the image height)"),
        (polygon([[0, -1], [10, 0], [5, 5]]), "[0].points[0][1]", ">= 0"),
        (polygon([[0, 0], [1, 1], [2, 2]]), "[0].points", "enclose an area"),
    ],
)
def test_bad_polygons_are_rejected(answer: Any, field: str, expected: str) -> None:
    rejects("polygon", SETTINGS, answer, field, expected, FIELDS)


def test_the_image_field_is_required_on_the_item() -> None:
    with pytest.raises(ValidationFailed) as info:
        check("polygon", {**SETTINGS, "field": "photo"}, [], FIELDS)
    assert info.value.field == "item.fields.photo"
