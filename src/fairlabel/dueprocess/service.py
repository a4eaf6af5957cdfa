"""Sanctions with published reasons, evidence and notice; appeals heard by someone else
before a deadline, or decided for the worker when it passes; the feedback channel.

Nothing here touches a worker's earned pay: a sanction changes what work they may take
from its effective date on, never what they were paid for."""

from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.config import Settings
from fairlabel.db import utcnow
from fairlabel.dueprocess import audit, notices, standing
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.dueprocess.schemas import (
    AppealDecision,
    AppealIn,
    AppealOut,
    AuditEventOut,
    FeedbackAnswer,
    FeedbackIn,
    SanctionIn,
    SanctionReason,
)
from fairlabel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fairlabel.models import (
    Annotation,
    Appeal,
    AppealStatus,
    Assignment,
    Feedback,
    GoldScore,
    Project,
    QualificationTest,
    QualificationTier,
    Review,
    Sanction,
    SanctionKind,
    User,
    Verdict,
    Worker,
)
from fairlabel.pay import service as pay
from fairlabel.projects import service as projects_service
from fairlabel.questions.base import one_of
from fairlabel.workforce import service as workforce

APPEALS = cast(Table, Appeal.__table__)

#: The published reasons a sanction may cite. None may be organising, joining or speaking
#: for other workers, complaining, appealing, or refusing work: those are never sanctioned.
SANCTION_REASONS = [
    SanctionReason(
        code="fraud",
        label="Fraudulent work",
        description="Answers made up, copied or generated to be paid without doing the task.",
    ),
    SanctionReason(
        code="multiple_accounts",
        label="More than one account",
        description="One person working through several accounts, or sharing an account.",
    ),
    SanctionReason(
        code="confidentiality_breach",
        label="Confidential data disclosed",
        description="Task data copied or shown outside the platform against the terms.",
    ),
    SanctionReason(
        code="harassment",
        label="Harassment",
        description="Abusive or threatening messages to other people on the platform.",
    ),
    SanctionReason(
        code="persistent_low_quality",
        label="Persistently low quality after feedback",
        description="Work far below the guidelines over many tasks after written feedback.",
    ),
]
REASON_CODES = [reason.code for reason in SANCTION_REASONS]
FRAUD = "fraud"
DEADLINE_REASON = "No decision was given by the deadline, so the appeal is decided in your favour."


# --- sanctions ----------------------------------------------------------------------------


def issue_sanction(
    db: Session, body: SanctionIn, issuer: Principal, settings: Settings
) -> Sanction:
    """Checked in full before anything is written; takes effect after the notice period
    (proven fraud: when given, or at once)."""
    _authorize_issuer(db, issuer, body)
    _check_sanction(db, body, issuer)
    now = utcnow()
    effective_at = _effective_at(body, now, settings.sanction_notice_days)
    sanction = Sanction(
        worker_id=body.worker_id,
        project_id=body.project_id,
        kind=body.kind,
        reason_code=body.reason_code,
        evidence=body.evidence,
        fraud_proven=body.fraud_proven,
        effective_at=effective_at,
        issued_by_id=issuer.id,
    )
    db.add(sanction)
    db.flush()
    for assignment_id in body.fraudulent_assignment_ids:
        pay.reverse_for_fraud(db, assignment_id, sanction.id, issuer.id)
    complaints = recent_complaints(db, body.worker_id, now, settings.complaint_link_days)
    audit.record(
        db,
        worker_id=body.worker_id,
        actor_id=issuer.id,
        kind=AuditKind.sanction_issued,
        subject_kind="sanction",
        subject_id=sanction.id,
        project_id=body.project_id,
        data={
            "kind": body.kind.value,
            "reason_code": body.reason_code,
            "evidence": body.evidence,
            "effective_at": effective_at.isoformat(),
            "fraud_proven": body.fraud_proven,
            "follows_complaint": bool(complaints),
            "complaint_ids": complaints,
        },
    )
    return sanction


def _authorize_issuer(db: Session, issuer: Principal, body: SanctionIn) -> None:
    """Operators issue any sanction; owners and managers only those on their own project."""
    if body.project_id is None or body.kind == SanctionKind.deactivation:
        policies.require_operator(issuer)
        return
    policies.manage_project(issuer, projects_service.get_project(db, body.project_id))


def _check_sanction(db: Session, body: SanctionIn, issuer: Principal) -> None:
    if db.get(Worker, body.worker_id) is None:
        raise NotFound(
            "no such worker", field="worker_id", value=body.worker_id, expected="a worker"
        )
    if body.worker_id == issuer.id:
        raise Forbidden(
            "nobody sanctions themselves",
            field="worker_id",
            value=body.worker_id,
            expected="another worker",
        )
    if body.reason_code not in REASON_CODES:
        raise ValidationFailed(
            "a sanction cites one of the published reasons",
            field="reason_code",
            value=body.reason_code,
            expected=one_of(REASON_CODES, "a code from GET /api/sanction-reasons"),
        )
    wants_project = {SanctionKind.suspension: True, SanctionKind.deactivation: False}
    if wants_project.get(body.kind, body.project_id is not None) != (body.project_id is not None):
        raise ValidationFailed(
            "a suspension is from one project; a deactivation is from the platform",
            field="project_id",
            value=body.project_id,
            expected="a project id for a suspension, none for a deactivation",
        )
    _check_fraud(db, body)


def _check_fraud(db: Session, body: SanctionIn) -> None:
    if body.fraud_proven and body.reason_code != FRAUD:
        raise ValidationFailed(
            "only a fraud sanction can be marked proven fraud",
            field="fraud_proven",
            value=True,
            expected=f"reason_code {FRAUD!r}",
        )
    if body.fraudulent_assignment_ids and not body.fraud_proven:
        raise ValidationFailed(
            "pay is reversed only for proven fraud",
            field="fraudulent_assignment_ids",
            value=body.fraudulent_assignment_ids,
            expected="none, or fraud_proven true",
        )
    owned = set(
        db.scalars(
            select(Assignment.id).where(
                Assignment.id.in_(body.fraudulent_assignment_ids),
                Assignment.worker_id == body.worker_id,
            )
        )
    )
    strangers = [i for i in body.fraudulent_assignment_ids if i not in owned]
    if strangers:
        raise ValidationFailed(
            "these are not the worker's assignments",
            field="fraudulent_assignment_ids",
            value=strangers,
            expected="assignments of the sanctioned worker",
        )


def _effective_at(body: SanctionIn, now: datetime, notice_days: int) -> datetime:
    if body.fraud_proven:
        return body.effective_at or now
    earliest = now + timedelta(days=notice_days)
    if body.effective_at is None:
        return earliest
    if body.effective_at < earliest - timedelta(minutes=1):
        raise ValidationFailed(
            f"a sanction takes effect after {notice_days} days' notice (except proven fraud)",
            field="effective_at",
            value=body.effective_at.isoformat(),
            expected=f"{earliest:%Y-%m-%dT%H:%M}Z or later",
        )
    return body.effective_at


def recent_complaints(db: Session, worker_id: int, now: datetime, days: int) -> list[int]:
    """The worker's complaints in the `days` before now: a sanction after one is flagged."""
    return list(
        db.scalars(
            select(Feedback.id).where(
                Feedback.worker_id == worker_id,
                Feedback.kind == "complaint",
                Feedback.created_at >= now - timedelta(days=days),
            )
        )
    )


def withdraw_sanction(db: Session, sanction: Sanction, actor_id: int | None, why: str) -> None:
    """A withdrawn deactivation gives the account back unless another one is in effect."""
    now = utcnow()
    sanction.withdrawn_at = now
    db.flush()
    if sanction.kind == SanctionKind.deactivation and not _deactivated(db, sanction.worker_id, now):
        db.execute(update(User).where(User.id == sanction.worker_id).values(is_active=True))
    audit.record(
        db,
        worker_id=sanction.worker_id,
        actor_id=actor_id,
        kind=AuditKind.sanction_withdrawn,
        subject_kind="sanction",
        subject_id=sanction.id,
        project_id=sanction.project_id,
        data={"reason": why},
    )


def _deactivated(db: Session, worker_id: int, now: datetime) -> bool:
    return (
        db.scalar(
            select(Sanction.id)
            .where(
                Sanction.worker_id == worker_id,
                Sanction.kind == SanctionKind.deactivation,
                Sanction.withdrawn_at.is_(None),
                Sanction.effective_at <= now,
            )
            .limit(1)
        )
        is not None
    )


def in_effect(sanction: Sanction, now: datetime) -> bool:
    return sanction.withdrawn_at is None and sanction.effective_at <= now


def list_sanctions(db: Session, worker_id: int | None) -> list[Sanction]:
    query = select(Sanction).order_by(Sanction.id.desc())
    if worker_id is not None:
        query = query.where(Sanction.worker_id == worker_id)
    return list(db.scalars(query))


def apply_due_deactivations(db: Session, now: datetime) -> int:
    """Accounts whose deactivation took effect: made inactive (the queue also does it lazily)."""
    due = db.execute(
        select(Sanction.id, Sanction.worker_id)
        .join(User, User.id == Sanction.worker_id)
        .where(
            Sanction.kind == SanctionKind.deactivation,
            Sanction.withdrawn_at.is_(None),
            Sanction.effective_at <= now,
            User.is_active,
        )
    ).all()
    for sanction_id, worker_id in due:
        standing.deactivate(db, worker_id)
        audit.record(
            db,
            worker_id=worker_id,
            kind=AuditKind.sanction_effective,
            subject_kind="sanction",
            subject_id=sanction_id,
        )
    return len(due)


# --- appeals ------------------------------------------------------------------------------


class Subject(NamedTuple):
    """What an appeal is about: its project, when it was decided and by whom."""

    project_id: int | None
    decided_at: datetime
    decider_id: int | None


def file_appeal(db: Session, worker_id: int, body: AppealIn, settings: Settings) -> Appeal:
    """One appeal per decision, by the worker it is about, within the window."""
    subject = _subject(db, worker_id, body.subject_kind, body.subject_id)
    now = utcnow()
    cutoff = now - timedelta(days=settings.appeal_window_days)
    if subject.decided_at < cutoff:
        raise ValidationFailed(
            f"decisions can be appealed within {settings.appeal_window_days} days",
            field="subject_id",
            value=body.subject_id,
            expected=f"a decision made after {cutoff:%Y-%m-%d %H:%M} UTC",
        )
    earlier = db.scalar(
        select(Appeal.id).where(
            Appeal.worker_id == worker_id,
            Appeal.subject_kind == body.subject_kind,
            Appeal.subject_id == body.subject_id,
        )
    )
    if earlier is not None:
        raise Conflict(
            "this decision has been appealed already",
            field="subject_id",
            value=body.subject_id,
            expected=f"one appeal per decision (appeal {earlier})",
        )
    appeal = Appeal(
        worker_id=worker_id,
        subject_kind=body.subject_kind,
        subject_id=body.subject_id,
        project_id=subject.project_id,
        statement=body.statement,
        status=AppealStatus.open,
        due_at=now + timedelta(days=settings.appeal_deadline_days),
        created_at=now,
    )
    db.add(appeal)
    db.flush()
    _record_appeal(
        db, appeal, AuditKind.appeal_filed, worker_id, {"due_at": appeal.due_at.isoformat()}
    )
    return appeal


def _record_appeal(
    db: Session, appeal: Appeal, kind: AuditKind, actor_id: int | None, data: dict[str, Any]
) -> None:
    audit.record(
        db,
        worker_id=appeal.worker_id,
        actor_id=actor_id,
        kind=kind,
        subject_kind="appeal",
        subject_id=appeal.id,
        project_id=appeal.project_id,
        data={"subject_kind": appeal.subject_kind, "subject_id": appeal.subject_id, **data},
    )


def _subject(db: Session, worker_id: int, kind: str, subject_id: int) -> Subject:
    """The decision, if it is one about this worker (otherwise 404, as if it did not exist)."""
    if kind == "review":
        review = db.get(Review, subject_id)
        if review is not None and review.worker_id == worker_id:
            _require(review.verdict == Verdict.reject, "only a rejection can be appealed", kind)
            return Subject(review.project_id, review.created_at, review.reviewer_id)
    elif kind == "sanction":
        sanction = db.get(Sanction, subject_id)
        if sanction is not None and sanction.worker_id == worker_id:
            _require(sanction.withdrawn_at is None, "the sanction was withdrawn already", kind)
            return Subject(sanction.project_id, sanction.created_at, sanction.issued_by_id)
    else:
        event = audit.get_event(db, subject_id)
        if event is not None and event.worker_id == worker_id:
            _require(appealable_qualification(event), "not a qualification decision", kind)
            return Subject(event.project_id, event.created_at, event.actor_id)
    raise NotFound(
        f"no such {kind} decision about you",
        field="subject_id",
        value=subject_id,
        expected=f"the id of a {kind} decision about your own work",
    )


def appealable_qualification(event: AuditEventOut) -> bool:
    """A failed qualification test, or the gold gate closing."""
    if event.kind == AuditKind.qualification_test:
        return event.data.get("passed") is False
    return event.kind == AuditKind.gold_gate and event.data.get("decision") == "closed"


def _require(condition: bool, message: str, kind: str) -> None:
    if not condition:
        raise ValidationFailed(
            message, field="subject_kind", value=kind, expected="a decision that can be appealed"
        )


def get_appeal(db: Session, appeal_id: int, principal: Principal) -> Appeal:
    """The worker's own, or one the caller could hear; 404 otherwise."""
    appeal = db.get(Appeal, appeal_id)
    if appeal is not None and (
        appeal.worker_id == principal.id or _may_hear(db, principal, appeal)
    ):
        return appeal
    raise NotFound("no such appeal", field="appeal_id", value=appeal_id, expected="an appeal id")


def _may_hear(db: Session, principal: Principal, appeal: Appeal) -> bool:
    return _manages(db, principal, appeal.project_id)


def _manages(db: Session, principal: Principal, project_id: int | None) -> bool:
    """Operators manage everything; owners and managers their organizations' projects."""
    if principal.is_operator:
        return True
    if project_id is None:
        return False
    organization_id = db.scalar(select(Project.organization_id).where(Project.id == project_id))
    return principal.roles.get(cast(int, organization_id)) in policies.MANAGING_ROLES


def decide_appeal(db: Session, appeal: Appeal, hearer: Principal, body: AppealDecision) -> Appeal:
    """Heard by an operator, or an owner or manager of the project's organization, who is
    neither the worker nor the one who made the decision; once only."""
    if appeal.worker_id == hearer.id or not _may_hear(db, hearer, appeal):
        raise Forbidden(
            "an appeal is heard by an operator or the project's owners and managers",
            field="appeal_id",
            value=appeal.id,
            expected="someone else than the worker",
        )
    subject = _subject_of(db, appeal)
    if subject.decider_id == hearer.id:
        raise Forbidden(
            "an appeal is heard by someone else than who made the decision",
            field="appeal_id",
            value=appeal.id,
            expected="another owner, manager or operator",
        )
    now = utcnow()
    settle_overdue(db, now, appeal_id=appeal.id)
    _close(db, appeal, AppealStatus(body.outcome), hearer.id, body.reason, now)
    return appeal


def _subject_of(db: Session, appeal: Appeal) -> Subject:
    """The decision of a filed appeal, even if it has since changed (a withdrawn sanction)."""
    if appeal.subject_kind == "review":
        review = cast(Review, db.get(Review, appeal.subject_id))
        return Subject(review.project_id, review.created_at, review.reviewer_id)
    if appeal.subject_kind == "sanction":
        sanction = cast(Sanction, db.get(Sanction, appeal.subject_id))
        return Subject(sanction.project_id, sanction.created_at, sanction.issued_by_id)
    event = cast(AuditEventOut, audit.get_event(db, appeal.subject_id))
    return Subject(event.project_id, event.created_at, event.actor_id)


def _close(
    db: Session,
    appeal: Appeal,
    outcome: AppealStatus,
    decider_id: int | None,
    reason: str,
    now: datetime,
) -> None:
    """Decide an open appeal, claimed by one conditional UPDATE so that a decision and the
    deadline sweep cannot both apply; a second decision is a 409."""
    claimed = db.execute(
        update(APPEALS)
        .where(APPEALS.c.id == appeal.id, APPEALS.c.status == AppealStatus.open)
        .values(status=outcome, decided_by_id=decider_id, decision_reason=reason, decided_at=now)
    )
    db.refresh(appeal)
    if getattr(claimed, "rowcount", 0) != 1:
        raise Conflict(
            "this appeal has been decided already",
            field="appeal_id",
            value=appeal.id,
            expected=f"an open appeal (it is {appeal.status})",
        )
    if outcome == AppealStatus.upheld:
        _uphold(db, appeal, decider_id, reason)
    _record_appeal(
        db,
        appeal,
        AuditKind.appeal_decided,
        decider_id,
        {"outcome": outcome.value, "reason": reason, "by_deadline": decider_id is None},
    )


def _uphold(db: Session, appeal: Appeal, decider_id: int | None, reason: str) -> None:
    """What deciding for the worker does to the decision appealed."""
    if appeal.subject_kind == "review":
        review = cast(Review, db.get(Review, appeal.subject_id))
        annotation = cast(Annotation, db.get(Annotation, review.annotation_id))
        annotation.verdict = Verdict.accept
        pay.approve_work(
            db, annotation.assignment_id, actor_id=decider_id, reason=f"appeal {appeal.id} upheld"
        )
    elif appeal.subject_kind == "sanction":
        sanction = cast(Sanction, db.get(Sanction, appeal.subject_id))
        if sanction.withdrawn_at is None:
            withdraw_sanction(db, sanction, decider_id, f"appeal {appeal.id} upheld: {reason}")
    else:
        _uphold_qualification(db, appeal)


def _uphold_qualification(db: Session, appeal: Appeal) -> None:
    """A failed test upheld grants its qualification (tier verified: a person decided, not
    a measurement); an upheld gold gate starts the worker's gold record on the project
    afresh, which reopens the queue to them."""
    event = cast(AuditEventOut, audit.get_event(db, appeal.subject_id))
    if event.kind == AuditKind.gold_gate:
        db.execute(
            delete(GoldScore).where(
                GoldScore.project_id == event.project_id, GoldScore.worker_id == appeal.worker_id
            )
        )
        return
    test = db.get(QualificationTest, event.data["test_id"])
    if test is not None:
        workforce.grant(
            db,
            appeal.worker_id,
            test.qualification,
            test.level,
            test.id,
            QualificationTier.verified,
        )


def settle_overdue(
    db: Session, now: datetime, *, worker_id: int | None = None, appeal_id: int | None = None
) -> int:
    """Decide for the worker every open appeal past its deadline (of one worker, or one
    appeal); the count decided."""
    query = select(Appeal).where(Appeal.status == AppealStatus.open, Appeal.due_at <= now)
    if worker_id is not None:
        query = query.where(Appeal.worker_id == worker_id)
    if appeal_id is not None:
        query = query.where(Appeal.id == appeal_id)
    overdue = list(db.scalars(query.order_by(Appeal.id)))
    for appeal in overdue:
        _close(db, appeal, AppealStatus.upheld, None, DEADLINE_REASON, now)
    return len(overdue)


def has_overdue(db: Session, now: datetime, worker_id: int | None) -> bool:
    query = select(Appeal.id).where(Appeal.status == AppealStatus.open, Appeal.due_at <= now)
    if worker_id is not None:
        query = query.where(Appeal.worker_id == worker_id)
    return db.scalar(query.limit(1)) is not None


def list_appeals(
    db: Session, principal: Principal, *, mine: bool, status: str | None
) -> list[Appeal]:
    """The caller's own appeals, or those they may hear (operators: all)."""
    query = select(Appeal).order_by(Appeal.id.desc())
    if mine:
        query = query.where(Appeal.worker_id == principal.id)
    elif not principal.is_operator:
        managed = [o for o, role in principal.roles.items() if role in policies.MANAGING_ROLES]
        projects = select(Project.id).where(Project.organization_id.in_(managed))
        query = query.where(Appeal.project_id.in_(projects), Appeal.worker_id != principal.id)
    if status is not None:
        query = query.where(Appeal.status == status)
    return list(db.scalars(query.limit(500)))


def appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        id=appeal.id,
        worker_id=appeal.worker_id,
        subject_kind=appeal.subject_kind,
        subject_id=appeal.subject_id,
        project_id=appeal.project_id,
        statement=appeal.statement,
        status=AppealStatus(appeal.status),
        decision_reason=appeal.decision_reason,
        decided_by_deadline=appeal.status != AppealStatus.open and appeal.decided_by_id is None,
        due_at=appeal.due_at,
        decided_at=appeal.decided_at,
        created_at=appeal.created_at,
    )


# --- feedback -----------------------------------------------------------------------------


def send_feedback(db: Session, worker_id: int, body: FeedbackIn) -> Feedback:
    """A complaint goes into the audit trail, where a later sanction is linked to it."""
    if body.project_id is not None:
        projects_service.get_project(db, body.project_id)
    feedback = Feedback(
        worker_id=worker_id, project_id=body.project_id, kind=body.kind, body=body.body
    )
    db.add(feedback)
    db.flush()
    if body.kind == "complaint":
        audit.record(
            db,
            worker_id=worker_id,
            actor_id=worker_id,
            kind=AuditKind.complaint,
            subject_kind="feedback",
            subject_id=feedback.id,
            project_id=body.project_id,
        )
    return feedback


def list_feedback(db: Session, principal: Principal, *, mine: bool) -> list[Feedback]:
    """The caller's own, or what they answer: operators all, owners and managers their
    organizations' projects'."""
    query = select(Feedback).order_by(Feedback.id.desc())
    if mine:
        query = query.where(Feedback.worker_id == principal.id)
    elif not principal.is_operator:
        managed = [o for o, role in principal.roles.items() if role in policies.MANAGING_ROLES]
        query = query.where(
            Feedback.project_id.in_(select(Project.id).where(Project.organization_id.in_(managed)))
        )
    return list(db.scalars(query.limit(500)))


def answer_feedback(
    db: Session, feedback_id: int, principal: Principal, body: FeedbackAnswer
) -> Feedback:
    feedback = db.get(Feedback, feedback_id)
    if (
        feedback is None
        or feedback.worker_id == principal.id
        or not _manages(db, principal, feedback.project_id)
    ):
        raise NotFound(
            "no such feedback",
            field="feedback_id",
            value=feedback_id,
            expected="feedback you answer",
        )
    if feedback.answered_at is not None:
        raise Conflict(
            "this feedback has been answered",
            field="feedback_id",
            value=feedback_id,
            expected="unanswered feedback",
        )
    feedback.answer, feedback.answered_by_id, feedback.answered_at = (
        body.answer,
        principal.id,
        utcnow(),
    )
    db.flush()
    audit.record(
        db,
        worker_id=feedback.worker_id,
        actor_id=principal.id,
        kind=AuditKind.feedback_answered,
        subject_kind="feedback",
        subject_id=feedback.id,
        project_id=feedback.project_id,
    )
    return feedback


# --- the sweep ----------------------------------------------------------------------------


def sweep(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Overdue appeals decided for the workers, deactivations that took effect applied,
    projects whose notice ran out ended. Idempotent; run by a background job and the CLI."""
    now = now or utcnow()
    return {
        "appeals_decided": settle_overdue(db, now),
        "deactivations": apply_due_deactivations(db, now),
        "projects_ended": notices.end_due_projects(db, now),
    }
