"""Due process API: the audit trail, sanctions and their published reasons, appeals,
notices before work ends, and the feedback channel.

An appeal past its deadline is decided for the worker when anyone reads it (and by the
sweep): reads check for overdue appeals first and settle them in a write transaction."""

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.db import Database, utcnow
from fairlabel.deps import CurrentPrincipal, DatabaseDep, SessionDep, SettingsDep
from fairlabel.dueprocess import audit, notices, service
from fairlabel.dueprocess.describe import summarised
from fairlabel.dueprocess.schemas import (
    AppealDecision,
    AppealIn,
    AppealOut,
    AuditEventOut,
    AuditPage,
    FeedbackAnswer,
    FeedbackIn,
    FeedbackOut,
    NoticeIn,
    NoticeOut,
    SanctionIn,
    SanctionOut,
    SanctionReason,
)
from fairlabel.projects import service as projects
from fairlabel.workforce import service as workforce
from fairlabel.workforce.routes import require_worker

router = APIRouter(tags=["due process"])
Before = Annotated[int | None, Query(ge=1, description="an event id: older ones only")]
Limit = Annotated[int, Query(ge=1, le=500)]


def audit_page(events: list[AuditEventOut], limit: int) -> AuditPage:
    return AuditPage(
        events=[summarised(event) for event in events],
        next_before=events[-1].id if len(events) == limit else None,
    )


@router.get("/me/audit", operation_id="list_my_audit_events")
def list_my_audit_events(
    principal: CurrentPrincipal, db: SessionDep, before: Before = None, limit: Limit = 50
) -> AuditPage:
    """Every decision about the caller, newest first."""
    events = audit.list_events(db, worker_id=principal.id, before=before, limit=limit)
    return audit_page(events, limit)


@router.get("/audit", operation_id="list_audit_events")
def list_audit_events(
    principal: CurrentPrincipal,
    db: SessionDep,
    worker_id: int | None = None,
    kind: str | None = None,
    before: Before = None,
    limit: Limit = 50,
) -> AuditPage:
    """Operators: everyone's events (sanctions flag a recent complaint: follows_complaint)."""
    policies.require_operator(principal)
    events = audit.list_events(db, worker_id=worker_id, kind=kind, before=before, limit=limit)
    return audit_page(events, limit)


# --- sanctions ----------------------------------------------------------------------------


@router.get("/sanction-reasons", operation_id="list_sanction_reasons")
def list_sanction_reasons() -> list[SanctionReason]:
    """The published reasons a sanction may cite; nothing else can be sanctioned."""
    return service.SANCTION_REASONS


@router.post("/sanctions", operation_id="issue_sanction", status_code=status.HTTP_201_CREATED)
def issue_sanction(
    body: SanctionIn, principal: CurrentPrincipal, db: SessionDep, settings: SettingsDep
) -> SanctionOut:
    """A warning, a suspension from a project, or a deactivation: with a published reason,
    evidence, and notice before it takes effect (except proven fraud)."""
    sanction = service.issue_sanction(db, body, principal, settings)
    return sanction_out(sanction)


def sanction_out(sanction: object) -> SanctionOut:
    out = SanctionOut.model_validate(sanction)
    out.in_effect = out.withdrawn_at is None and out.effective_at <= utcnow()
    return out


@router.get("/me/sanctions", operation_id="list_my_sanctions")
def list_my_sanctions(principal: CurrentPrincipal, db: SessionDep) -> list[SanctionOut]:
    return [sanction_out(s) for s in service.list_sanctions(db, principal.id)]


@router.get("/sanctions", operation_id="list_sanctions")
def list_sanctions(
    principal: CurrentPrincipal, db: SessionDep, worker_id: int | None = None
) -> list[SanctionOut]:
    policies.require_operator(principal)
    return [sanction_out(s) for s in service.list_sanctions(db, worker_id)]


# --- appeals ------------------------------------------------------------------------------


def settle_on_read(database: Database, db: Session, worker_id: int | None) -> None:
    """Decide overdue appeals for their workers before showing them: a read finds them, a
    short write transaction of its own settles them, and the read starts afresh."""
    now = utcnow()
    if not service.has_overdue(db, now, worker_id):
        return
    with database.session() as write:
        service.settle_overdue(write, now, worker_id=worker_id)
    db.rollback()


@router.post("/appeals", operation_id="file_appeal", status_code=status.HTTP_201_CREATED)
def file_appeal(
    body: AppealIn, principal: CurrentPrincipal, db: SessionDep, settings: SettingsDep
) -> AppealOut:
    """Appeal a rejection, a qualification decision or a sanction about you, within the
    window; it is heard by someone else before the deadline, or decided for you."""
    return service.appeal_out(service.file_appeal(db, principal.id, body, settings))


@router.get("/me/appeals", operation_id="list_my_appeals")
def list_my_appeals(
    principal: CurrentPrincipal, db: SessionDep, database: DatabaseDep
) -> list[AppealOut]:
    settle_on_read(database, db, principal.id)
    appeals = service.list_appeals(db, principal, mine=True, status=None)
    return [service.appeal_out(a) for a in appeals]


@router.get("/appeals", operation_id="list_appeals_to_hear")
def list_appeals_to_hear(
    principal: CurrentPrincipal,
    db: SessionDep,
    database: DatabaseDep,
    status: Annotated[str | None, Query(pattern="^(open|upheld|denied)$")] = None,
) -> list[AppealOut]:
    """Appeals the caller may hear: operators all, owners and managers their projects'."""
    settle_on_read(database, db, None)
    appeals = service.list_appeals(db, principal, mine=False, status=status)
    return [service.appeal_out(a) for a in appeals]


@router.get("/appeals/{appeal_id}", operation_id="get_appeal")
def get_appeal(
    appeal_id: int, principal: CurrentPrincipal, db: SessionDep, database: DatabaseDep
) -> AppealOut:
    appeal = service.get_appeal(db, appeal_id, principal)
    settle_on_read(database, db, appeal.worker_id)
    return service.appeal_out(service.get_appeal(db, appeal_id, principal))


@router.post("/appeals/{appeal_id}/decision", operation_id="decide_appeal")
def decide_appeal(
    appeal_id: int, body: AppealDecision, principal: CurrentPrincipal, db: SessionDep
) -> AppealOut:
    """Uphold (decide for the worker) or deny, with a reason the worker sees."""
    appeal = service.get_appeal(db, appeal_id, principal)
    return service.appeal_out(service.decide_appeal(db, appeal, principal, body))


# --- notices ------------------------------------------------------------------------------


@router.post(
    "/projects/{project_id}/notices",
    operation_id="create_notice",
    status_code=status.HTTP_201_CREATED,
)
def create_notice(
    project_id: int,
    body: NoticeIn,
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
) -> NoticeOut:
    """End the project, or its work in one country, on a date at least the minimum notice
    ahead; affected workers see it now and the queue stops on that date."""
    project = projects.get_project(db, project_id)
    policies.manage_project(principal, project)
    notice = notices.create_notice(db, project, body, principal.id, settings.work_end_notice_days)
    return NoticeOut.model_validate(notice)


@router.get("/projects/{project_id}/notices", operation_id="list_notices")
def list_notices(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> list[NoticeOut]:
    policies.view_project(principal, projects.get_project(db, project_id))
    return [NoticeOut.model_validate(n) for n in notices.list_notices(db, project_id)]


@router.get("/me/notices", operation_id="list_my_notices")
def list_my_notices(principal: CurrentPrincipal, db: SessionDep) -> list[NoticeOut]:
    """Notices of the projects the caller holds or recently did work on."""
    require_worker(principal)
    country = workforce.get_worker(db, principal.id).country
    return [NoticeOut.model_validate(n) for n in notices.notices_for(db, principal.id, country)]


# --- feedback -----------------------------------------------------------------------------


@router.post("/me/feedback", operation_id="send_feedback", status_code=status.HTTP_201_CREATED)
def send_feedback(body: FeedbackIn, principal: CurrentPrincipal, db: SessionDep) -> FeedbackOut:
    require_worker(principal)
    return FeedbackOut.model_validate(service.send_feedback(db, principal.id, body))


@router.get("/me/feedback", operation_id="list_my_feedback")
def list_my_feedback(principal: CurrentPrincipal, db: SessionDep) -> list[FeedbackOut]:
    return [FeedbackOut.model_validate(f) for f in service.list_feedback(db, principal, mine=True)]


@router.get("/feedback", operation_id="list_feedback_to_answer")
def list_feedback_to_answer(principal: CurrentPrincipal, db: SessionDep) -> list[FeedbackOut]:
    """Operators: all; owners and managers: their organizations' projects'."""
    found = service.list_feedback(db, principal, mine=False)
    return [FeedbackOut.model_validate(f) for f in found]


@router.post("/feedback/{feedback_id}/answer", operation_id="answer_feedback")
def answer_feedback(
    feedback_id: int, body: FeedbackAnswer, principal: CurrentPrincipal, db: SessionDep
) -> FeedbackOut:
    return FeedbackOut.model_validate(service.answer_feedback(db, feedback_id, principal, body))
