"""Gold answers and model suggestions given in import rows, beside an item's fields:

    {"external_id": "a1", "fields": {...}, "gold": {"sentiment": "positive"},
     "suggestions": {"sentiment": "negative"}}

`suggestions` may also be a list of {"question", "answer", "score", "agent"}; in CSV both
columns hold JSON. They are checked as each row is read, against the row's own fields, so a
bad one is reported with its line like any other bad value; they are stored once the items
are written, in the same transaction. Only rows that carry them are kept in memory until
then (their answers, not their fields)."""

from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from fairlabel.assist import service as assist_service
from fairlabel.errors import ValidationFailed
from fairlabel.gold import service as gold_service
from fairlabel.items.parsing import RowError
from fairlabel.models import Item, Project
from fairlabel.questions import QuestionSpec, validate_answers

EXTRA_KEYS = ("gold", "suggestions")
IMPORT_AGENT = "import"
_CHUNK = 500


class RowExtras(NamedTuple):
    """What one row adds beside its item, checked and normalised."""

    external_id: str
    gold: dict[str, Any] | None
    suggestions: list[tuple[str, Any, float | None, str]]


def take_extras(record: Any) -> dict[str, Any] | None:
    """Remove the extra keys from a parsed record (they are not item fields); None when
    it has none, which is nearly every row, at the cost of two dictionary lookups."""
    if type(record) is not dict or ("gold" not in record and "suggestions" not in record):
        return None
    return {key: _json_cell(record.pop(key)) for key in EXTRA_KEYS if key in record}


def _json_cell(value: Any) -> Any:
    """CSV cells are text: a JSON object or list in one is read as such."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def check_extras(
    line: int,
    external_id: str,
    fields: dict[str, Any],
    extras: dict[str, Any],
    specs: Sequence[QuestionSpec],
) -> RowExtras | RowError:
    """Gold answers as a submission would be checked; each suggestion as an answer."""
    try:
        gold = _gold(extras.get("gold"), fields, specs)
        suggestions = _suggestions(extras.get("suggestions"), fields, specs)
    except ValidationFailed as exc:
        return RowError(line, exc.field, exc.value, exc.expected or "a valid value", exc.message)
    return RowExtras(external_id, gold, suggestions)


def _gold(
    value: Any, fields: dict[str, Any], specs: Sequence[QuestionSpec]
) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        return validate_answers(specs, value, fields)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, field=f"gold.{exc.field}", value=exc.value, expected=exc.expected
        ) from None


def _suggestions(
    value: Any, fields: dict[str, Any], specs: Sequence[QuestionSpec]
) -> list[tuple[str, Any, float | None, str]]:
    """{question: answer} or [{question, answer, score?, agent?}] → checked tuples."""
    if value is None:
        return []
    if isinstance(value, dict):
        entries = [{"question": q, "answer": a} for q, a in value.items()]
    elif isinstance(value, list):
        entries = value
    else:
        raise ValidationFailed(
            "suggestions must be an object or a list",
            field="suggestions",
            value=value,
            expected="{question: answer} or a list of {question, answer, score, agent}",
        )
    by_name = {spec[0]: spec for spec in specs}
    return [
        _suggestion(entry, f"suggestions[{i}]", fields, by_name) for i, entry in enumerate(entries)
    ]


def _suggestion(
    entry: Any, path: str, fields: dict[str, Any], by_name: dict[str, QuestionSpec]
) -> tuple[str, Any, float | None, str]:
    if not isinstance(entry, dict) or "question" not in entry or "answer" not in entry:
        raise ValidationFailed(
            "a suggestion names its question and answer",
            field=path,
            value=entry,
            expected="an object with question, answer and optionally score and agent",
        )
    spec = by_name.get(entry["question"])
    if spec is None:
        raise ValidationFailed(
            "no such question",
            field=f"{path}.question",
            value=entry["question"],
            expected="one of: " + ", ".join(by_name),
        )
    score, agent = entry.get("score"), entry.get("agent", IMPORT_AGENT)
    if score is not None and (type(score) not in (int, float) or not 0 <= score <= 1):
        raise ValidationFailed(
            "bad score", field=f"{path}.score", value=score, expected="a number from 0 to 1"
        )
    if not isinstance(agent, str) or not 0 < len(agent) <= 200:
        raise ValidationFailed(
            "bad agent", field=f"{path}.agent", value=agent, expected="1 to 200 characters"
        )
    answer = assist_service.checked_answer(spec, entry["answer"], fields, path)
    return spec[0], answer, None if score is None else float(score), agent


def store_extras(db: Session, project: Project, extras: Sequence[RowExtras]) -> None:
    """Once the items are written: mark gold items and store suggestions."""
    if not extras:
        return
    ids = _item_ids(db, project.id, [extra.external_id for extra in extras])
    gold = [(ids[e.external_id], e.gold) for e in extras if e.gold is not None]
    if gold:
        gold_service.set_gold_many(db, project, gold, None)
    rows = [
        assist_service.suggestion_row(project.id, ids[e.external_id], *suggestion)
        for e in extras
        for suggestion in e.suggestions
    ]
    assist_service.upsert(db, rows)


def _item_ids(db: Session, project_id: int, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), _CHUNK):
        chunk = external_ids[start : start + _CHUNK]
        query = select(Item.external_id, Item.id).where(
            tuple_(Item.project_id, Item.external_id).in_([(project_id, e) for e in chunk])
        )
        found.update({external_id: item_id for external_id, item_id in db.execute(query)})
    return found
