"""The client's judges page: each LLM judge of the project with its agreement with people
(Cohen's kappa and its interval, the position-swap consistency), its verdicts by status
(unparseable replies and failed calls counted, never votes), and the items it flagged for
people; owners and managers start a run there, which goes on as a job with its own page.
Judges are created through the API or the SDK (POST /api/projects/{id}/judges)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.deps import RunnerDep, SessionDep
from fairlabel.errors import Conflict, FairlabelError, NotFound
from fairlabel.evaluation import agreement, judges
from fairlabel.jobs import service as jobs_service
from fairlabel.models import Project
from fairlabel.models.judges import Judge
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

#: Bootstrap rounds behind the page's kappa intervals (the API takes ?bootstrap=).
ROUNDS = 1000
#: Flagged items listed per judge on the page (the API lists them all).
LISTED = 20


@router.get("/projects/{project_id}/judges", response_class=HTMLResponse)
def judges_page(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    shown = [
        {
            "judge": judges.judge_out(judge, project),
            "agreement": agreement.report(db, project, judge, ROUNDS, 0),
            "counts": judges.verdict_counts(db, judge.id),
        }
        for judge in judges.list_judges(db, project.id)
    ]
    values = context(
        principal,
        project=project,
        can_manage=policies.manages_project(principal, project),
        judges=shown,
        listed=LISTED,
        running=jobs_service.active_job(db, project.id, judges.KIND),
    )
    return render(request, "client/judges.html", values)


@router.post("/projects/{project_id}/judges/{judge_id}/run", response_class=HTMLResponse)
def run_judge(
    judge_id: int,
    project: ManagedProject,
    db: SessionDep,
    principal: SignedIn,
    runner: RunnerDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Start the judge (as POST /api/judges/{id}/runs) and go to the job's page; while a
    run of the project is queued or running, go to that one's page instead."""
    check_form_csrf(principal, csrf_token)
    judge = _of_project(db, project, judge_id)
    try:
        job = judges.start_judging(db, runner, project, judge, principal.id)
    except FairlabelError as error:
        running = jobs_service.active_job(db, project.id, judges.KIND)
        if isinstance(error, Conflict) and running is not None:
            return RedirectResponse(f"/jobs/{running.id}", status_code=303)
        raise PageError("The judge cannot run", error) from error
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _of_project(db: Session, project: Project, judge_id: int) -> Judge:
    judge = db.get(Judge, judge_id)
    if judge is None or judge.project_id != project.id:
        raise NotFound(
            "no such judge", field="judge_id", value=judge_id, expected="a judge of this project"
        )
    return judge
