"""The client's quality page: the agreement report of quality.service as tables and an
inline SVG chart, for every member of the project's organization (pseudonyms only)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.auth import policies
from fairlabel.deps import SessionDep
from fairlabel.quality import service as quality_service
from fairlabel.web.client import _can_manage, _context, _project_for
from fairlabel.web.routes import SignedIn, templates

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/quality", response_class=HTMLResponse)
def quality_page(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    project = _project_for(request, db, principal, project_id, policies.read_project_data)
    if isinstance(project, Response):
        return project
    context = _context(
        principal,
        project=project,
        can_manage=_can_manage(principal, project),
        report=quality_service.quality_report(db, project),
    )
    return templates.TemplateResponse(request, "client/quality.html", context)
