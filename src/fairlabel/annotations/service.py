"""Drafts, submissions and revisions. Annotations are versioned: a change is a new row and
the old one stays; a repeated request answers with what the first one made.

Like the queue, these read and write plain rows with statements built once: a submission
is part of every unit of work, and ORM loading and flushing would cost more than the SQL."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import Insert, Select, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.chat import service as chat
from fairlabel.db import utcnow
from fairlabel.errors import Conflict, Forbidden, NotFound, PayloadTooLarge
from fairlabel.gold import service as gold
from fairlabel.models import Annotation, AssignmentStatus, Draft, Item, User
from fairlabel.pay import service as pay
from fairlabel.prompts import service as prompts
from fairlabel.quality import service as consensus
from fairlabel.questions import QuestionSpec, validate_answers
from fairlabel.queue.service import (
    ASSIGNMENT_ROW,
    ASSIGNMENTS,
    AlreadySubmitted,
    AssignmentRow,
    DraftRow,
    ProjectRow,
    QuestionRow,
    assignment_not_found,
    dialect,
    end_assignment,
    ensure_active,
    get_own_assignment,
    load_project,
    load_project_with_questions,
    run,
)
from fairlabel.review import stages as workflow

#: Autosaved work in progress may be partial, but not unbounded.
MAX_DRAFT_BYTES = 1_000_000
ITEMS = cast(Table, Item.__table__)
DRAFTS = cast(Table, Draft.__table__)
ANNOTATIONS = cast(Table, Annotation.__table__)
USERS = cast(Table, User.__table__)


class AnnotationRow(NamedTuple):
    id: int
    assignment_id: int
    project_id: int
    item_id: int
    worker_id: int
    version: int
    is_latest: bool
    answers: dict[str, Any]
    guideline_version: int
    time_spent_ms: int
    created_at: datetime
    source: str
    corrects_id: int | None
    awaiting_stage: str | None
    verdict: str | None


ANNOTATION_ROW = tuple(ANNOTATIONS.c[name] for name in AnnotationRow._fields)


class Answering(NamedTuple):
    """A locked assignment being answered, with the fields its answers are checked against."""

    assignment: AssignmentRow
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The annotation a request produced, or found when it repeated an earlier request."""

    annotation: AnnotationRow
    replayed: bool


# --- statements ---------------------------------------------------------------------------


def _draft_upsert(dialect_insert: Callable[[Table], Any]) -> Insert:
    statement = dialect_insert(DRAFTS)
    changed = {name: statement.excluded[name] for name in DraftRow._fields}
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[DRAFTS.c.assignment_id], set_=changed
    )
    return upsert


SAVE_DRAFT = {
    "postgresql": _draft_upsert(postgresql.insert),
    "sqlite": _draft_upsert(sqlite.insert),
}

COUNT_SUBMITTED = (
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("p_item"))
    .values(submitted=ITEMS.c.submitted + 1, updated_at=bindparam("p_now"))
)

DROP_DRAFT = delete(DRAFTS).where(DRAFTS.c.assignment_id == bindparam("p_assignment"))

NEW_VERSION = insert(ANNOTATIONS).returning(ANNOTATIONS.c.id)

NOT_LATEST = (
    update(ANNOTATIONS)
    .where(ANNOTATIONS.c.id == bindparam("p_annotation"))
    .values(is_latest=False, awaiting_stage=None)
)

#: The caller's assignment, locked (on PostgreSQL), with its item's fields: one statement
#: where two would each cost a round trip. (Whether a draft exists cannot come with it: a
#: draft saved while this waited for the lock is not in the statement's snapshot.)
ANSWERING = (
    select(*ASSIGNMENT_ROW, ITEMS.c.fields)
    .join(ITEMS, ITEMS.c.id == ASSIGNMENTS.c.item_id)
    .where(
        ASSIGNMENTS.c.id == bindparam("p_assignment"),
        ASSIGNMENTS.c.worker_id == bindparam("p_worker"),
    )
    .with_for_update(of=ASSIGNMENTS)
)


def _annotations(*conditions: Any) -> Select[Any]:
    return select(*ANNOTATION_ROW).where(*conditions)


FIRST_VERSION = _annotations(
    ANNOTATIONS.c.assignment_id == bindparam("p_assignment"), ANNOTATIONS.c.version == 1
)
LATEST_VERSION = _annotations(
    ANNOTATIONS.c.assignment_id == bindparam("p_assignment"), ANNOTATIONS.c.is_latest.is_(True)
)
ANNOTATION = _annotations(ANNOTATIONS.c.id == bindparam("p_annotation"))


# --- drafts -------------------------------------------------------------------------------


def save_draft(
    db: Session, worker_id: int, assignment_id: int, answers: dict[str, Any], time_spent_ms: int
) -> DraftRow:
    """Keep partial answers without validating them, while the lease is live."""
    assignment = get_own_assignment(db, assignment_id, worker_id, lock=True)
    ensure_active(assignment, utcnow())
    size = len(orjson.dumps(answers))
    if size > MAX_DRAFT_BYTES:
        raise PayloadTooLarge(
            "the draft is too large",
            field="answers",
            value=f"{size} bytes of JSON",
            expected=f"at most {MAX_DRAFT_BYTES} bytes",
        )
    draft = DraftRow(answers=answers, time_spent_ms=time_spent_ms, updated_at=utcnow())
    run(db, SAVE_DRAFT[dialect(db)], {"assignment_id": assignment.id, **draft._asdict()})
    return draft


# --- submit and revise --------------------------------------------------------------------


def submit(
    db: Session, worker_id: int, assignment_id: int, answers: dict[str, Any], time_spent_ms: int
) -> Outcome:
    """Version 1 of the worker's annotation. A repeat with the same answers returns it and
    creates nothing; different answers must go through revise."""
    answering = _answering(db, assignment_id, worker_id)
    assignment = answering.assignment
    if assignment.status == AssignmentStatus.submitted:
        return _replay_submit(db, answering, answers)
    ensure_active(assignment, utcnow())
    normalised, project = _normalise(db, answering, answers)
    time_spent_ms = max(time_spent_ms, chat.waited_ms(normalised))
    now = utcnow()
    end_assignment(db, assignment, AssignmentStatus.submitted, now)
    run(db, COUNT_SUBMITTED, {"p_item": assignment.item_id, "p_now": now})
    run(db, DROP_DRAFT, {"p_assignment": assignment.id})
    version = Version(normalised, project.guideline_version, time_spent_ms, 1)
    awaiting = workflow.stage_after_submit(project.workflow, assignment)
    annotation = _insert_version(db, assignment, version, awaiting_stage=awaiting)
    pay.earn_on_submit(db, project, assignment.id, time_spent_ms, reviewed=awaiting is not None)
    gold.score_submission(db, assignment, normalised)
    consensus.refresh_item(db, assignment.item_id)
    return Outcome(annotation, replayed=False)


def _answering(db: Session, assignment_id: int, worker_id: int) -> Answering:
    params = {"p_assignment": assignment_id, "p_worker": worker_id}
    row = run(db, ANSWERING, params).one_or_none()
    if row is None:
        raise assignment_not_found(assignment_id)
    width = len(AssignmentRow._fields)
    return Answering(AssignmentRow(*row[:width]), row[width])


def _replay_submit(db: Session, answering: Answering, answers: dict[str, Any]) -> Outcome:
    first = _one(db, FIRST_VERSION, {"p_assignment": answering.assignment.id})
    assert first is not None  # a submitted assignment always has version 1
    if _same_answers(db, answering, answers, first.answers):
        return Outcome(first, replayed=True)
    raise AlreadySubmitted(
        "this assignment was already submitted with other answers",
        field="answers",
        value=answers,
        expected="use revise to change a submitted annotation",
    )


def revise(
    db: Session,
    principal: Principal,
    annotation_id: int,
    answers: dict[str, Any],
    time_spent_ms: int,
) -> Outcome:
    """A new version by the same worker; the previous one stays, no longer the latest.
    Revising from a stale version is refused, so no change is lost silently."""
    annotation = _visible_annotation(db, principal, annotation_id)
    if annotation.worker_id != principal.id:
        raise Forbidden(
            "only the worker who made an annotation may revise it",
            field="annotation_id",
            value=annotation_id,
            expected="one of your own annotations",
        )
    answering = _answering(db, annotation.assignment_id, principal.id)
    assignment = answering.assignment
    latest = _one(db, LATEST_VERSION, {"p_assignment": assignment.id})
    assert latest is not None  # every submitted assignment has exactly one latest version
    normalised, project = _normalise(db, answering, answers)
    if normalised == latest.answers and latest.version - annotation.version in (0, 1):
        return Outcome(latest, replayed=True)
    if latest.id != annotation.id:
        raise newer_version_exists(annotation_id, latest.id)
    workflow.ensure_revisable(db, latest)
    version = Version(normalised, project.guideline_version, time_spent_ms, latest.version + 1)
    revised = replace_latest(db, assignment, latest, version)
    consensus.refresh_item(db, assignment.item_id)  # the item's consensus counts the latest
    return Outcome(revised, replayed=False)


def newer_version_exists(annotation_id: int, latest_id: int) -> Conflict:
    return Conflict(
        "a newer version of this annotation exists",
        field="annotation_id",
        value=annotation_id,
        expected=f"the latest version, id {latest_id}",
    )


class Version(NamedTuple):
    """What a new annotation version records beside its assignment."""

    answers: dict[str, Any]
    guideline_version: int
    time_spent_ms: int
    number: int


def replace_latest(
    db: Session,
    assignment: AssignmentRow,
    latest: AnnotationRow,
    version: Version,
    *,
    author_id: int | None = None,
    source: str = "worker",
) -> AnnotationRow:
    """A new latest version; a review stage the old one awaited passes on to it."""
    run(db, NOT_LATEST, {"p_annotation": latest.id})
    return _insert_version(
        db,
        assignment,
        version,
        awaiting_stage=latest.awaiting_stage if source == "worker" else None,
        author_id=author_id,
        source=source,
        corrects_id=latest.id if source == "correction" else None,
    )


def _insert_version(
    db: Session,
    assignment: AssignmentRow,
    version: Version,
    *,
    awaiting_stage: str | None,
    author_id: int | None = None,
    source: str = "worker",
    corrects_id: int | None = None,
) -> AnnotationRow:
    """`author_id` differs from the assignment's worker for a reviewer's correction."""
    values: dict[str, Any] = {
        "assignment_id": assignment.id,
        "project_id": assignment.project_id,
        "item_id": assignment.item_id,
        "worker_id": author_id if author_id is not None else assignment.worker_id,
        "version": version.number,
        "is_latest": True,
        "answers": version.answers,
        "guideline_version": version.guideline_version,
        "time_spent_ms": version.time_spent_ms,
        "created_at": utcnow(),
        "source": source,
        "corrects_id": corrects_id,
        "awaiting_stage": awaiting_stage,
        "verdict": None,
    }
    return AnnotationRow(id=run(db, NEW_VERSION, values).scalar_one(), **values)


def _same_answers(
    db: Session, answering: Answering, answers: dict[str, Any], stored: dict[str, Any]
) -> bool:
    """A retry usually sends exactly what was stored; otherwise compare normalised forms."""
    return answers == stored or _normalise(db, answering, answers)[0] == stored


def _normalise(
    db: Session, answering: Answering, answers: dict[str, Any]
) -> tuple[dict[str, Any], ProjectRow]:
    """Answers checked against the project's questions and the item's fields, and the
    project (its guideline version in force is recorded, its workflow applied)."""
    project, questions = load_project_with_questions(db, answering.assignment.project_id)
    normalised = validate_answers(specs(questions), answers, answering.fields)
    completed = resolve_generated(db, project.id, answering.assignment.id, questions, normalised)
    return completed, project


def resolve_generated(
    db: Session,
    project_id: int,
    assignment_id: int,
    questions: list[QuestionRow],
    answers: dict[str, Any],
) -> dict[str, Any]:
    """Checked answers completed from what the platform stored for the assignment: live
    answers from its generated turns (so none names a candidate never generated), prompts
    with their nearest earlier one. Submissions, revisions and reviewers' corrections of the
    assignment's work all pass here, so every version keeps its record."""
    answers = chat.resolve_answers(db, assignment_id, questions, answers)
    return prompts.resolve_answers(db, project_id, assignment_id, questions, answers)


def specs(questions: list[QuestionRow]) -> list[QuestionSpec]:
    return [(q.name, q.type, q.settings, q.required) for q in questions]


def one_annotation(db: Session, annotation_id: int) -> AnnotationRow | None:
    return _one(db, ANNOTATION, {"p_annotation": annotation_id})


def _one(db: Session, query: Select[Any], params: dict[str, Any]) -> AnnotationRow | None:
    row = run(db, query, params).one_or_none()
    return None if row is None else AnnotationRow(*row)


# --- reading ------------------------------------------------------------------------------


def _visible_annotation(db: Session, principal: Principal, annotation_id: int) -> AnnotationRow:
    """The worker who made it, and members of the project's organization, may see it."""
    annotation = _one(db, ANNOTATION, {"p_annotation": annotation_id})
    if annotation is not None and annotation.worker_id != principal.id:
        try:
            policies.read_project_data(principal, load_project(db, annotation.project_id))
        except NotFound:
            annotation = None
    if annotation is None:
        raise NotFound(
            "no such annotation",
            field="annotation_id",
            value=annotation_id,
            expected="an annotation you made or one of your organization's",
        )
    return annotation


def _with_pseudonym(query: Select[Any]) -> Select[Any]:
    return query.add_columns(USERS.c.pseudonym).join(USERS, USERS.c.id == ANNOTATIONS.c.worker_id)


def _pairs(db: Session, query: Select[Any]) -> list[tuple[AnnotationRow, str]]:
    width = len(AnnotationRow._fields)
    return [(AnnotationRow(*row[:width]), row[width]) for row in run(db, query)]


def list_versions(
    db: Session, principal: Principal, annotation_id: int
) -> list[tuple[AnnotationRow, str]]:
    """Every version of one annotation, oldest first, each with its worker's pseudonym."""
    annotation = _visible_annotation(db, principal, annotation_id)
    query = _with_pseudonym(
        select(*ANNOTATION_ROW).where(ANNOTATIONS.c.assignment_id == annotation.assignment_id)
    )
    return _pairs(db, query.order_by(ANNOTATIONS.c.version))


def list_project_annotations(
    db: Session, project_id: int, after: int | None, limit: int
) -> list[tuple[AnnotationRow, str]]:
    """Latest versions in id order, paged by id so that a page costs the same at any depth."""
    query = _with_pseudonym(
        select(*ANNOTATION_ROW).where(
            ANNOTATIONS.c.project_id == project_id, ANNOTATIONS.c.is_latest.is_(True)
        )
    )
    if after is not None:
        query = query.where(ANNOTATIONS.c.id > after)
    return _pairs(db, query.order_by(ANNOTATIONS.c.id).limit(limit))
