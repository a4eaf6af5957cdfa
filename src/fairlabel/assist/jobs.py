"""Batch pre-labelling as a job: a project's items (or the ids a filter chose) through one
backend, in batches of the backend's size, with progress and a rate in items/s.

The model runs outside any transaction and each batch is stored in a short write of its
own, so submissions never wait on a model. A batch that fails is retried, then reported and
skipped; the job goes on. Resumable: items that already carry this backend's suggestion
are skipped, so a job started again after a restart picks up where the last one stopped."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fairlabel.assist import service
from fairlabel.assist.backends import Backend, BackendFailed, backend_class
from fairlabel.assist.schemas import PrelabelIn
from fairlabel.db import Database
from fairlabel.errors import ValidationFailed
from fairlabel.jobs import service as jobs_service
from fairlabel.jobs.runner import Progress, Runner, batch_transaction, register
from fairlabel.models import Item, Job, Project, Suggestion

KIND = "prelabel"
#: Pause before the n-th retry of a failed batch, in seconds (times n).
RETRY_PAUSE_SECONDS = 0.2


def start_prelabel(
    db: Session, runner: Runner, project: Project, body: PrelabelIn, created_by_id: int | None
) -> Job:
    """Queue a pre-labelling job once its backend is known and answers one of the questions."""
    backend = backend_class(body.backend)
    served = [q.name for q in project.questions if q.type in backend.question_types]
    if not served:
        raise ValidationFailed(
            "this backend answers none of the project's questions",
            field="backend",
            value=body.backend,
            expected="a backend for one of: " + ", ".join(sorted(backend.question_types)),
        )
    params = {"project_id": project.id, **body.model_dump()}
    return jobs_service.create(
        db, runner, KIND, params, project_id=project.id, created_by_id=created_by_id, exclusive=True
    )


def summary(result: dict[str, Any]) -> str:
    return (
        f"{result['stored']:,} suggestions from {result['items']:,} items, "
        f"{len(result['failed_batches'])} batches failed, {result['items_per_second']:.1f} items/s"
    )


@register(KIND, title="Pre-labelling", summary=summary)
def prelabel_job(database: Database, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    with database.session(write=False) as db:
        project = db.get_one(Project, params["project_id"])
        backend = backend_class(params["backend"]).for_job(db, project, params.get("options", {}))
    return run(database, backend, params, progress)


def run(
    database: Database, backend: Backend, params: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """Params: project_id, item_ids (optional filter), batch_size, retries."""
    ids = pending(database, params["project_id"], backend.name, params.get("item_ids"))
    size = int(params.get("batch_size") or backend.batch_size)
    retries = int(params.get("retries", 2))
    result: dict[str, Any] = {"items": 0, "stored": 0, "problems": [], "failed_batches": []}
    started = time.perf_counter()
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        report = _batch(database, params["project_id"], backend, batch, retries)
        if "error" in report:
            result["failed_batches"].append(report)
        else:
            for key in ("items", "stored", "problems"):
                result[key] += report[key]
        progress.update(start + len(batch), len(ids), f"{result['stored']:,} suggestions stored")
    elapsed = time.perf_counter() - started
    result["items_per_second"] = result["items"] / elapsed if elapsed > 0 else 0.0
    return result


def pending(
    database: Database, project_id: int, agent: str, item_ids: list[int] | None
) -> list[int]:
    """The items to do, in id order: those with no suggestion from this backend yet."""
    done = exists().where(Suggestion.item_id == Item.id, Suggestion.agent == agent)
    query = select(Item.id).where(Item.project_id == project_id, ~done)
    if item_ids is not None:
        query = query.where(Item.id.in_(item_ids))
    with database.session(write=False) as db:
        return list(db.scalars(query.order_by(Item.id)))


def _batch(
    database: Database, project_id: int, backend: Backend, ids: list[int], retries: int
) -> dict[str, Any]:
    """One batch, tried up to 1 + `retries` times; a failure's report names its items."""
    with database.session(write=False) as db:
        project = db.get_one(Project, project_id)
        questions = service.backend_questions(project, backend)
        items = service.batch_items(db, project_id, ids)
    for attempt in range(retries + 1):
        try:
            predictions = backend.predict(questions, items) if questions else []
            break
        except BackendFailed as exc:
            error = str(exc)
            time.sleep(RETRY_PAUSE_SECONDS * (attempt + 1))
    else:
        return {"first_item": ids[0], "last_item": ids[-1], "attempts": retries + 1, "error": error}
    with batch_transaction(database) as db:
        project = db.get_one(Project, project_id)
        return service.keep_predictions(db, project, backend, items, predictions)
