"""A job's page: what it is, a progress bar with the count and what it is doing now, and
once it ends its result in words with a link onwards, or its error and how to start again.
While the job is queued or running the page refreshes itself every second (a meta refresh:
no script needed). Visible to the same people as GET /api/jobs/{id}."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.auth import policies
from fairlabel.deps import SessionDep
from fairlabel.jobs import runner as runners
from fairlabel.jobs import service as jobs_service
from fairlabel.models import JobStatus, Project
from fairlabel.web.pages import SignedIn, context, render, titled

router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    JobStatus.queued: "waiting to start",
    JobStatus.running: "running",
    JobStatus.succeeded: "done",
    JobStatus.failed: "failed",
}


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, db: SessionDep, principal: SignedIn) -> Response:
    with titled("Job not found"):
        job = jobs_service.get_job(db, job_id)
        project = db.get(Project, job.project_id) if job.project_id is not None else None
        policies.view_job(principal, job, project)
    kind = runners.get_kind(job.kind)
    succeeded = job.status == JobStatus.succeeded
    values = context(
        principal,
        job=job,
        project=project,
        title=jobs_service.title_of(job.kind),
        status_words=STATUS_WORDS.get(JobStatus(job.status), job.status),
        active=job.status in (JobStatus.queued, JobStatus.running),
        summary=kind.summary(job.result) if kind and succeeded and job.result else None,
        link=kind.link(job) if kind else None,
    )
    return render(request, "job.html", values)
