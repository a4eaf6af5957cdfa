"""Work queue: leases items to workers, never more than `overlap` at a time per item.

Claiming is one conditional UPDATE of the item's counter, so it is atomic on both databases:
PostgreSQL skips rows other transactions hold (`FOR UPDATE SKIP LOCKED`); SQLite serialises
write transactions (BEGIN IMMEDIATE). The (item, worker, stage) unique constraint is the last
line of defence against handing a worker the same item twice.

The statements on the hot path are built once, with bound parameters, and read and write
plain rows, never ORM objects: building a statement, or loading and flushing an object,
costs more than the database takes to run the statement.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
    Select,
    Table,
    Update,
    bindparam,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from fairlabel.assist import service as assist_service
from fairlabel.db import utcnow
from fairlabel.errors import Conflict, Gone, NotFound
from fairlabel.gold import serving as gold
from fairlabel.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Draft,
    Item,
    Project,
    Question,
    Review,
    Worker,
)
from fairlabel.queue import admission
from fairlabel.queue.rows import (
    AssignmentRow,
    DraftRow,
    Empty,
    ItemRow,
    Lease,
    ProjectRow,
    QuestionRow,
)
from fairlabel.queue.schemas import EmptyReason
from fairlabel.review.stages import REWORK_STAGE
from fairlabel.wellness import service as wellness
from fairlabel.wellness.schemas import ContentNotice

LABEL_STAGE = "label"
#: Rework (a rejected worker's second go) holds one of the item's places, like labelling.
WORK_STAGES = (LABEL_STAGE, REWORK_STAGE)
ITEMS = cast(Table, Item.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
ANNOTATIONS = cast(Table, Annotation.__table__)
DRAFTS = cast(Table, Draft.__table__)
PROJECTS = cast(Table, Project.__table__)
QUESTIONS = cast(Table, Question.__table__)
REVIEWS = cast(Table, Review.__table__)


class AlreadySubmitted(Conflict):
    code = "already_submitted"


class AssignmentReturned(Conflict):
    code = "assignment_returned"


def _columns(table: Table, row: type[NamedTuple]) -> tuple[Any, ...]:
    return tuple(table.c[name] for name in row._fields)


PROJECT_ROW = _columns(PROJECTS, ProjectRow)
QUESTION_ROW = _columns(QUESTIONS, QuestionRow)
ITEM_ROW = _columns(ITEMS, ItemRow)
ASSIGNMENT_ROW = _columns(ASSIGNMENTS, AssignmentRow)
DRAFT_ROW = _columns(DRAFTS, DraftRow)


# --- statements ---------------------------------------------------------------------------


def queue_head() -> Select[int]:
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
    .returning(ASSIGNMENTS.c.item_id, ASSIGNMENTS.c.stage, ASSIGNMENTS.c.subject_annotation_id)
)

#: A review lease that ends gives its annotation back to the review queue.
UNHOLD_REVIEW = (
    update(ANNOTATIONS)
    .where(ANNOTATIONS.c.id == bindparam("p_annotation"))
    .values(under_review=False)
)

#: A worker holds at most this many leases per project: the task on screen and the one the
#: workspace prefetched, so that the next item shows the moment the first is submitted.
MAX_HELD = 2

HELD = (
    select(*ASSIGNMENT_ROW)
    .where(
        ASSIGNMENTS.c.worker_id == bindparam("p_worker"),
        ASSIGNMENTS.c.status == AssignmentStatus.active,
        ASSIGNMENTS.c.project_id == bindparam("p_project"),
        ASSIGNMENTS.c.stage.in_(WORK_STAGES),
    )
    .order_by(ASSIGNMENTS.c.id)
    .limit(MAX_HELD)
)

LEASE = insert(ASSIGNMENTS).returning(ASSIGNMENTS.c.id)

LOCK_WORKER = (
    select(Worker.user_id).where(Worker.user_id == bindparam("p_worker")).with_for_update()
)

#: A project and its questions in one statement: one row per question, or one row of
#: NULL question columns for a project without questions.
PROJECT_WITH_QUESTIONS = (
    select(*PROJECT_ROW, *QUESTION_ROW)
    .select_from(PROJECTS.outerjoin(QUESTIONS, QUESTIONS.c.project_id == PROJECTS.c.id))
    .where(PROJECTS.c.id == bindparam("p_project"))
    .order_by(QUESTIONS.c.position)
)

PROJECT = select(*PROJECT_ROW).where(PROJECTS.c.id == bindparam("p_project"))

OWN_ASSIGNMENT = select(*ASSIGNMENT_ROW).where(
    ASSIGNMENTS.c.id == bindparam("p_assignment"), ASSIGNMENTS.c.worker_id == bindparam("p_worker")
)
LOCKED_OWN_ASSIGNMENT = OWN_ASSIGNMENT.with_for_update()

ITEM = select(*ITEM_ROW).where(ITEMS.c.id == bindparam("p_item"))

DRAFT = select(*DRAFT_ROW).where(DRAFTS.c.assignment_id == bindparam("p_assignment"))

END_ASSIGNMENT = (
    update(ASSIGNMENTS)
    .where(ASSIGNMENTS.c.id == bindparam("p_assignment"))
    .values(status=bindparam("p_status"), ended_at=bindparam("p_now"))
)


def run(db: Session, statement: Executable, params: Any = None) -> CursorResult[*tuple[Any, ...]]:
    """A Core statement on the session's connection: the ORM layer of Session.execute has
    nothing to do for plain Core and adds a third to the cost of a small statement."""
    return db.connection().execute(statement, params)


# --- projects -----------------------------------------------------------------------------


def load_project(db: Session, project_id: int) -> ProjectRow:
    """The project's columns alone, as a plain row."""
    row = run(db, PROJECT, {"p_project": project_id}).one_or_none()
    if row is None:
        raise project_not_found(project_id)
    return ProjectRow(*row)


def load_project_with_questions(
    db: Session, project_id: int
) -> tuple[ProjectRow, list[QuestionRow]]:
    """A project and its questions in position order, in one statement."""
    rows = run(db, PROJECT_WITH_QUESTIONS, {"p_project": project_id}).all()
    if not rows:
        raise project_not_found(project_id)
    width = len(ProjectRow._fields)
    questions = [QuestionRow(*row[width:]) for row in rows if row[width] is not None]
    return ProjectRow(*rows[0][:width]), questions


def project_not_found(project_id: int) -> NotFound:
    return NotFound(
        "no such project", field="project_id", value=project_id, expected="an existing project id"
    )


# --- leasing ------------------------------------------------------------------------------


def next_assignment(
    db: Session, project: ProjectRow, worker_id: int, exclude: int | None = None
) -> Lease | Empty:
    """The worker's current lease in this project, or a freshly leased item, or why neither.

    Returning the held lease first makes the call idempotent: a retry or a double-click
    never leases a second item. `exclude` (the assignment on screen) asks for another one
    to prefetch: a held one other than it, or a new lease beside it, never more than two."""
    now = utcnow()
    serialise_worker(db, worker_id)
    expire_leases(db, project, now)
    held = held_lease(db, HELD, {"p_worker": worker_id, "p_project": project.id}, exclude)
    if held is not None:
        return Lease(held, claimed=None)
    refused = admission.refusal(db, project, worker_id)
    if refused is not None:
        return refused
    picked = gold.pick_gold(db, project, worker_id)
    item = ItemRow._make(picked) if picked is not None else _claim_item(db, project, worker_id, now)
    if item is None:
        return _why_empty(db, project, now)
    values: dict[str, Any] = {
        "project_id": project.id,
        "item_id": item.id,
        "worker_id": worker_id,
        "stage": LABEL_STAGE,
        "status": AssignmentStatus.active,
        "leased_at": now,
        "expires_at": now + timedelta(seconds=project.lease_seconds),
        "ended_at": None,
        "subject_annotation_id": None,
        **admission.lease_terms(project),
    }
    assignment_id = run(db, LEASE, values).scalar_one()
    return Lease(AssignmentRow(id=assignment_id, **values), claimed=item)


def held_lease(
    db: Session, held: Select[Any], params: dict[str, Any], exclude: int | None
) -> AssignmentRow | None:
    """The oldest live lease the worker holds other than `exclude` (the one on screen), or
    None when they may lease another. `held` selects their live leases in id order, at most
    MAX_HELD of them: holding MAX_HELD, one of them is always answered, so a worker never
    holds a third; an `exclude` that is not theirs excludes nothing."""
    for row in run(db, held, params):
        if row.id != exclude:
            return AssignmentRow(*row)
    return None


def serialise_worker(db: Session, worker_id: int) -> None:
    """On PostgreSQL two concurrent calls of one worker would each see no held lease and
    each claim an item; locking the worker's row makes the second wait for the first.
    SQLite needs nothing: its write transactions are already serial."""
    if dialect(db) == "postgresql":
        run(db, LOCK_WORKER, {"p_worker": worker_id})


def _claim_item(db: Session, project: ProjectRow, worker_id: int, now: datetime) -> ItemRow | None:
    """Take one place on the best open item in a single statement: highest priority, then
    lowest id, skipping items this worker already had."""
    params = {
        "p_project": project.id,
        "p_worker": worker_id,
        "p_overlap": project.overlap,
        "p_now": now,
    }
    row = run(db, CLAIM[dialect(db)], params).one_or_none()
    return None if row is None else ItemRow(*row)


def _why_empty(db: Session, project: ProjectRow, now: datetime) -> Empty:
    """Tell a waiting worker whether work may come back (others' leases) or is done."""
    next_expiry = db.scalar(
        select(func.min(ASSIGNMENTS.c.expires_at)).where(
            ASSIGNMENTS.c.project_id == project.id,
            ASSIGNMENTS.c.status == AssignmentStatus.active,
        )
    )
    if next_expiry is not None:
        wait = max(1, int((next_expiry - now).total_seconds()) + 1)
        return Empty(EmptyReason.leased_to_others, retry_after_seconds=wait)
    open_left = db.scalar(
        select(ITEMS.c.id)
        .where(ITEMS.c.project_id == project.id, ITEMS.c.is_open.is_(True))
        .limit(1)
    )
    if open_left is not None:
        return Empty(EmptyReason.already_worked_on)
    any_item = db.scalar(select(ITEMS.c.id).where(ITEMS.c.project_id == project.id).limit(1))
    return Empty(EmptyReason.complete if any_item is not None else EmptyReason.no_items)


def expire_leases(db: Session, project: ProjectRow, now: datetime) -> int:
    """Lazily end leases that ran out and put their items back; drafts are kept.

    One range scan of ix_assignments_lease, normally finding nothing. Work leases give
    their item's place back; review leases give their annotation back to the reviewers."""
    ended = run(db, SWEEP, {"p_project": project.id, "p_now": now}).all()
    release_places(db, ended, project.overlap, now)
    return len(ended)


def release_places(
    db: Session, ended: Iterable[tuple[int, str, int | None]], overlap: int, now: datetime
) -> None:
    """Undo what ended leases held: (item_id, stage, subject_annotation_id) each."""
    ended = list(ended)
    _release(db, [item for item, stage, _ in ended if stage in WORK_STAGES], overlap, now)
    for _item, stage, annotation_id in ended:
        if stage not in WORK_STAGES and annotation_id is not None:
            run(db, UNHOLD_REVIEW, {"p_annotation": annotation_id})


def _release(db: Session, item_ids: Iterable[int], overlap: int, now: datetime) -> None:
    """Give places back: taken goes down by the number released, is_open follows.
    Items are updated in id order so concurrent releases lock rows in the same order.
    Gold items hold no places: their leases never counted in `taken`."""
    by_count: dict[int, list[int]] = {}
    for item_id, count in sorted(Counter(item_ids).items()):
        by_count.setdefault(count, []).append(item_id)
    for count, ids in by_count.items():
        run(
            db,
            update(ITEMS)
            .where(ITEMS.c.id.in_(ids), ITEMS.c.is_gold.is_(False))
            .values(
                taken=ITEMS.c.taken - count,
                is_open=ITEMS.c.taken - count < overlap,
                updated_at=now,
            ),
        )


# --- one assignment -------------------------------------------------------------------


def get_own_assignment(
    db: Session, assignment_id: int, worker_id: int, *, lock: bool = False
) -> AssignmentRow:
    """The caller's assignment; anyone else's answers 404, as if it did not exist.

    `lock` holds its row to the end of the transaction, serialising submit, draft saves and
    return of one assignment on PostgreSQL (SQLite serialises every write already)."""
    query = LOCKED_OWN_ASSIGNMENT if lock else OWN_ASSIGNMENT
    row = run(db, query, {"p_assignment": assignment_id, "p_worker": worker_id}).one_or_none()
    if row is None:
        raise assignment_not_found(assignment_id)
    return AssignmentRow(*row)


def assignment_not_found(assignment_id: int) -> NotFound:
    return NotFound(
        "no such assignment",
        field="assignment_id",
        value=assignment_id,
        expected="the id of one of your assignments",
    )


def effective_status(assignment: AssignmentRow, now: datetime) -> str:
    """An active lease past its deadline is expired even before the sweep records it."""
    if assignment.status == AssignmentStatus.active and assignment.expires_at <= now:
        return AssignmentStatus.expired
    return assignment.status


def seconds_left(assignment: AssignmentRow, now: datetime) -> int:
    if effective_status(assignment, now) != AssignmentStatus.active:
        return 0
    return int((assignment.expires_at - now).total_seconds())


def ensure_active(assignment: AssignmentRow, now: datetime) -> None:
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


def end_assignment(
    db: Session, assignment: AssignmentRow, status: AssignmentStatus, now: datetime
) -> AssignmentRow:
    """Record that a lease ended (submitted or returned)."""
    params = {"p_assignment": assignment.id, "p_status": status, "p_now": now}
    run(db, END_ASSIGNMENT, params)
    return assignment._replace(status=status, ended_at=now)


def return_assignment(db: Session, assignment: AssignmentRow) -> AssignmentRow:
    """Voluntary and without penalty: the item goes back to the pool (never to this worker)."""
    now = utcnow()
    ensure_active(assignment, now)
    project = load_project(db, assignment.project_id)
    returned = end_assignment(db, assignment, AssignmentStatus.returned, now)
    held = (assignment.item_id, assignment.stage, assignment.subject_annotation_id)
    release_places(db, [held], project.overlap, now)
    return returned


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """An assignment with what a labelling screen shows beside it."""

    assignment: AssignmentRow
    item: ItemRow
    questions: list[QuestionRow]
    guideline_version: int
    draft: DraftRow | None
    annotation_id: int | None
    suggestions: list[dict[str, Any]]
    feedback: dict[str, Any] | None = None
    content: ContentNotice | None = None


def view_assignment(
    db: Session,
    assignment: AssignmentRow,
    loaded: tuple[ProjectRow, list[QuestionRow]] | None = None,
    claimed: ItemRow | None = None,
) -> AssignmentView:
    """An item claimed just now comes with the lease and has no draft or annotation yet,
    so those lookups are skipped on the hot path. A risky item claimed now records its
    exposures (see wellness.service for why at lease rather than at reveal)."""
    project, questions = loaded or load_project_with_questions(db, assignment.project_id)
    version = project.guideline_version
    suggestions = assist_service.for_item(db, assignment.item_id)
    if claimed is not None:
        lease = (assignment.worker_id, project.id, claimed.id)
        content = wellness.content_notice(
            db, project.content_risks, claimed.meta, lease, assignment.leased_at
        )
        return AssignmentView(
            assignment, claimed, questions, version, None, None, suggestions, content=content
        )
    item = ItemRow(*run(db, ITEM, {"p_item": assignment.item_id}).one())
    draft = run(db, DRAFT, {"p_assignment": assignment.id}).one_or_none()
    annotation_id = _latest_annotation_id(db, assignment)
    draft_row = None if draft is None else DraftRow(*draft)
    feedback = rework_feedback(db, assignment) if assignment.stage == REWORK_STAGE else None
    content = wellness.content_notice(db, project.content_risks, item.meta, None, utcnow())
    return AssignmentView(
        assignment,
        item,
        questions,
        version,
        draft_row,
        annotation_id,
        suggestions,
        feedback,
        content,
    )


def rework_feedback(db: Session, assignment: AssignmentRow) -> dict[str, Any] | None:
    """Why the work came back: the rejection, with the answers it judged, so that the
    worker redoes it knowing what to change."""
    row = db.execute(
        select(
            REVIEWS.c.reason_code,
            REVIEWS.c.guideline_ref,
            REVIEWS.c.comment,
            ANNOTATIONS.c.answers.label("previous_answers"),
            PROJECTS.c.rejection_reasons,
        )
        .join(ANNOTATIONS, ANNOTATIONS.c.id == REVIEWS.c.annotation_id)
        .join(PROJECTS, PROJECTS.c.id == REVIEWS.c.project_id)
        .where(
            REVIEWS.c.annotation_id == assignment.subject_annotation_id,
            REVIEWS.c.verdict == "reject",
        )
        .order_by(REVIEWS.c.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    feedback = row._asdict()
    labels = {r["code"]: r["label"] for r in feedback.pop("rejection_reasons") or []}
    return {**feedback, "reason": labels.get(feedback["reason_code"])}


def _latest_annotation_id(db: Session, assignment: AssignmentRow) -> int | None:
    if assignment.status != AssignmentStatus.submitted:
        return None
    return db.scalar(
        select(ANNOTATIONS.c.id).where(
            ANNOTATIONS.c.assignment_id == assignment.id, ANNOTATIONS.c.is_latest.is_(True)
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
) -> list[AssignmentRow]:
    """The caller's assignments, newest first, filtered by the status a client would see."""
    query = select(*ASSIGNMENT_ROW).where(ASSIGNMENTS.c.worker_id == worker_id)
    if status is not None:
        query = query.where(_status_condition(status, utcnow()))
    if project_id is not None:
        query = query.where(ASSIGNMENTS.c.project_id == project_id)
    if before is not None:
        query = query.where(ASSIGNMENTS.c.id < before)
    rows = run(db, query.order_by(ASSIGNMENTS.c.id.desc()).limit(limit))
    return [AssignmentRow(*row) for row in rows]


def _status_condition(status: AssignmentStatus, now: datetime) -> ColumnElement[bool]:
    """Filter on effective status: an unswept lease past its deadline counts as expired."""
    is_active = ASSIGNMENTS.c.status == AssignmentStatus.active
    if status == AssignmentStatus.active:
        return is_active & (ASSIGNMENTS.c.expires_at > now)
    if status == AssignmentStatus.expired:
        return (ASSIGNMENTS.c.status == AssignmentStatus.expired) | (
            is_active & (ASSIGNMENTS.c.expires_at <= now)
        )
    return ASSIGNMENTS.c.status == status


def dialect(db: Session) -> str:
    return db.get_bind().dialect.name
