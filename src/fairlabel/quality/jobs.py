"""The whole-project consensus recompute as a job: the request is checked at once (a 422
for a question or method that does not fit, a 409 while one runs), then the work reads the
project in one transaction, computes, and writes in short batches (see
service.recompute_with for what readers and concurrent submissions see meanwhile)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from fairlabel.db import Database
from fairlabel.jobs import service as jobs_service
from fairlabel.jobs.runner import Link, Progress, Runner, batch_transaction, register
from fairlabel.models import Job, Project
from fairlabel.quality import service

KIND = "consensus"
METHOD_NAMES = {"dawid_skene": "Dawid-Skene", "bradley_terry": "Bradley-Terry"}


def start_recompute(
    db: Session,
    runner: Runner,
    project: Project,
    method: str | None,
    question: str | None,
    created_by_id: int | None,
) -> Job:
    """Queue a recompute of the project's consensus, once the request is known to fit."""
    service.plan(project, method, question)
    params = {"project_id": project.id, "method": method, "question": question}
    return jobs_service.create(
        db,
        runner,
        KIND,
        params,
        project_id=project.id,
        created_by_id=created_by_id,
        exclusive=True,
    )


def summary(result: dict[str, Any]) -> str:
    """The result in words, for the job's page."""
    methods = ", ".join(
        f"{question} by {method_name(method)}" for question, method in result["methods"].items()
    )
    words = (
        f"Recomputed the consensus of {counted(result['items'], 'item')} "
        f"({counted(result['rows'], 'row')}: {methods}) in {result['seconds']:.1f} s."
    )
    if result.get("reopened"):
        words += f" {counted(result['reopened'], 'item')} reopened for one more annotator."
    if result.get("skipped"):
        words += (
            f" {counted(result['skipped'], 'row')} kept the newer answer of a submission or "
            "review made while it ran."
        )
    return words


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method.replace("_", " "))


def quality_page(job: Job) -> Link | None:
    if job.project_id is None:
        return None
    return Link(f"/projects/{job.project_id}/quality", "the project's quality page")


@register(KIND, title="Consensus recompute", summary=summary, link=quality_page)
def recompute_consensus(
    database: Database, params: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """Each batch of rows is its own short write transaction, so submissions go on between
    them instead of waiting for the whole project."""
    result = service.recompute_with(
        lambda: snapshot(database),
        lambda: batch_transaction(database),
        params["project_id"],
        params.get("method"),
        params.get("question"),
        progress=progress,
        batch_rows=database.settings.consensus_batch_rows,
    )
    return result.model_dump()


@contextmanager
def snapshot(database: Database) -> Iterator[Session]:
    """A read transaction that sees one moment throughout: SQLite's read transactions do
    (WAL), PostgreSQL's need REPEATABLE READ."""
    with database.session(write=False) as db:
        if not database.is_sqlite:
            db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield db
