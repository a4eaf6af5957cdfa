"""Jobs API: a job's progress, result or error, for operators, whoever started it and the
members of its project's organization; anyone else gets 404, as if it did not exist."""

from typing import Annotated

from fastapi import APIRouter, Query

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.jobs import service
from fairlabel.jobs.schemas import JobOut
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", operation_id="get_job")
def get_job(job_id: int, principal: CurrentPrincipal, db: SessionDep) -> JobOut:
    """Poll this while the job is queued or running: `done` of `total` and `message` say
    how far it is."""
    job = service.get_job(db, job_id)
    project = projects_service.get_project(db, job.project_id) if job.project_id else None
    policies.view_job(principal, job, project)
    return service.job_out(job)


@router.get("/jobs", operation_id="list_jobs")
def list_jobs(
    principal: CurrentPrincipal,
    db: SessionDep,
    project_id: Annotated[
        int | None, Query(description="a project's jobs (default: the ones you started)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[JobOut]:
    """Newest first: a project's jobs for its organization's members, or the caller's own
    (for an operator without project_id: everyone's)."""
    if project_id is not None:
        policies.read_project_data(principal, projects_service.get_project(db, project_id))
        jobs = service.list_jobs(db, project_id=project_id, limit=limit)
    else:
        mine = None if principal.is_operator else principal.id
        jobs = service.list_jobs(db, created_by_id=mine, limit=limit)
    return [service.job_out(job) for job in jobs]
