"""Review stages: leasing work to reviewers, recording verdicts, corrections and rework.

A verdict is final at its stage (one per annotation and stage); a rejection must cite one
of the project's reason codes and a section of its guidelines; a correction is a new
version of the same annotation, authored by the reviewer; a rejection offers the worker a
new, paid rework assignment first, and gives the item's place back to the queue when they
have had their second chance (or let its deadline pass)."""

from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session

from fairlabel.annotations.service import (
    ANNOTATION_ROW,
    ANNOTATIONS,
    AnnotationRow,
    Version,
    newer_version_exists,
    one_annotation,
    replace_latest,
    resolve_generated,
    specs,
)
from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import utcnow
from fairlabel.dueprocess import audit
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.errors import Conflict, ValidationFailed
from fairlabel.models import (
    AssignmentStatus,
    Project,
    Review,
    User,
    Verdict,
)
from fairlabel.pay import service as pay
from fairlabel.projects import service as projects
from fairlabel.quality import service as consensus
from fairlabel.questions import validate_answers
from fairlabel.questions.base import one_of
from fairlabel.queue import admission
from fairlabel.queue.schemas import EmptyReason
from fairlabel.queue.service import (
    ASSIGNMENT_ROW,
    ASSIGNMENTS,
    ITEMS,
    LEASE,
    MAX_HELD,
    AssignmentRow,
    Empty,
    ProjectRow,
    QuestionRow,
    dialect,
    end_assignment,
    ensure_active,
    expire_leases,
    get_own_assignment,
    held_lease,
    release_places,
    run,
    serialise_worker,
)
from fairlabel.review.schemas import VerdictIn
from fairlabel.review.stages import REWORK_STAGE, next_stage
from fairlabel.wellness import service as wellness
from fairlabel.workforce import service as workforce

REVIEWS = cast(Table, Review.__table__)
REVIEW_STAGES = ("review", "audit")


class ReviewRow(NamedTuple):
    id: int
    project_id: int
    annotation_id: int
    assignment_id: int
    worker_id: int
    reviewer_id: int
    stage: str
    verdict: str
    reason_code: str | None
    guideline_ref: str | None
    comment: str
    correction_id: int | None
    created_at: datetime


REVIEW_ROW = tuple(REVIEWS.c[name] for name in ReviewRow._fields)


class ReviewLease(NamedTuple):
    assignment: AssignmentRow
    annotation: AnnotationRow


class Recorded(NamedTuple):
    """A verdict, whether this request made it, and the rework it offered, if any."""

    review: ReviewRow
    replayed: bool
    rework_assignment_id: int | None


# --- statements ---------------------------------------------------------------------------


def _claim_statement(skip_locked: bool) -> Any:
    """Take the oldest work waiting for this stage that the reviewer did not make and has not
    reviewed on this item before; mark it held in the same statement."""
    waiting = ANNOTATIONS.alias("waiting")
    reviewed_here = exists().where(
        ASSIGNMENTS.c.item_id == waiting.c.item_id,
        ASSIGNMENTS.c.worker_id == bindparam("p_reviewer"),
        ASSIGNMENTS.c.stage == bindparam("p_stage"),
    )
    head = (
        select(waiting.c.id)
        .where(
            waiting.c.project_id == bindparam("p_project"),
            waiting.c.awaiting_stage == bindparam("p_stage"),
            waiting.c.under_review.is_(False),
            waiting.c.is_latest.is_(True),
            waiting.c.worker_id != bindparam("p_reviewer"),
            ~reviewed_here,
        )
        .order_by(waiting.c.id)
        .limit(1)
    )
    if skip_locked:
        head = head.with_for_update(skip_locked=True)
    return (
        update(ANNOTATIONS)
        .where(ANNOTATIONS.c.id == head.scalar_subquery())
        .values(under_review=True)
        .returning(*ANNOTATION_ROW)
    )


CLAIM = {"postgresql": _claim_statement(skip_locked=True), "sqlite": _claim_statement(False)}

HELD_REVIEW = (
    select(*ASSIGNMENT_ROW)
    .where(
        ASSIGNMENTS.c.worker_id == bindparam("p_reviewer"),
        ASSIGNMENTS.c.status == AssignmentStatus.active,
        ASSIGNMENTS.c.project_id == bindparam("p_project"),
        ASSIGNMENTS.c.stage == bindparam("p_stage"),
    )
    .order_by(ASSIGNMENTS.c.id)
    .limit(MAX_HELD)
)

SETTLE = (
    update(ANNOTATIONS)
    .where(ANNOTATIONS.c.id == bindparam("p_annotation"))
    .values(
        verdict=bindparam("p_verdict"),
        under_review=False,
        awaiting_stage=bindparam("p_awaiting"),
    )
)

AT_STAGE = select(*REVIEW_ROW).where(
    REVIEWS.c.annotation_id == bindparam("p_annotation"), REVIEWS.c.stage == bindparam("p_stage")
)

UNCOUNT_SUBMITTED = (
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("p_item"))
    .values(submitted=ITEMS.c.submitted - 1, updated_at=bindparam("p_now"))
)


# --- leasing work to reviewers ------------------------------------------------------------


def check_stage(project: ProjectRow, stage: str) -> dict[str, Any]:
    """The project's settings of a stage, or 422 naming the stages it has."""
    for entry in project.workflow:
        if entry["stage"] == stage:
            return entry
    raise ValidationFailed(
        "this project has no such review stage",
        field="stage",
        value=stage,
        expected=one_of([e["stage"] for e in project.workflow] or ["(none: no review stages)"]),
    )


def check_reviewer(db: Session, principal: Principal, project: ProjectRow, stage: str) -> None:
    """A reviewer takes the project's work like a worker (eligible, not suspended) and
    holds the stage's qualification (see workforce.service.require_reviewer)."""
    policies.work_on_project(principal, project)
    needed = check_stage(project, stage).get("qualification")
    workforce.require_reviewer(db, project, principal.id, needed, stage)


def next_review(
    db: Session, project: ProjectRow, reviewer_id: int, stage: str, exclude: int | None = None
) -> ReviewLease | Empty:
    """The review this reviewer holds at the stage, or the oldest waiting one, or why none.

    As for labelling (queue.service.next_assignment): the held lease comes first, so a retry
    leases nothing more; `exclude` (the review on screen) asks for another one to prefetch,
    never more than two held at a stage."""
    now = utcnow()
    serialise_worker(db, reviewer_id)
    expire_leases(db, project, now)
    params = {"p_reviewer": reviewer_id, "p_project": project.id, "p_stage": stage}
    held = held_lease(db, HELD_REVIEW, params, exclude)
    if held is not None:
        subject = one_annotation(db, cast(int, held.subject_annotation_id))
        assert subject is not None  # the foreign key cascades
        return ReviewLease(held, subject)
    refused = pay.budget_refusal(db, project, stage) or admission.refusal(
        db, project, reviewer_id, admission.CONTENT_RULES
    )
    if refused is not None:
        return refused
    claimed = run(db, CLAIM[dialect(db)], params).one_or_none()
    if claimed is None:
        return Empty(EmptyReason.complete)
    annotation = AnnotationRow(*claimed)
    _count_exposure(db, project, reviewer_id, annotation.item_id, now)
    values: dict[str, Any] = {
        "project_id": project.id,
        "item_id": annotation.item_id,
        "worker_id": reviewer_id,
        "stage": stage,
        "status": AssignmentStatus.active,
        "leased_at": now,
        "expires_at": now + timedelta(seconds=project.lease_seconds),
        "ended_at": None,
        "subject_annotation_id": annotation.id,
        **pay.lease_terms(project, stage),
    }
    assignment_id = run(db, LEASE, values).scalar_one()
    return ReviewLease(AssignmentRow(id=assignment_id, **values), annotation)


def _count_exposure(
    db: Session, project: ProjectRow, reviewer_id: int, item_id: int, now: datetime
) -> None:
    """A risky item counts against the reviewer's daily caps as it does for labellers."""
    if not project.content_risks:
        return
    meta = db.scalar(select(ITEMS.c.meta).where(ITEMS.c.id == item_id)) or {}
    names = wellness.item_risks(project.content_risks, meta)
    if names:
        wellness.record_exposures(db, reviewer_id, project.id, item_id, names, now)


# --- what a reviewer sees beside the work ---------------------------------------------------


def earlier_verdicts(db: Session, annotation: AnnotationRow) -> list[dict[str, Any]]:
    """Verdicts at earlier stages on this work (and on the version a correction corrects)."""
    ids = [annotation.id] + ([annotation.corrects_id] if annotation.corrects_id else [])
    query = (
        select(
            REVIEWS.c.stage,
            REVIEWS.c.verdict,
            REVIEWS.c.reason_code,
            REVIEWS.c.guideline_ref,
            REVIEWS.c.comment,
            User.pseudonym.label("reviewer"),
        )
        .join(User, User.id == REVIEWS.c.reviewer_id)
        .where(REVIEWS.c.annotation_id.in_(ids))
        .order_by(REVIEWS.c.id)
    )
    return [row._asdict() for row in db.execute(query)]


def pseudonym(db: Session, user_id: int) -> str:
    return cast(str, db.scalar(select(User.pseudonym).where(User.id == user_id)))


# --- verdicts -----------------------------------------------------------------------------


def record_verdict(db: Session, reviewer_id: int, assignment_id: int, body: VerdictIn) -> Recorded:
    """Judge the work a review lease holds. Repeating the same verdict answers with the
    first; any other verdict on work already judged at this stage is a conflict."""
    assignment = get_own_assignment(db, assignment_id, reviewer_id, lock=True)
    if assignment.stage not in REVIEW_STAGES or assignment.subject_annotation_id is None:
        raise Conflict(
            "this is not a review assignment",
            field="assignment_id",
            value=assignment_id,
            expected="an assignment from review next-task",
        )
    params = {"p_annotation": assignment.subject_annotation_id, "p_stage": assignment.stage}
    earlier = run(db, AT_STAGE, params).one_or_none()
    if earlier is not None:
        return _replay(db, ReviewRow(*earlier), body)
    now = utcnow()
    ensure_active(assignment, now)
    project = cast(Project, db.get(Project, assignment.project_id))
    annotation = one_annotation(db, assignment.subject_annotation_id)
    assert annotation is not None  # the foreign key cascades
    if not annotation.is_latest:
        raise newer_version_exists(annotation.id, annotation.id)
    corrected = _check_verdict(db, project, annotation, body)
    end_assignment(db, assignment, AssignmentStatus.submitted, now)
    review = _insert_review(db, assignment, annotation, body, now)
    _record(db, review)
    rework_id = _apply(db, project, assignment.stage, annotation, review, corrected, now)
    consensus.refresh_item(db, annotation.item_id)  # a rejection or correction changes it
    return Recorded(review, replayed=False, rework_assignment_id=rework_id)


def _replay(db: Session, earlier: ReviewRow, body: VerdictIn) -> Recorded:
    same = (
        earlier.verdict == body.verdict
        and earlier.reason_code == body.reason_code
        and earlier.guideline_ref == body.guideline_ref
        and earlier.comment == body.comment
    )
    if not same:
        raise Conflict(
            "this work already has a verdict at this stage",
            field="verdict",
            value=body.verdict,
            expected=f"the verdict already given: {earlier.verdict}",
        )
    return Recorded(earlier, replayed=True, rework_assignment_id=rework_offered(db, earlier))


def _check_verdict(
    db: Session, project: Project, annotation: AnnotationRow, body: VerdictIn
) -> dict[str, Any] | None:
    """Reason and guideline section of a rejection, answers of a correction (returned)."""
    if body.verdict == Verdict.reject:
        codes = [reason["code"] for reason in project.rejection_reasons]
        if body.reason_code not in codes:
            raise ValidationFailed(
                "unknown reason code",
                field="reason_code",
                value=body.reason_code,
                expected=one_of(codes, "one of the project's reason codes"),
            )
        projects.check_guideline_section(db, project.id, cast(str, body.guideline_ref))
    if body.verdict != Verdict.correct:
        return None
    fields = db.scalar(select(ITEMS.c.fields).where(ITEMS.c.id == annotation.item_id))
    questions = [
        QuestionRow(q.name, q.type, q.prompt, q.required, q.settings) for q in project.questions
    ]
    checked = validate_answers(specs(questions), body.answers, fields or {})
    # a live answer is checked against the worker's generated turns: re-ranked, never forged
    corrected = resolve_generated(db, project.id, annotation.assignment_id, questions, checked)
    if corrected == annotation.answers:
        raise ValidationFailed(
            "the corrected answers are the same as the worker's",
            field="answers",
            value=body.answers,
            expected="answers that differ (or accept the work as it is)",
        )
    return corrected


def _insert_review(
    db: Session,
    assignment: AssignmentRow,
    annotation: AnnotationRow,
    body: VerdictIn,
    now: datetime,
) -> ReviewRow:
    worker_id = db.scalar(
        select(ASSIGNMENTS.c.worker_id).where(ASSIGNMENTS.c.id == annotation.assignment_id)
    )
    values: dict[str, Any] = {
        "project_id": assignment.project_id,
        "annotation_id": annotation.id,
        "assignment_id": assignment.id,
        "worker_id": worker_id,
        "reviewer_id": assignment.worker_id,
        "stage": assignment.stage,
        "verdict": body.verdict.value,
        "reason_code": body.reason_code if body.verdict == Verdict.reject else None,
        "guideline_ref": body.guideline_ref if body.verdict == Verdict.reject else None,
        "comment": body.comment,
        "correction_id": None,
        "created_at": now,
    }
    review_id = run(db, REVIEWS.insert().returning(REVIEWS.c.id), values).scalar_one()
    return ReviewRow(id=review_id, **values)


def _record(db: Session, review: ReviewRow) -> None:
    """The verdict in the worker's audit trail."""
    audit.record(
        db,
        worker_id=review.worker_id,
        actor_id=review.reviewer_id,
        kind=AuditKind.verdict,
        subject_kind="review",
        subject_id=review.id,
        project_id=review.project_id,
        data={
            "stage": review.stage,
            "verdict": review.verdict,
            "reason_code": review.reason_code,
            "guideline_ref": review.guideline_ref,
        },
    )


def _apply(
    db: Session,
    project: Project,
    stage: str,
    annotation: AnnotationRow,
    review: ReviewRow,
    corrected: dict[str, Any] | None,
    now: datetime,
) -> int | None:
    """What the verdict does: accepted work moves on to the next stage it is sampled for,
    a correction becomes the latest version, a rejection goes back for rework."""
    settle = {"p_annotation": annotation.id, "p_verdict": review.verdict, "p_awaiting": None}
    if review.verdict == Verdict.accept:
        settle["p_awaiting"] = next_stage(project.workflow, annotation.assignment_id, stage)
    run(db, SETTLE, settle)
    pay.settle_verdict(db, project, review, annotation.assignment_id)
    if corrected is not None:
        _store_correction(db, project, stage, annotation, review, corrected)
    if review.verdict == Verdict.reject:
        run(db, UNCOUNT_SUBMITTED, {"p_item": annotation.item_id, "p_now": now})
        return _offer_rework(db, project, annotation, review.worker_id, now)
    return None


def _store_correction(
    db: Session,
    project: Project,
    stage: str,
    annotation: AnnotationRow,
    review: ReviewRow,
    corrected: dict[str, Any],
) -> None:
    """The reviewer's answers as the next version of the same work, linked to the original."""
    original = AssignmentRow(
        *run(
            db,
            select(*ASSIGNMENT_ROW).where(ASSIGNMENTS.c.id == annotation.assignment_id),
        ).one()
    )
    version = Version(corrected, project.guideline_version, 0, annotation.version + 1)
    correction = replace_latest(
        db, original, annotation, version, author_id=review.reviewer_id, source="correction"
    )
    awaiting = next_stage(project.workflow, annotation.assignment_id, stage)
    run(db, SETTLE, {"p_annotation": correction.id, "p_verdict": None, "p_awaiting": awaiting})
    run(
        db,
        update(REVIEWS).where(REVIEWS.c.id == review.id).values(correction_id=correction.id),
    )


def _offer_rework(
    db: Session, project: Project, annotation: AnnotationRow, worker_id: int, now: datetime
) -> int | None:
    """Paid rework for the same worker, once per item, within the project's rework time,
    when the budget can pay for it; otherwise the item's place goes back to the queue (where
    the budget rule holds new leases until the project is funded)."""
    had_rework = db.scalar(
        select(ASSIGNMENTS.c.id).where(
            ASSIGNMENTS.c.item_id == annotation.item_id,
            ASSIGNMENTS.c.worker_id == worker_id,
            ASSIGNMENTS.c.stage == REWORK_STAGE,
        )
    )
    still_active = db.scalar(select(User.is_active).where(User.id == worker_id))
    unpaid = pay.budget_refusal(db, project, REWORK_STAGE)
    if had_rework is not None or not still_active or unpaid is not None:
        release_places(db, [(annotation.item_id, REWORK_STAGE, None)], project.overlap, now)
        return None
    values = {
        "project_id": project.id,
        "item_id": annotation.item_id,
        "worker_id": worker_id,
        "stage": REWORK_STAGE,
        "status": AssignmentStatus.active,
        "leased_at": now,
        "expires_at": now + timedelta(hours=project.rework_hours),
        "ended_at": None,
        "subject_annotation_id": annotation.id,
        **pay.lease_terms(project, REWORK_STAGE),
    }
    return cast(int, run(db, LEASE, values).scalar_one())


def rework_offered(db: Session, review: ReviewRow) -> int | None:
    if review.verdict != Verdict.reject:
        return None
    return db.scalar(
        select(ASSIGNMENTS.c.id).where(
            ASSIGNMENTS.c.subject_annotation_id == review.annotation_id,
            ASSIGNMENTS.c.stage == REWORK_STAGE,
        )
    )


# --- reading verdicts ---------------------------------------------------------------------


def list_reviews(
    db: Session,
    *,
    worker_id: int | None = None,
    project_id: int | None = None,
    review_id: int | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Verdicts newest first, with what their readers need: the reason's label, the
    reviewer's pseudonym, the corrected answers and the rework offered."""
    corrections = ANNOTATIONS.alias("corrections")
    query = (
        select(
            *REVIEW_ROW,
            ANNOTATIONS.c.item_id,
            User.pseudonym.label("reviewer"),
            corrections.c.answers.label("corrected_answers"),
            Project.rejection_reasons,
        )
        .join(ANNOTATIONS, ANNOTATIONS.c.id == REVIEWS.c.annotation_id)
        .join(User, User.id == REVIEWS.c.reviewer_id)
        .join(Project, Project.id == REVIEWS.c.project_id)
        .outerjoin(corrections, corrections.c.id == REVIEWS.c.correction_id)
    )
    if worker_id is not None:
        query = query.where(REVIEWS.c.worker_id == worker_id)
    if project_id is not None:
        query = query.where(REVIEWS.c.project_id == project_id)
    if review_id is not None:
        query = query.where(REVIEWS.c.id == review_id)
    if before is not None:
        query = query.where(REVIEWS.c.id < before)
    rows = db.execute(query.order_by(REVIEWS.c.id.desc()).limit(limit)).all()
    return [_described(db, row._asdict()) for row in rows]


def _described(db: Session, row: dict[str, Any]) -> dict[str, Any]:
    labels = {reason["code"]: reason["label"] for reason in row.pop("rejection_reasons") or []}
    row["reason"] = labels.get(row["reason_code"]) if row["reason_code"] else None
    review = ReviewRow(*(row[name] for name in ReviewRow._fields))
    row["rework_assignment_id"] = rework_offered(db, review)
    return row
