"""Drafts, submissions and revisions. Annotations are versioned: a change is a new row and
the old one stays; a repeated request answers with what the first one made."""

from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import utcnow
from fairlabel.errors import Conflict, Forbidden, NotFound, PayloadTooLarge
from fairlabel.models import Annotation, Assignment, AssignmentStatus, Draft, Item, Project, User
from fairlabel.questions import QuestionSpec, validate_answers
from fairlabel.queue.service import (
    AlreadySubmitted,
    ensure_active,
    get_own_assignment,
    question_rows,
)

#: Autosaved work in progress may be partial, but not unbounded.
MAX_DRAFT_BYTES = 1_000_000
ITEMS = cast(Table, Item.__table__)
DRAFTS = cast(Table, Draft.__table__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The annotation a request produced, or found when it repeated an earlier request."""

    annotation: Annotation
    replayed: bool


# --- drafts -------------------------------------------------------------------------------


def save_draft(
    db: Session, worker_id: int, assignment_id: int, answers: dict[str, Any], time_spent_ms: int
) -> Draft:
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
    draft = db.get(Draft, assignment.id)
    if draft is None:
        draft = Draft(assignment_id=assignment.id)
        db.add(draft)
    draft.answers = answers
    draft.time_spent_ms = time_spent_ms
    draft.updated_at = utcnow()
    db.flush()
    return draft


# --- submit and revise --------------------------------------------------------------------


def submit(
    db: Session, worker_id: int, assignment_id: int, answers: dict[str, Any], time_spent_ms: int
) -> Outcome:
    """Version 1 of the worker's annotation. A repeat with the same answers returns it and
    creates nothing; different answers must go through revise."""
    assignment = get_own_assignment(db, assignment_id, worker_id, lock=True)
    if assignment.status == AssignmentStatus.submitted:
        return _replay_submit(db, assignment, answers)
    ensure_active(assignment, utcnow())
    normalised, guideline_version = _normalise(db, assignment, answers)
    now = utcnow()
    assignment.status = AssignmentStatus.submitted
    assignment.ended_at = now
    db.execute(
        update(ITEMS)
        .where(ITEMS.c.id == assignment.item_id)
        .values(submitted=ITEMS.c.submitted + 1, updated_at=now)
    )
    db.execute(delete(DRAFTS).where(DRAFTS.c.assignment_id == assignment.id))
    annotation = _new_version(assignment, normalised, guideline_version, time_spent_ms, 1)
    db.add(annotation)
    db.flush()
    return Outcome(annotation, replayed=False)


def _replay_submit(db: Session, assignment: Assignment, answers: dict[str, Any]) -> Outcome:
    first = db.scalar(
        select(Annotation).where(Annotation.assignment_id == assignment.id, Annotation.version == 1)
    )
    assert first is not None  # a submitted assignment always has version 1
    if _same_answers(db, assignment, answers, first.answers):
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
    assignment = get_own_assignment(db, annotation.assignment_id, principal.id, lock=True)
    latest = _latest_version(db, assignment.id)
    normalised, guideline_version = _normalise(db, assignment, answers)
    if normalised == latest.answers and latest.version - annotation.version in (0, 1):
        return Outcome(latest, replayed=True)
    if latest.id != annotation.id:
        raise Conflict(
            "a newer version of this annotation exists",
            field="annotation_id",
            value=annotation_id,
            expected=f"the latest version, id {latest.id}",
        )
    latest.is_latest = False
    db.flush()  # the old row loses is_latest before the new one is written
    revised = _new_version(
        assignment, normalised, guideline_version, time_spent_ms, latest.version + 1
    )
    db.add(revised)
    db.flush()
    return Outcome(revised, replayed=False)


def _new_version(
    assignment: Assignment,
    answers: dict[str, Any],
    guideline_version: int,
    time_spent_ms: int,
    version: int,
) -> Annotation:
    return Annotation(
        assignment_id=assignment.id,
        project_id=assignment.project_id,
        item_id=assignment.item_id,
        worker_id=assignment.worker_id,
        version=version,
        is_latest=True,
        answers=answers,
        guideline_version=guideline_version,
        time_spent_ms=time_spent_ms,
        created_at=utcnow(),
    )


def _same_answers(
    db: Session, assignment: Assignment, answers: dict[str, Any], stored: dict[str, Any]
) -> bool:
    """A retry usually sends exactly what was stored; otherwise compare normalised forms."""
    return answers == stored or _normalise(db, assignment, answers)[0] == stored


def _normalise(
    db: Session, assignment: Assignment, answers: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """Answers checked against the project's questions and the item's fields, and the
    guideline version in force, which the annotation records."""
    fields, guideline_version = db.execute(
        select(Item.fields, Project.guideline_version)
        .join(Project, Project.id == Item.project_id)
        .where(Item.id == assignment.item_id)
    ).one()
    specs: list[QuestionSpec] = [
        (q.name, q.type, q.settings, q.required) for q in question_rows(db, assignment.project_id)
    ]
    return validate_answers(specs, answers, fields), guideline_version


def _latest_version(db: Session, assignment_id: int) -> Annotation:
    latest = db.scalar(
        select(Annotation).where(
            Annotation.assignment_id == assignment_id, Annotation.is_latest.is_(True)
        )
    )
    assert latest is not None  # every submitted assignment has exactly one latest version
    return latest


# --- reading ------------------------------------------------------------------------------


def _visible_annotation(db: Session, principal: Principal, annotation_id: int) -> Annotation:
    """The worker who made it, and members of the project's organization, may see it."""
    annotation = db.get(Annotation, annotation_id)
    if annotation is not None and annotation.worker_id != principal.id:
        project = db.get(Project, annotation.project_id)
        assert project is not None
        try:
            policies.read_project_data(principal, project)
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


def list_versions(
    db: Session, principal: Principal, annotation_id: int
) -> list[tuple[Annotation, str]]:
    """Every version of one annotation, oldest first, each with its worker's pseudonym."""
    annotation = _visible_annotation(db, principal, annotation_id)
    rows = db.execute(
        select(Annotation, User.pseudonym)
        .join(User, User.id == Annotation.worker_id)
        .where(Annotation.assignment_id == annotation.assignment_id)
        .order_by(Annotation.version)
    )
    return [(found, pseudonym) for found, pseudonym in rows]


def list_project_annotations(
    db: Session, project_id: int, after: int | None, limit: int
) -> list[tuple[Annotation, str]]:
    """Latest versions in id order, paged by id so that a page costs the same at any depth."""
    query = (
        select(Annotation, User.pseudonym)
        .join(User, User.id == Annotation.worker_id)
        .where(Annotation.project_id == project_id, Annotation.is_latest.is_(True))
        .order_by(Annotation.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Annotation.id > after)
    return [(found, pseudonym) for found, pseudonym in db.execute(query)]
