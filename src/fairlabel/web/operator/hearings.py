"""The hearing page for operators and project owners and managers: appeals they may hear
with a form to decide each (with a reason the worker sees), feedback to answer, and for
operators a sanction form and the sanctions issued, flagged when they follow a complaint."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.deps import DatabaseDep, SessionDep, SettingsDep
from fairlabel.dueprocess import audit, service
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.dueprocess.routes import settle_on_read
from fairlabel.dueprocess.schemas import AppealDecision, FeedbackAnswer, SanctionIn
from fairlabel.errors import Forbidden
from fairlabel.web.forms import Render, act
from fairlabel.web.pages import PageError, SignedIn, context, render

router = APIRouter(include_in_schema=False)


@router.get("/operator", response_class=HTMLResponse)
def hearing_page(
    request: Request, db: SessionDep, database: DatabaseDep, principal: SignedIn
) -> Response:
    settle_on_read(database, db, None)
    return _render(request, db, principal, None, 200)


def _render(
    request: Request, db: Session, principal: Principal, error: str | None, status: int
) -> Response:
    if not (principal.is_operator or principal.roles):
        raise PageError("Not for workers", Forbidden("Operators and clients only."))
    issued = (
        audit.list_events(db, worker_id=None, kind=AuditKind.sanction_issued, limit=100)
        if principal.is_operator
        else []
    )
    values = context(
        principal,
        appeals=service.list_appeals(db, principal, mine=False, status="open"),
        feedback=[f for f in service.list_feedback(db, principal, mine=False) if not f.answered_at],
        sanctions=issued,
        reasons=service.SANCTION_REASONS,
        error=error,
    )
    return render(request, "operator.html", values, status)


def _renderer(request: Request, db: Session, principal: Principal) -> Render:
    return lambda error, status: _render(request, db, principal, error, status)


@router.post("/operator/appeals/{appeal_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    appeal_id: int,
    db: SessionDep,
    principal: SignedIn,
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def hear() -> None:
        body = AppealDecision.model_validate({"outcome": outcome, "reason": reason})
        service.decide_appeal(db, service.get_appeal(db, appeal_id, principal), principal, body)

    return act(db, principal, csrf_token, hear, "/operator", _renderer(request, db, principal))


@router.post("/operator/feedback/{feedback_id}", response_class=HTMLResponse)
def answer(
    request: Request,
    feedback_id: int,
    db: SessionDep,
    principal: SignedIn,
    text: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def reply() -> None:
        service.answer_feedback(db, feedback_id, principal, FeedbackAnswer(answer=text))

    return act(db, principal, csrf_token, reply, "/operator", _renderer(request, db, principal))


@router.post("/operator/sanctions", response_class=HTMLResponse)
def sanction(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    worker_id: Annotated[int, Form()] = 0,
    kind: Annotated[str, Form()] = "",
    project_id: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """With the default notice period; proven fraud is for the API, with its assignments."""

    def issue() -> None:
        body = SanctionIn.model_validate(
            {
                "worker_id": worker_id,
                "kind": kind,
                "project_id": int(project_id) if project_id.strip() else None,
                "reason_code": reason_code,
                "evidence": evidence,
            }
        )
        service.issue_sanction(db, body, principal, settings)

    return act(db, principal, csrf_token, issue, "/operator", _renderer(request, db, principal))
