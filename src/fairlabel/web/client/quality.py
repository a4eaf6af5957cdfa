"""The client's quality page: the agreement report of quality.service as tables and an
inline SVG chart, for every member of the project's organization (pseudonyms only); owners
and managers can start a consensus recompute there, which runs as a job with its own page."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairlabel.auth import policies
from fairlabel.deps import RunnerDep, SessionDep
from fairlabel.errors import Conflict, FairlabelError
from fairlabel.jobs import service as jobs_service
from fairlabel.quality import jobs as quality_jobs
from fairlabel.quality import service as quality_service
from fairlabel.web.pages import (
    ManagedProject,
    MemberProject,
    PageError,
    SignedIn,
    check_form_csrf,
    context,
    render,
)

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/quality", response_class=HTMLResponse)
def quality_page(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    values = context(
        principal,
        project=project,
        can_manage=policies.manages_project(principal, project),
        report=quality_service.quality_report(db, project),
        recompute=jobs_service.active_job(db, project.id, quality_jobs.KIND),
    )
    return render(request, "client/quality.html", values)


@router.post("/projects/{project_id}/quality/recompute", response_class=HTMLResponse)
def recompute(
    project: ManagedProject,
    db: SessionDep,
    principal: SignedIn,
    runner: RunnerDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Start the recompute job (as POST /api/projects/{id}/consensus) and go to its page;
    while one is already queued or running, go to that one's page instead."""
    check_form_csrf(principal, csrf_token)
    try:
        job = quality_jobs.start_recompute(db, runner, project, None, None, principal.id)
    except FairlabelError as error:
        running = jobs_service.active_job(db, project.id, quality_jobs.KIND)
        if isinstance(error, Conflict) and running is not None:
            return RedirectResponse(f"/jobs/{running.id}", status_code=303)
        raise PageError("The consensus cannot be recomputed", error) from error
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
