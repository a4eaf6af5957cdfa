"""The home page: every project the person may see, which of them a worker may take (and
what they miss for the others), and a notice of new platform terms."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.governance import service as governance_service
from fairlabel.models import Project, ProjectStatus
from fairlabel.projects import service as project_service
from fairlabel.web import service
from fairlabel.web.pages import SignedIn, context, render
from fairlabel.workforce import service as workforce_service

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return render(request, "home.html", _home_context(db, principal))


def _home_context(db: Session, principal: Principal) -> dict[str, object]:
    org_ids = None if principal.is_operator else list(principal.roles)
    projects = project_service.list_projects(db, org_ids, include_active=principal.is_worker)
    not_open = _not_open_to(db, principal)
    return context(
        principal,
        projects=projects,
        workable={p.id for p in projects if _can_work(principal, p) and p.id not in not_open},
        not_open=not_open,
        terms_notice=governance_service.notice_for(db, principal.id)
        if principal.is_worker
        else None,
        describe_question=service.describe_question,
    )


def _not_open_to(db: Session, principal: Principal) -> dict[int, list[str]]:
    """For a worker: each active project they are not eligible for, with what is missing."""
    if not principal.is_worker:
        return {}
    listed = workforce_service.my_projects(db, principal.id)
    return {p.project_id: [u.message for u in p.unmet] for p in listed if not p.eligible}


def _can_work(principal: Principal, project: Project) -> bool:
    return principal.is_worker and project.status == ProjectStatus.active
