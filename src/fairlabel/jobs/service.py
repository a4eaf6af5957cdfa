"""Creating and finding jobs. A job is handed to the runner only once the transaction that
created it commits, so the runner never looks for a job it cannot see yet, and a request
that fails after creating one leaves nothing behind."""

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from fairlabel.errors import Conflict, NotFound
from fairlabel.jobs import runner as runners
from fairlabel.jobs.runner import Runner
from fairlabel.jobs.schemas import JobOut
from fairlabel.models import Job, JobStatus, Project
from fairlabel.models.jobs import ACTIVE_STATUSES


def create(
    db: Session,
    runner: Runner,
    kind: str,
    params: dict[str, Any],
    *,
    project_id: int | None = None,
    created_by_id: int | None = None,
    exclusive: bool = False,
) -> Job:
    """A queued job, submitted to `runner` when this transaction commits. `exclusive`: one
    job of this kind per project at a time; another one queued or running is a 409."""
    if exclusive and project_id is not None:
        # Serialises two requests for the same project on PostgreSQL (SQLite's writes are).
        db.execute(select(Project.id).where(Project.id == project_id).with_for_update())
        running = active_job(db, project_id, kind)
        if running is not None:
            raise busy(running)
    job = Job(
        kind=kind,
        status=JobStatus.queued,
        params=params,
        message="Waiting to start",
        project_id=project_id,
        created_by_id=created_by_id,
    )
    db.add(job)
    db.flush()
    job_id = job.id

    def submit(_session: Session) -> None:
        runner.submit(job_id)

    event.listen(db, "after_commit", submit, once=True)
    return job


def busy(job: Job) -> Conflict:
    title = title_of(job.kind).lower()
    return Conflict(
        f"a {title} of project {job.project_id} is already {job.status}: job {job.id}",
        field="project_id",
        value=job.project_id,
        expected=f"job {job.id} to finish first (GET /api/jobs/{job.id})",
        details=[{"job_id": job.id, "status": job.status, "location": f"/api/jobs/{job.id}"}],
    )


def active_job(db: Session, project_id: int, kind: str) -> Job | None:
    """The project's job of this kind that is queued or running, if any."""
    query = select(Job).where(
        Job.project_id == project_id, Job.kind == kind, Job.status.in_(ACTIVE_STATUSES)
    )
    return db.scalars(query.order_by(Job.id.desc()).limit(1)).first()


def get_job(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("no such job", field="job_id", value=job_id, expected="a job you can see")
    return job


def list_jobs(
    db: Session, *, project_id: int | None = None, created_by_id: int | None = None, limit: int
) -> list[Job]:
    """Newest first: a project's jobs, or one person's (neither: everyone's)."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if project_id is not None:
        query = query.where(Job.project_id == project_id)
    if created_by_id is not None:
        query = query.where(Job.created_by_id == created_by_id)
    return list(db.scalars(query))


def title_of(kind: str) -> str:
    found = runners.get_kind(kind)
    return found.title if found is not None else kind.replace("_", " ").capitalize()


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        title=title_of(job.kind),
        status=job.status,
        params=job.params,
        done=job.done,
        total=job.total,
        message=job.message,
        result=job.result,
        error=job.error,
        project_id=job.project_id,
        created_by_id=job.created_by_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
