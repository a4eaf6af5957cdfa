"""Gold items: known answers a client sets on items, served hidden among ordinary work, and
each worker's running score on them.

A gold item is closed to the ordinary queue (is_open false) and its leases never count in
`taken`: every worker may get it once, at the project's gold rate (gold/serving.py). Only the
first submission is scored; a revision of a gold annotation does not rescore, so a worker
cannot raise their accuracy by editing after the fact, nor lose it."""

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Insert, Select, Table, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.dueprocess import audit
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.errors import ValidationFailed
from fairlabel.gold import serving
from fairlabel.gold.schemas import AccuracyReport, Figures, MissedGold, MyGold, WorkerAccuracy
from fairlabel.gold.serving import GOLD_SCORES, LABEL_STAGE, OVERALL
from fairlabel.items.errors import item_not_found
from fairlabel.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Gold,
    Item,
    Project,
    User,
)
from fairlabel.questions import QuestionSpec, score_answers, validate_answers
from fairlabel.questions.validate import error_detail, summarised
from fairlabel.queue.service import AssignmentRow, dialect, load_project_with_questions, run

ITEMS = cast(Table, Item.__table__)
GOLD = cast(Table, Gold.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
ANNOTATIONS = cast(Table, Annotation.__table__)
USERS = cast(Table, User.__table__)

#: z for a 95% interval.
Z95 = 1.959963984540054


class GoldRow(NamedTuple):
    item_id: int
    external_id: str
    answers: dict[str, Any]
    created_at: datetime


# --- statements ---------------------------------------------------------------------------


def _gold_upsert(dialect_insert: Callable[[Table], Any]) -> Insert:
    statement = dialect_insert(GOLD)
    changed = {
        name: statement.excluded[name] for name in ("answers", "created_by_id", "created_at")
    }
    upsert: Insert = statement.on_conflict_do_update(index_elements=[GOLD.c.item_id], set_=changed)
    return upsert


def _score_upsert(dialect_insert: Callable[[Table], Any]) -> Insert:
    """Adds to a running score, creating it on a worker's first gold item."""
    statement = dialect_insert(GOLD_SCORES)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[GOLD_SCORES.c.project_id, GOLD_SCORES.c.worker_id, GOLD_SCORES.c.question],
        set_={
            "seen": GOLD_SCORES.c.seen + statement.excluded.seen,
            "correct": GOLD_SCORES.c.correct + statement.excluded.correct,
            "updated_at": statement.excluded.updated_at,
        },
    )
    return upsert


SET_GOLD = {"postgresql": _gold_upsert(postgresql.insert), "sqlite": _gold_upsert(sqlite.insert)}
ADD_SCORES = {
    "postgresql": _score_upsert(postgresql.insert),
    "sqlite": _score_upsert(sqlite.insert),
}

GOLD_ANSWERS = select(GOLD.c.answers).where(GOLD.c.item_id == bindparam("p_item"))

GOLD_ROW = (GOLD.c.item_id, ITEMS.c.external_id, GOLD.c.answers, GOLD.c.created_at)

#: Places an item holds: its live and submitted label leases (gold leases included, since
#: their annotations are real work once the item is ordinary again).
_HELD_PLACES = (
    select(func.count())
    .where(
        ASSIGNMENTS.c.item_id == ITEMS.c.id,
        ASSIGNMENTS.c.stage == LABEL_STAGE,
        ASSIGNMENTS.c.status.in_([AssignmentStatus.active, AssignmentStatus.submitted]),
    )
    .scalar_subquery()
)


# --- marking gold -------------------------------------------------------------------------


def set_gold(
    db: Session, project: Project, item_id: int, answers: dict[str, Any], user_id: int | None
) -> GoldRow:
    """Make one item of `project` gold with these known answers (replacing earlier ones).
    Bad answers raise ValidationFailed naming `answers.<question>`; nothing is changed."""
    return set_gold_many(db, project, [(item_id, answers)], user_id)[0]


def set_gold_many(
    db: Session,
    project: Project,
    entries: Sequence[tuple[int, dict[str, Any]]],
    user_id: int | None,
) -> list[GoldRow]:
    """Mark many items gold in a few statements, for imports. Every entry is checked first;
    any bad one raises (details list each, with its item_id) and nothing is changed. An
    item id not in the project raises NotFound."""
    fields = _item_fields(db, project.id, [item_id for item_id, _ in entries])
    checked = _checked_answers(_specs(project.questions), entries, fields)
    if not checked:
        return []
    now = utcnow()
    rows = [
        {
            "item_id": item_id,
            "project_id": project.id,
            "answers": answers,
            "created_by_id": user_id,
            "created_at": now,
        }
        for item_id, answers in checked.items()
    ]
    run(db, SET_GOLD[dialect(db)], rows)
    run(
        db,
        update(ITEMS)
        .where(ITEMS.c.id.in_(list(checked)))
        .values(is_gold=True, is_open=False, updated_at=now),
    )
    return [GoldRow(i, fields[i][0], answers, now) for i, answers in checked.items()]


def _item_fields(db: Session, project_id: int, item_ids: list[int]) -> dict[int, tuple[str, Any]]:
    """(external_id, fields) of each item; an id not in the project is a 404."""
    rows = run(
        db,
        select(ITEMS.c.id, ITEMS.c.external_id, ITEMS.c.fields).where(
            ITEMS.c.project_id == project_id, ITEMS.c.id.in_(item_ids)
        ),
    )
    found = {item_id: (external_id, fields) for item_id, external_id, fields in rows}
    for item_id in item_ids:
        if item_id not in found:
            raise item_not_found(item_id)
    return found


def _checked_answers(
    specs: list[QuestionSpec],
    entries: Sequence[tuple[int, dict[str, Any]]],
    fields: dict[int, tuple[str, Any]],
) -> dict[int, dict[str, Any]]:
    """Normalised answers per item, checked exactly as a submission would be."""
    checked: dict[int, dict[str, Any]] = {}
    failures: list[tuple[int, ValidationFailed]] = []
    for item_id, answers in entries:
        try:
            checked[item_id] = validate_answers(specs, answers, fields[item_id][1])
        except ValidationFailed as error:
            failures.append((item_id, error))
    if failures:
        raise _failed(failures, len(entries))
    return checked


def _failed(failures: list[tuple[int, ValidationFailed]], entries: int) -> ValidationFailed:
    """One item's error as is; for a batch, the first headlines and details list them all."""
    item_id, first = failures[0]
    if entries == 1:
        return first
    return summarised(
        f"{len(failures)} gold items have invalid answers; first, item {item_id}: ",
        [error for _, error in failures],
        [{"item_id": failed_id, **error_detail(error)} for failed_id, error in failures],
    )


def _specs(questions: Iterable[Any]) -> list[QuestionSpec]:
    """Questions as ORM rows or the queue's plain rows, in the shape validation takes."""
    return [(q.name, q.type, q.settings, q.required) for q in questions]


def unset_gold(db: Session, project: Project, item_id: int) -> None:
    """The item is ordinary again: its places are recounted from its label leases, so it
    reopens if fewer workers than the overlap have it. Its workers' scores stay."""
    _item_fields(db, project.id, [item_id])
    run(db, delete(GOLD).where(GOLD.c.item_id == item_id))
    run(
        db,
        update(ITEMS)
        .where(ITEMS.c.id == item_id)
        .values(
            is_gold=False,
            taken=_HELD_PLACES,
            is_open=project.overlap > _HELD_PLACES,
            updated_at=utcnow(),
        ),
    )


def list_gold(db: Session, project_id: int, after: int | None, limit: int) -> list[GoldRow]:
    """Gold items in item id order, paged by id."""
    query = (
        select(*GOLD_ROW)
        .join(ITEMS, ITEMS.c.id == GOLD.c.item_id)
        .where(GOLD.c.project_id == project_id)
    )
    if after is not None:
        query = query.where(GOLD.c.item_id > after)
    return [GoldRow(*row) for row in run(db, query.order_by(GOLD.c.item_id).limit(limit))]


# --- scoring ------------------------------------------------------------------------------


def score_submission(db: Session, assignment: AssignmentRow, answers: dict[str, Any]) -> None:
    """Add a first submission on a gold item to the worker's running scores: one key lookup
    for any item, and for a gold item one more read and one upsert. Rework is not scored."""
    if assignment.stage != LABEL_STAGE:
        return
    expected = run(db, GOLD_ANSWERS, {"p_item": assignment.item_id}).scalar_one_or_none()
    if expected is None:
        return
    project, questions = load_project_with_questions(db, assignment.project_id)
    scores = score_answers(_specs(questions), answers, expected)
    if not scores:
        return
    now = utcnow()
    per_item = {**scores, OVERALL: _item_score(scores)}
    rows = [
        {
            "project_id": assignment.project_id,
            "worker_id": assignment.worker_id,
            "question": question,
            "seen": 1,
            "correct": score,
            "updated_at": now,
        }
        for question, score in per_item.items()
    ]
    run(db, ADD_SCORES[dialect(db)], rows)
    _record_gate_closing(db, project, assignment.worker_id, per_item[OVERALL])


def _record_gate_closing(
    db: Session, project: serving.GoldSettings, worker_id: int, item_score: float
) -> None:
    """The gate's decision in the worker's audit trail once, when this item is the one that
    took them below the bar (not on each next-task it refuses). Only with a bar set."""
    below = serving.below_bar(db, project, worker_id)
    if below is None:
        return
    seen = below.gold_seen - 1
    correct = below.accuracy * below.gold_seen - item_score
    if seen >= project.min_gold_seen and correct / seen < below.min_gold_accuracy:
        return  # below already before this item
    audit.record(
        db,
        worker_id=worker_id,
        kind=AuditKind.gold_gate,
        subject_kind="project",
        subject_id=project.id,
        project_id=project.id,
        data={"decision": "closed", **below.model_dump(exclude={"message"})},
    )


def _item_score(scores: dict[str, float]) -> float:
    """A gold item's score: the mean over the questions its known answers cover."""
    return sum(scores.values()) / len(scores)


# --- accuracy -----------------------------------------------------------------------------


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval; it stays inside [0, 1] and is sensible for small n and for
    accuracies of 0 or 1, where the normal approximation is not."""
    p = successes / n
    spread = z * z / n
    centre = (p + spread / 2) / (1 + spread)
    half = z * math.sqrt(p * (1 - p) / n + spread / (4 * n)) / (1 + spread)
    return max(0.0, centre - half), min(1.0, centre + half)


def figures(seen: int, correct: float) -> Figures:
    low, high = wilson(correct, seen)
    return Figures(seen=seen, correct=correct, accuracy=correct / seen, low=low, high=high)


def _scores(project_id: int) -> Select[Any]:
    return (
        select(USERS.c.pseudonym, GOLD_SCORES.c.question, GOLD_SCORES.c.seen, GOLD_SCORES.c.correct)
        .join(USERS, USERS.c.id == GOLD_SCORES.c.worker_id)
        .where(GOLD_SCORES.c.project_id == project_id, GOLD_SCORES.c.seen > 0)
        .order_by(USERS.c.pseudonym, GOLD_SCORES.c.question)
    )


def accuracy_report(db: Session, project: Project) -> AccuracyReport:
    """Every worker's figures by pseudonym, and the project's (all workers summed)."""
    workers: dict[str, dict[str, Figures]] = {}
    totals: dict[str, tuple[int, float]] = {}
    for pseudonym, question, seen, correct in run(db, _scores(project.id)):
        workers.setdefault(pseudonym, {})[question] = figures(seen, correct)
        total_seen, total_correct = totals.get(question, (0, 0.0))
        totals[question] = (total_seen + seen, total_correct + correct)
    overall, questions = _split({q: figures(*total) for q, total in totals.items()})
    return AccuracyReport(
        overall=overall,
        questions=questions,
        workers=[
            _worker(pseudonym, rows) for pseudonym, rows in workers.items() if OVERALL in rows
        ],
        min_gold_accuracy=project.min_gold_accuracy,
        min_gold_seen=project.min_gold_seen,
    )


def _worker(pseudonym: str, rows: dict[str, Figures]) -> WorkerAccuracy:
    overall, questions = _split(rows)
    assert overall is not None  # filtered by the caller
    return WorkerAccuracy(worker=pseudonym, overall=overall, questions=questions)


def _split(rows: dict[str, Figures]) -> tuple[Figures | None, dict[str, Figures]]:
    """The per-item row apart from the per-question ones."""
    questions = {name: value for name, value in rows.items() if name != OVERALL}
    return rows.get(OVERALL), questions


def my_gold(db: Session, project: Project, worker_id: int) -> MyGold:
    """A worker's own figures, and once they are below the bar, the gold they missed."""
    rows = run(
        db,
        select(GOLD_SCORES.c.question, GOLD_SCORES.c.seen, GOLD_SCORES.c.correct).where(
            GOLD_SCORES.c.project_id == project.id,
            GOLD_SCORES.c.worker_id == worker_id,
            GOLD_SCORES.c.seen > 0,
        ),
    )
    overall, questions = _split({q: figures(seen, correct) for q, seen, correct in rows})
    below = _is_below(project, overall)
    return MyGold(
        overall=overall,
        questions=questions,
        min_gold_accuracy=project.min_gold_accuracy,
        min_gold_seen=project.min_gold_seen,
        below_bar=below,
        missed=_missed(db, project, worker_id) if below else [],
    )


def _is_below(project: Project, overall: Figures | None) -> bool:
    """The gate's rule (gold/serving.below_bar), on figures already read."""
    bar = project.min_gold_accuracy
    if bar is None or overall is None:
        return False
    return overall.seen >= project.min_gold_seen and overall.accuracy < bar


def _missed(db: Session, project: Project, worker_id: int) -> list[MissedGold]:
    """Gold items whose scored (first) submission was not fully right, oldest first."""
    query = (
        select(
            ITEMS.c.id, ITEMS.c.external_id, ITEMS.c.fields, ANNOTATIONS.c.answers, GOLD.c.answers
        )
        .select_from(ANNOTATIONS)
        .join(GOLD, GOLD.c.item_id == ANNOTATIONS.c.item_id)
        .join(ITEMS, ITEMS.c.id == ANNOTATIONS.c.item_id)
        .where(
            and_(
                ANNOTATIONS.c.project_id == project.id,
                ANNOTATIONS.c.worker_id == worker_id,
                ANNOTATIONS.c.version == 1,
            )
        )
        .order_by(ANNOTATIONS.c.id)
    )
    specs = _specs(project.questions)
    missed = []
    for item_id, external_id, fields, answers, expected in run(db, query):
        scores = score_answers(specs, answers, expected)
        score = _item_score(scores) if scores else 1.0
        if score < 1:
            missed.append(
                MissedGold(
                    item_id=item_id,
                    external_id=external_id,
                    fields=fields,
                    score=score,
                    answers=answers,
                    expected=expected,
                )
            )
    return missed
