"""A rubric's criteria as lines of text, the way the project form's builder takes them: one
criterion per line, its parts separated by "|", all but the name optional:

    name | label | scale | anchors | options
    helpful | Helpfulness | 1-5 | 1=Useless; 5=Solves the task | justification required
    harmless | Harmlessness | | | n/a, no justification

The scale is "min-max" (1-5 when left out); anchors are "point=text" pairs separated by ";";
options are "n/a" (the criterion may not apply) and one of "justification required",
"justification optional" (the default) or "no justification". builder.js reads the same
lines when the form switches to JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NoReturn

from fairlabel.errors import ValidationFailed

_SCALE = re.compile(r"^(-?\d+)\s*(?:-|\u2013|to)\s*(-?\d+)$")  # hyphen, en dash or "to"
_JUSTIFICATION = {
    "justification required": "required",
    "justification optional": "optional",
    "no justification": "none",
}
_OPTIONS = ("n/a", *_JUSTIFICATION)
FORMAT = "name | label | scale | anchors | options"


def parse(text: str) -> list[dict[str, Any]]:
    """The criteria the lines describe, with only the settings they state; a line that does
    not fit the format is an error naming its line number."""
    criteria = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            criteria.append(_criterion(number, line))
    return criteria


def as_text(criteria: Iterable[dict[str, Any]]) -> str:
    """Stored criteria back as lines, leaving out what is the default."""
    return "\n".join(_line(criterion) for criterion in criteria)


def _criterion(number: int, line: str) -> dict[str, Any]:
    parts = [part.strip() for part in line.split("|")]
    if len(parts) > 5:
        _fail(number, line, f"at most 5 parts separated by '|': {FORMAT}")
    name, label, scale, anchors, options = parts + [""] * (5 - len(parts))
    criterion: dict[str, Any] = {"name": name}
    if label:
        criterion["label"] = label
    if scale:
        match = _SCALE.match(scale)
        if match is None:
            _fail(number, scale, "a scale like 1-5")
        criterion["min"], criterion["max"] = int(match.group(1)), int(match.group(2))
    if anchors:
        criterion["anchors"] = _anchors(number, anchors)
    for option in (o.strip() for o in options.split(",") if o.strip()):
        if option.casefold() == "n/a":
            criterion["allow_na"] = True
        elif option.casefold() in _JUSTIFICATION:
            criterion["justification"] = _JUSTIFICATION[option.casefold()]
        else:
            _fail(number, option, "options from: " + ", ".join(_OPTIONS))
    return criterion


def _anchors(number: int, text: str) -> dict[str, str]:
    found = {}
    for pair in (p.strip() for p in text.split(";") if p.strip()):
        point, equals, anchor = pair.partition("=")
        if not equals:
            _fail(number, pair, "anchors like 1=Useless; 5=Excellent")
        found[point.strip()] = anchor.strip()
    return found


def _line(criterion: dict[str, Any]) -> str:
    scale = f"{criterion.get('min', 1)}-{criterion.get('max', 5)}"
    anchors = "; ".join(f"{point}={text}" for point, text in criterion.get("anchors", {}).items())
    options = ["n/a"] * bool(criterion.get("allow_na"))
    justification = criterion.get("justification", "optional")
    if justification != "optional":
        options.append(next(k for k, v in _JUSTIFICATION.items() if v == justification))
    parts = [criterion["name"], criterion.get("label", ""), scale, anchors, ", ".join(options)]
    if parts[2:] == ["1-5", "", ""]:
        parts[2] = ""
    while parts[-1] == "":
        parts.pop()
    return " | ".join(parts)


def _fail(number: int, value: Any, expected: str) -> NoReturn:
    raise ValidationFailed(
        f"line {number}: expected {expected}, got {value!r}",
        field="criteria",
        value=value,
        expected=expected,
    )
