"""Work queue: leases items to workers, never more than `overlap` at a time per item.

Claiming is one conditional UPDATE of the item's counter, so it is atomic on both databases:
PostgreSQL skips rows other transactions hold (`FOR UPDATE SKIP LOCKED`); SQLite serialises
write transactions (BEGIN IMMEDIATE). The (item, worker, stage) unique constraint is the last
line of defence against handing a worker the same item twice.

The statements on the hot path are built once, with bound parameters: building and hashing
a statement costs more than SQLite takes to run it.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Update,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import Conflict, Gone, NotFound
from fairlabel.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Draft,
    Item,
    Project,
    Question,
    Worker,
)
from fairlabel.projects.service import get_project
from fairlabel.queue.schemas import EmptyReason

LABEL_STAGE = "label"
ITEMS = cast(Table, Item.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
QUESTIONS = cast(Table, Question.__table__)


class AlreadySubmitted(Conflict):
    code = "already_submitted"


class AssignmentReturned(Conflict):
    code = "assignment_returned"


class ItemRow(NamedTuple):
    """What a worker sees of an item: read as plain columns, never as an ORM object."""

    id: int
    external_id: str
    fields: dict[str, Any]
    meta: dict[str, Any]


class QuestionRow(NamedTuple):
    name: str
    type: str
    prompt: str
    required: bool
    settings: dict[str, Any]


ITEM_ROW = (ITEMS.c.id, ITEMS.c.external_id, ITEMS.c.fields, ITEMS.c.meta)


@dataclass(frozen=True, slots=True)
class Lease:
    """The assignment next-task hands out, with the item it claimed just now (None when
    the lease was already held)."""

    assignment: Assignment
    claimed: ItemRow | None


@dataclass(frozen=True, slots=True)
class Empty:
    """Nothing to hand out, and why."""

    reason: EmptyReason
    retry_after_seconds: int | None = None


# --- statements ---------------------------------------------------------------------------


def queue_head() -> Select[tuple[int]]:
    """The id of the item a worker should get next. Its plan must be an ordered walk of
    ix_items_queue that stops at the first match, never a sort of the whole project."""
    queued = ITEMS.alias("queued")
    already_had = exists().where(
        ASSIGNMENTS.c.item_id == queued.c.id,
        ASSIGNMENTS.c.worker_id == bindparam("p_worker"),
        ASSIGNMENTS.c.stage == LABEL_STAGE,
    )
    return (
        select(queued.c.id)
        .where(
            queued.c.project_id == bindparam("p_project"),
            queued.c.is_open.is_(True),
            ~already_had,
        )
        .order_by(queued.c.priority.desc(), queued.c.id)
        .limit(1)
    )


def _claim_statement(skip_locked: bool) -> Update:
    """Take one place on the queue head; PostgreSQL skips heads that others are taking."""
    head = queue_head()
    if skip_locked:
        head = head.with_for_update(skip_locked=True)
    return (
        update(ITEMS)
        .where(ITEMS.c.id == head.scalar_subquery())
        .values(
            taken=ITEMS.c.taken + 1,
            is_open=ITEMS.c.taken + 1 < bindparam("p_overlap"),
            updated_at=bindparam("p_now"),
        )
        .returning(*ITEM_ROW)
    )


CLAIM = {"postgresql": _claim_statement(skip_locked=True), "sqlite": _claim_statement(False)}

SWEEP = (
    update(ASSIGNMENTS)
    .where(
        ASSIGNMENTS.c.project_id == bindparam("p_project"),
        ASSIGNMENTS.c.status == AssignmentStatus.active,
        ASSIGNMENTS.c.expires_at <= bindparam("p_now"),
    )
    .values(status=AssignmentStatus.expired, ended_at=bindparam("p_now"))
    .returning(ASSIGNMENTS.c.item_id)
)

HELD = (
    select(Assignment)
    .where(
        Assignment.worker_id == bindparam("p_worker"),
        Assignment.status == AssignmentStatus.active,
        Assignment.project_id == bindparam("p_project"),
    )
    .order_by(Assignment.id)
    .limit(1)
)

LOCK_WORKER = (
    select(Worker.user_id).where(Worker.user_id == bindparam("p_worker")).with_for_update()
)

QUESTION_ROWS = (
    select(
        QUESTIONS.c.name,
        QUESTIONS.c.type,
        QUESTIONS.c.prompt,
        QUESTIONS.c.required,
        QUESTIONS.c.settings,
    )
    .where(QUESTIONS.c.project_id == bindparam("p_project"))
    .order_by(QUESTIONS.c.position)
)


# --- projects -----------------------------------------------------------------------------


def load_project(db: Session, project_id: int) -> Project:
    """The project row alone (questions are read separately, as plain rows, when needed):
    a third of the cost of loading it with its question objects."""
    project = db.get(Project, project_id)
    return project if project is not None else get_project(db, project_id)  # raises 404


def question_rows(db: Session, project_id: int) -> list[QuestionRow]:
    return [QuestionRow(*row) for row in db.execute(QUESTION_ROWS, {"p_project": project_id})]


# --- leasing ------------------------------------------------------------------------------


def next_assignment(db: Session, project: Project, worker_id: int) -> Lease | Empty:
    """The worker's current lease in this project, or a freshly leased item, or why neither.

    Returning the held lease first makes the call idempotent: a retry or a double-click
    never leases a second item."""
    now = utcnow()
    _serialise_worker(db, worker_id)
    expire_leases(db, project, now)
    held = db.scalar(HELD, {"p_worker": worker_id, "p_project": project.id})
    if held is not None:
        return Lease(held, claimed=None)
    item = _claim_item(db, project, worker_id, now)
    if item is None:
        return _why_empty(db, project, now)
    assignment = Assignment(
        project_id=project.id,
        item_id=item.id,
        worker_id=worker_id,
        stage=LABEL_STAGE,
        status=AssignmentStatus.active,
        leased_at=now,
        expires_at=now + timedelta(seconds=project.lease_seconds),
    )
    db.add(assignment)
    db.flush()
    return Lease(assignment, claimed=item)


def _serialise_worker(db: Session, worker_id: int) -> None:
    """On PostgreSQL two concurrent calls of one worker would each see no held lease and
    each claim an item; locking the worker's row makes the second wait for the first.
    SQLite needs nothing: its write transactions are already serial."""
    if _dialect(db) == "postgresql":
        db.execute(LOCK_WORKER, {"p_worker": worker_id})


def _claim_item(db: Session, project: Project, worker_id: int, now: datetime) -> ItemRow | None:
    """Take one place on the best open item in a single statement: highest priority, then
    lowest id, skipping items this worker already had."""
    params = {
        "p_project": project.id,
        "p_worker": worker_id,
        "p_overlap": project.overlap,
        "p_now": now,
    }
    row = db.execute(CLAIM[_dialect(db)], params).one_or_none()
    return None if row is None else ItemRow(*row)


def _why_empty(db: Session, project: Project, now: datetime) -> Empty:
    """Tell a waiting worker whether work may come back (others' leases) or is done."""
    next_expiry = db.scalar(
        select(func.min(Assignment.expires_at)).where(
            Assignment.project_id == project.id,
            Assignment.status == AssignmentStatus.active,
        )
    )
    if next_expiry is not None:
        wait = max(1, int((next_expiry - now).total_seconds()) + 1)
        return Empty(EmptyReason.leased_to_others, retry_after_seconds=wait)
    open_left = db.scalar(
        select(Item.id).where(Item.project_id == project.id, Item.is_open.is_(True)).limit(1)
    )
    if open_left is not None:
        return Empty(EmptyReason.already_worked_on)
    any_item = db.scalar(select(Item.id).where(Item.project_id == project.id).limit(1))
    return Empty(EmptyReason.complete if any_item is not None else EmptyReason.no_items)


def expire_leases(db: Session, project: Project, now: datetime) -> int:
    """Lazily end leases that ran out and put their items back; drafts are kept.

    One range scan of ix_assignments_lease, normally finding nothing."""
    expired = db.execute(SWEEP, {"p_project": project.id, "p_now": now}).scalars()
    item_ids = list(expired)
    _release(db, item_ids, project.overlap, now)
    return len(item_ids)


def _release(db: Session, item_ids: Iterable[int], overlap: int, now: datetime) -> None:
    """Give places back: taken goes down by the number released, is_open follows.
    Items are updated in id order so concurrent releases lock rows in the same order."""
    by_count: dict[int, list[int]] = {}
    for item_id, count in sorted(Counter(item_ids).items()):
        by_count.setdefault(count, []).append(item_id)
    for count, ids in by_count.items():
        db.execute(
            update(ITEMS)
            .where(ITEMS.c.id.in_(ids))
            .values(
                taken=ITEMS.c.taken - count,
                is_open=ITEMS.c.taken - count < overlap,
                updated_at=now,
            )
        )


# --- one assignment -------------------------------------------------------------------


def get_own_assignment(
    db: Session, assignment_id: int, worker_id: int, *, lock: bool = False
) -> Assignment:
    """The caller's assignment; anyone else's answers 404, as if it did not exist.

    `lock` holds its row to the end of the transaction, serialising submit, draft saves and
    return of one assignment on PostgreSQL (SQLite serialises every write already)."""
    query = select(Assignment).where(
        Assignment.id == assignment_id, Assignment.worker_id == worker_id
    )
    if lock:
        query = query.with_for_update()
    assignment = db.scalar(query)
    if assignment is None:
        raise NotFound(
            "no such assignment",
            field="assignment_id",
            value=assignment_id,
            expected="the id of one of your assignments",
        )
    return assignment


def effective_status(assignment: Assignment, now: datetime) -> str:
    """An active lease past its deadline is expired even before the sweep records it."""
    if assignment.status == AssignmentStatus.active and assignment.expires_at <= now:
        return AssignmentStatus.expired
    return assignment.status


def seconds_left(assignment: Assignment, now: datetime) -> int:
    if effective_status(assignment, now) != AssignmentStatus.active:
        return 0
    return int((assignment.expires_at - now).total_seconds())


def ensure_active(assignment: Assignment, now: datetime) -> None:
    """Work on an assignment needs a live lease; each other state has its own error."""
    status = effective_status(assignment, now)
    if status == AssignmentStatus.active:
        return
    if status == AssignmentStatus.expired:
        raise Gone(
            "the lease on this assignment expired and the item went back to the queue; "
            "your draft is kept",
            field="expires_at",
            value=assignment.expires_at.isoformat(),
            expected="an assignment whose lease has not expired",
        )
    if status == AssignmentStatus.submitted:
        raise AlreadySubmitted(
            "this assignment was already submitted",
            field="status",
            value=status,
            expected="use revise to change a submitted annotation",
        )
    raise AssignmentReturned(
        "this assignment was returned to the queue",
        field="status",
        value=status,
        expected="an active assignment; ask for the next one",
    )


def return_assignment(db: Session, assignment: Assignment) -> Assignment:
    """Voluntary and without penalty: the item goes back to the pool (never to this worker)."""
    now = utcnow()
    ensure_active(assignment, now)
    project = load_project(db, assignment.project_id)
    assignment.status = AssignmentStatus.returned
    assignment.ended_at = now
    _release(db, [assignment.item_id], project.overlap, now)
    db.flush()
    return assignment


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """An assignment with what a labelling screen shows beside it."""

    assignment: Assignment
    item: ItemRow
    questions: list[QuestionRow]
    guideline_version: int
    draft: Draft | None
    annotation_id: int | None


def view_assignment(
    db: Session,
    assignment: Assignment,
    project: Project | None = None,
    claimed: ItemRow | None = None,
) -> AssignmentView:
    """An item claimed just now comes with the lease and has no draft or annotation yet,
    so those lookups are skipped on the hot path."""
    project = project or load_project(db, assignment.project_id)
    questions = question_rows(db, project.id)
    version = project.guideline_version
    if claimed is not None:
        return AssignmentView(assignment, claimed, questions, version, None, None)
    item = ItemRow(*db.execute(select(*ITEM_ROW).where(ITEMS.c.id == assignment.item_id)).one())
    draft = db.get(Draft, assignment.id)
    annotation_id = _latest_annotation_id(db, assignment)
    return AssignmentView(assignment, item, questions, version, draft, annotation_id)


def _latest_annotation_id(db: Session, assignment: Assignment) -> int | None:
    if assignment.status != AssignmentStatus.submitted:
        return None
    return db.scalar(
        select(Annotation.id).where(
            Annotation.assignment_id == assignment.id, Annotation.is_latest.is_(True)
        )
    )


def list_own_assignments(
    db: Session,
    worker_id: int,
    *,
    status: AssignmentStatus | None,
    project_id: int | None,
    before: int | None,
    limit: int,
) -> list[Assignment]:
    """The caller's assignments, newest first, filtered by the status a client would see."""
    query = select(Assignment).where(Assignment.worker_id == worker_id)
    if status is not None:
        query = query.where(_status_condition(status, utcnow()))
    if project_id is not None:
        query = query.where(Assignment.project_id == project_id)
    if before is not None:
        query = query.where(Assignment.id < before)
    return list(db.scalars(query.order_by(Assignment.id.desc()).limit(limit)))


def _status_condition(status: AssignmentStatus, now: datetime) -> ColumnElement[bool]:
    """Filter on effective status: an unswept lease past its deadline counts as expired."""
    is_active = Assignment.status == AssignmentStatus.active
    if status == AssignmentStatus.active:
        return is_active & (Assignment.expires_at > now)
    if status == AssignmentStatus.expired:
        return (Assignment.status == AssignmentStatus.expired) | (
            is_active & (Assignment.expires_at <= now)
        )
    return Assignment.status == status


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name
