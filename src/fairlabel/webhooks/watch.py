"""The project watcher: the events no single request can tell apart, noticed in the
background. For each project of an organization with a receiver of project, evaluation or
leaderboard events, it looks again only when the project has a newer annotation or a newer
finished job than last time (new votes, a review, a recompute), then asks: is every item
complete (project.finished, and evaluation.finished for a project with a pairwise
question), and is the leaderboard's order another than the one it saw last
(leaderboard.order_changed)? What it saw is kept in `webhook_watches`."""

import logging
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from fairlabel.db import Database, utcnow
from fairlabel.evaluation import service as evaluation
from fairlabel.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Item,
    Job,
    Project,
    ProjectStatus,
    WebhookReceiver,
    WebhookWatch,
)
from fairlabel.models.jobs import ACTIVE_STATUSES
from fairlabel.webhooks.events import emit

log = logging.getLogger("fairlabel.webhooks")

WATCHED = frozenset({"project.finished", "evaluation.finished", "leaderboard.order_changed"})


def sweep(database: Database) -> int:
    """Look at every watched project once; how many had changed since the last look."""
    with database.session(write=False) as db:
        projects = _watched_projects(db)
    changed = 0
    for project_id, types in projects.items():
        try:
            with database.session() as db:
                changed += check(db, project_id, types)
        except Exception:  # one project's failure leaves the others watched
            log.exception("watching project %s for webhook events failed", project_id)
    return changed


def _watched_projects(db: Session) -> dict[int, set[str]]:
    """Each project not in draft of an organization whose active receivers want any of the
    watched types, with the types they want."""
    wanted: dict[int, set[str]] = {}
    rows = db.execute(
        select(WebhookReceiver.organization_id, WebhookReceiver.events).where(
            WebhookReceiver.active
        )
    )
    for organization_id, types in rows:
        wanted.setdefault(organization_id, set()).update(WATCHED & set(types))
    query = select(Project.id, Project.organization_id).where(
        Project.organization_id.in_([o for o, t in wanted.items() if t]),
        Project.status != ProjectStatus.draft,
    )
    return {
        project_id: wanted[organization_id] for project_id, organization_id in db.execute(query)
    }


def check(db: Session, project_id: int, types: set[str]) -> bool:
    """Emit what changed in one project since the watcher last saw it; whether anything
    (annotations or jobs) was new."""
    project = db.get(Project, project_id)
    if project is None:
        return False
    watch = db.get(WebhookWatch, project_id, with_for_update=True)  # one watcher at a time
    if watch is None:
        watch = WebhookWatch(project_id=project_id, last_annotation_id=0, last_job_id=0)
        db.add(watch)
    latest = _latest(db, project_id)
    if latest == (watch.last_annotation_id, watch.last_job_id):
        return False
    watch.last_annotation_id, watch.last_job_id = latest
    watch.checked_at = utcnow()
    evaluated = any(q.type == "pairwise" for q in project.questions)
    board = evaluation.leaderboard(db, project, rounds=0) if evaluated else None
    order = [s.model for s in board.standings] if board is not None else None
    if "leaderboard.order_changed" in types and order and watch.order and order != watch.order:
        _order_changed(db, project, watch.order, order, board.votes if board else 0)
    if order:
        watch.order = order
    items = _complete_items(db, project_id)
    if items:
        _finished(db, project, items, order if evaluated else None, types)
    db.flush()
    return True


def _latest(db: Session, project_id: int) -> tuple[int, int]:
    annotation = db.scalar(
        select(func.max(Annotation.id)).where(Annotation.project_id == project_id)
    )
    job = db.scalar(
        select(func.max(Job.id)).where(
            Job.project_id == project_id, Job.status.not_in(ACTIVE_STATUSES)
        )
    )
    return annotation or 0, job or 0


def _complete_items(db: Session, project_id: int) -> int:
    """The number of items when every one is complete (none open to the queue, none
    leased, no latest annotation awaiting a review stage); 0 otherwise."""
    items = Item.project_id == project_id, Item.is_gold.is_(False)
    unfinished = (
        exists().where(*items, Item.is_open),
        exists().where(
            Assignment.project_id == project_id, Assignment.status == AssignmentStatus.active
        ),
        exists().where(
            Annotation.project_id == project_id,
            Annotation.is_latest,
            Annotation.awaiting_stage.is_not(None),
        ),
    )
    if any(db.scalar(select(condition)) for condition in unfinished):
        return 0
    return db.scalar(select(func.count()).select_from(Item).where(*items)) or 0


def _order_changed(
    db: Session, project: Project, before: list[str], after: list[str], votes: int
) -> None:
    emit(
        db,
        project.organization_id,
        "leaderboard.order_changed",
        {
            "project_id": project.id,
            "before": before,
            "after": after,
            "top_changed": before[:1] != after[:1],
            "votes": votes,
            "location": f"/api/projects/{project.id}/leaderboard",
        },
    )


def _finished(
    db: Session, project: Project, items: int, order: list[str] | None, types: set[str]
) -> None:
    """Once per project and number of items: items added later make it unfinished, and
    finishing those finishes it again."""
    data: dict[str, Any] = {"project_id": project.id, "name": project.name, "items": items}
    if "project.finished" in types:
        emit(
            db,
            project.organization_id,
            "project.finished",
            data,
            key=f"project.finished:{project.id}:{items}",
        )
    if order is not None and "evaluation.finished" in types:
        emit(
            db,
            project.organization_id,
            "evaluation.finished",
            {**data, "order": order, "location": f"/api/projects/{project.id}/leaderboard"},
            key=f"evaluation.finished:{project.id}:{items}",
        )
