"""Storing model suggestions and reading them for a labelling screen.

Every suggestion is checked like a worker's answer (against the question's settings and the
item), so a pre-fill can always be submitted as it is; a batch with any bad suggestion is
refused whole, each bad one listed."""

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.assist.backends import Backend, BackendItem, BackendQuestion, Prediction
from fairlabel.assist.schemas import SuggestionIn
from fairlabel.db import utcnow
from fairlabel.errors import ValidationFailed
from fairlabel.models import Item, Project, Suggestion
from fairlabel.questions import QuestionSpec, validate_answers

SUGGESTIONS = cast(Table, Suggestion.__table__)
ITEMS = cast(Table, Item.__table__)

FOR_ITEM = (
    select(SUGGESTIONS.c.question, SUGGESTIONS.c.answer, SUGGESTIONS.c.score, SUGGESTIONS.c.agent)
    .where(SUGGESTIONS.c.item_id == bindparam("p_item"))
    .order_by(SUGGESTIONS.c.question, SUGGESTIONS.c.score.desc(), SUGGESTIONS.c.agent)
)


def for_item(db: Session, item_id: int) -> list[dict[str, Any]]:
    """An item's suggestions, best score first within each question."""
    rows = db.connection().execute(FOR_ITEM, {"p_item": item_id})
    return [row._asdict() for row in rows]


def store(db: Session, project: Project, suggestions: Sequence[SuggestionIn]) -> int:
    """Validate every suggestion, then upsert them all on (item, question, agent)."""
    items = _items_named(db, project.id, suggestions)
    specs = {q.name: (q.name, q.type, q.settings, False) for q in project.questions}
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for index, suggestion in enumerate(suggestions):
        try:
            rows.append(_row(project.id, items, specs, suggestion, f"[{index}]"))
        except ValidationFailed as exc:
            problems.append({"field": exc.field, "value": exc.value, "expected": exc.expected})
    if problems:
        first = problems[0]
        raise ValidationFailed(
            f"{len(problems)} of {len(suggestions)} suggestions are invalid; none was stored",
            field=first["field"],
            value=first["value"],
            expected=first["expected"],
            details=problems,
        )
    upsert(db, rows)
    return len(rows)


def _items_named(
    db: Session, project_id: int, suggestions: Iterable[SuggestionIn]
) -> dict[int | str, tuple[int, dict[str, Any]]]:
    """Item id and fields by id and by external id, for the items the batch names."""
    ids = {s.item_id for s in suggestions if s.item_id is not None}
    external = {s.external_id for s in suggestions if s.external_id is not None}
    found: dict[int | str, tuple[int, dict[str, Any]]] = {}
    columns = (ITEMS.c.id, ITEMS.c.external_id, ITEMS.c.fields)
    for chunk in _chunks(sorted(ids)):
        query = select(*columns).where(ITEMS.c.project_id == project_id, ITEMS.c.id.in_(chunk))
        found.update({row.id: (row.id, row.fields) for row in db.execute(query)})
    for chunk in _chunks(sorted(external)):
        query = select(*columns).where(
            tuple_(ITEMS.c.project_id, ITEMS.c.external_id).in_([(project_id, e) for e in chunk])
        )
        found.update({row.external_id: (row.id, row.fields) for row in db.execute(query)})
    return found


def _chunks(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _row(
    project_id: int,
    items: dict[int | str, tuple[int, dict[str, Any]]],
    specs: dict[str, QuestionSpec],
    suggestion: SuggestionIn,
    path: str,
) -> dict[str, Any]:
    """The row to store, or the first thing wrong with this suggestion."""
    field, key = _item_key(suggestion)
    item = items.get(key)
    if item is None:
        raise ValidationFailed(
            "no such item", field=f"{path}.{field}", value=key, expected="an item of this project"
        )
    spec = specs.get(suggestion.question)
    if spec is None:
        raise ValidationFailed(
            "no such question",
            field=f"{path}.question",
            value=suggestion.question,
            expected="one of: " + ", ".join(specs),
        )
    answer = checked_answer(spec, suggestion.answer, item[1], path)
    return suggestion_row(project_id, item[0], spec[0], answer, suggestion.score, suggestion.agent)


def checked_answer(spec: QuestionSpec, answer: Any, fields: dict[str, Any], path: str) -> Any:
    """A suggested answer checked like a worker's, its errors placed under `path`."""
    try:
        checked = validate_answers([spec], {spec[0]: answer}, fields)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, field=f"{path}.{exc.field}", value=exc.value, expected=exc.expected
        ) from None
    if spec[0] not in checked:
        raise ValidationFailed(
            "a suggestion must answer", field=f"{path}.answer", value=answer, expected="an answer"
        )
    return checked[spec[0]]


def suggestion_row(
    project_id: int, item_id: int, question: str, answer: Any, score: float | None, agent: str
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "item_id": item_id,
        "question": question,
        "answer": answer,
        "score": score,
        "agent": agent,
        "created_at": utcnow(),
    }


def _item_key(suggestion: SuggestionIn) -> tuple[str, int | str]:
    """Which field names the item, and its value (the schema requires exactly one)."""
    if suggestion.item_id is not None:
        return "item_id", suggestion.item_id
    return "external_id", cast(str, suggestion.external_id)


def upsert(db: Session, rows: list[dict[str, Any]]) -> None:
    """Store suggestion rows, replacing those of the same item, question and agent."""
    if not rows:
        return
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(SUGGESTIONS)
    statement = statement.on_conflict_do_update(
        index_elements=[SUGGESTIONS.c.item_id, SUGGESTIONS.c.question, SUGGESTIONS.c.agent],
        set_={name: statement.excluded[name] for name in ("answer", "score", "created_at")},
    )
    for chunk in _chunks(rows):
        db.execute(statement, chunk)


def backend_questions(project: Project, backend: Backend) -> list[BackendQuestion]:
    """The project's questions this backend can answer."""
    questions = [BackendQuestion(q.name, q.type, dict(q.settings)) for q in project.questions]
    return [q for q in questions if backend.serves(q)]


def prelabel(
    db: Session, project: Project, backend: Backend, item_ids: Sequence[int]
) -> dict[str, Any]:
    """Ask a backend for one batch and keep what passes the check (see `keep_predictions`).
    A backend failure (`BackendFailed`) propagates for the job to report and retry."""
    questions = backend_questions(project, backend)
    items = batch_items(db, project.id, item_ids)
    predictions = backend.predict(questions, items) if questions and items else []
    return keep_predictions(db, project, backend, items, predictions)


def batch_items(db: Session, project_id: int, item_ids: Sequence[int]) -> list[BackendItem]:
    query = select(ITEMS.c.id, ITEMS.c.fields).where(
        ITEMS.c.project_id == project_id, ITEMS.c.id.in_(list(item_ids))
    )
    return [BackendItem(row.id, row.fields) for row in db.execute(query.order_by(ITEMS.c.id))]


def keep_predictions(
    db: Session,
    project: Project,
    backend: Backend,
    items: Sequence[BackendItem],
    predictions: Sequence[Prediction],
) -> dict[str, Any]:
    """Store the predictions that pass the answer check, under the backend's name.

    Unlike `store`, a bad prediction does not refuse the batch: it is listed in the report
    and left out, so one wrong region never costs the good ones, and nothing broken is kept."""
    fields = {item.id: item.fields for item in items}
    specs = {
        q.name: (q.name, q.type, q.settings, False) for q in backend_questions(project, backend)
    }
    stored: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for p in predictions:
        path = f"item {p.item_id}"
        try:
            if p.item_id not in fields or p.question not in specs:
                raise ValidationFailed(
                    "not asked", field=path, value=p.question, expected="an item and question asked"
                )
            answer = checked_answer(specs[p.question], p.answer, fields[p.item_id], path)
            stored.append(
                suggestion_row(project.id, p.item_id, p.question, answer, p.score, backend.name)
            )
        except ValidationFailed as exc:
            problems.append({"field": exc.field, "value": exc.value, "expected": exc.expected})
    upsert(db, stored)
    return {"items": len(items), "stored": len(stored), "problems": problems}
