"""A worker's due-process pages: the decisions about them they can appeal (rejections, a
failed test or the gold gate, sanctions) with a form each, their appeals with outcomes and
reasons, notices of work ending, the feedback channel, and the whole audit trail."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.db import utcnow
from fairlabel.deps import DatabaseDep, SessionDep, SettingsDep
from fairlabel.dueprocess import audit, notices, service
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.dueprocess.describe import describe
from fairlabel.dueprocess.routes import settle_on_read
from fairlabel.dueprocess.schemas import AppealIn, FeedbackIn
from fairlabel.models import Project, Worker
from fairlabel.review import service as review_service
from fairlabel.web.forms import Render, act
from fairlabel.web.pages import SignedIn, context, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(
    request: Request,
    db: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    principal: SignedIn,
) -> Response:
    settle_on_read(database, db, principal.id)
    return _render(request, db, principal, settings.appeal_window_days, None, 200)


def _render(
    request: Request,
    db: Session,
    principal: Principal,
    window_days: int,
    error: str | None,
    status: int,
) -> Response:
    appeals = service.list_appeals(db, principal, mine=True, status=None)
    appealed = {(a.subject_kind, a.subject_id) for a in appeals}
    since = utcnow() - timedelta(days=window_days)
    worker = db.get(Worker, principal.id)
    values = context(
        principal,
        appeals=appeals,
        decisions=[d for d in _decisions(db, principal.id, since) if d[:2] not in appealed],
        notices=notices.notices_for(db, principal.id, worker.country if worker else None),
        feedback=service.list_feedback(db, principal, mine=True),
        window_days=window_days,
        error=error,
    )
    return render(request, "appeals.html", values, status)


def _decisions(db: Session, worker_id: int, since: Any) -> list[tuple[str, int, str]]:
    """(subject_kind, subject_id, what) of each decision about the worker still in the window."""
    found = [
        ("review", r["id"], f"Rejection ({r['reason_code']}) of item {r['item_id']}")
        for r in review_service.list_reviews(db, worker_id=worker_id, limit=200)
        if r["verdict"] == "reject" and r["created_at"] >= since
    ]
    for event in audit.list_events(db, worker_id=worker_id, limit=500):
        if event.created_at < since:
            break
        if service.appealable_qualification(event):
            what = "Failed test" if event.kind == AuditKind.qualification_test else "Gold gate"
            found.append(("qualification", event.id, f"{what} on project {event.project_id}"))
        elif event.kind == AuditKind.sanction_issued:
            found.append(("sanction", event.subject_id or 0, f"Sanction: {event.data['kind']}"))
    return found


@router.post("/appeals", response_class=HTMLResponse)
def file_appeal(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    subject_kind: Annotated[str, Form()] = "",
    subject_id: Annotated[int, Form()] = 0,
    statement: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def file() -> None:
        body = AppealIn.model_validate(
            {"subject_kind": subject_kind, "subject_id": subject_id, "statement": statement}
        )
        service.file_appeal(db, principal.id, body, settings)

    render = _renderer(request, db, principal, settings.appeal_window_days)
    return act(db, principal, csrf_token, file, "/appeals", render)


@router.post("/feedback", response_class=HTMLResponse)
def send_feedback(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    kind: Annotated[str, Form()] = "feedback",
    body: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def send() -> None:
        service.send_feedback(
            db, principal.id, FeedbackIn.model_validate({"kind": kind, "body": body})
        )

    render = _renderer(request, db, principal, settings.appeal_window_days)
    return act(db, principal, csrf_token, send, "/appeals", render)


def _renderer(request: Request, db: Session, principal: Principal, window: int) -> Render:
    return lambda error, status: _render(request, db, principal, window, error, status)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Every decision about the signed-in person in plain words, newest first, paged."""
    events = audit.list_events(db, worker_id=principal.id, before=before, limit=PAGE_SIZE)
    values = context(
        principal,
        events=[(event, describe(event)) for event in events],
        projects=_project_names(db, {e.project_id for e in events if e.project_id is not None}),
        older=events[-1].id if len(events) == PAGE_SIZE else None,
    )
    return render(request, "audit.html", values)


def _project_names(db: Session, ids: set[int]) -> dict[int, str]:
    """One query for the page's few projects, so each row names its project, not an id."""
    if not ids:
        return {}
    rows = db.execute(select(Project.id, Project.name).where(Project.id.in_(ids)))
    return {project_id: name for project_id, name in rows}
