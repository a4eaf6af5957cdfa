"""Quality API: the project's agreement report and consensus rows (its organization's
members, viewers included), and a whole-project consensus recompute as a job (owners and
managers)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, RunnerDep, SessionDep, job_accepted
from fairlabel.jobs.schemas import JobOut
from fairlabel.projects import service as projects_service
from fairlabel.quality import jobs, service
from fairlabel.quality.schemas import ConsensusPage, QualityReport

router = APIRouter(tags=["quality"])


@router.get("/projects/{project_id}/quality", operation_id="quality_report")
def quality_report(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> QualityReport:
    """Agreement per question (Krippendorff's alpha, IoU F1, span F1, Kendall's tau), the
    lowest-agreement items, per-worker accuracy against the consensus, accuracy per day."""
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return service.quality_report(db, project)


@router.get("/projects/{project_id}/consensus", operation_id="list_consensus")
def list_consensus(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    after: Annotated[int | None, Query(description="an item id: later ones only")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
) -> ConsensusPage:
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    rows, next_after = service.list_consensus(db, project.id, after, limit)
    return ConsensusPage(consensus=rows, next_after=next_after)


@router.post(
    "/projects/{project_id}/consensus",
    operation_id="recompute_consensus",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={409: {"description": "a recompute of this project is already queued or running"}},
)
def recompute_consensus(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    runner: RunnerDep,
    method: Annotated[
        str | None, Query(description="default: dawid_skene where the type has it")
    ] = None,
    question: Annotated[str | None, Query(description="default: every question")] = None,
) -> Response:
    """Start recomputing the consensus of the whole project, then reopening items under the
    project's consensus threshold for one more annotator (up to its max overlap). A method
    or question that does not fit is refused at once; the work runs as a job: follow
    `Location` (GET /api/jobs/{id}) until it succeeds, its result is what was recomputed."""
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    job = jobs.start_recompute(db, runner, project, method, question, principal.id)
    return job_accepted(job)
