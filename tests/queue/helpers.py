"""Test helpers shared by the queue and annotation tests: items inserted straight into the
database (independent of the import API) and a snapshot to prove bad input changed nothing."""

from typing import Any

from sqlalchemy import insert, select, update

from fairlabel.db import Database, utcnow
from fairlabel.models import Annotation, Assignment, Draft, Item
from tests.factories import Account, Factory

SENTIMENT = {
    "name": "sentiment",
    "type": "label",
    "settings": {"labels": ["positive", "negative", "neutral"]},
}
NOTE = {"name": "note", "type": "text", "required": False, "settings": {}}


def add_items(
    database: Database, project_id: int, count: int = 1, *, priorities: list[int] | None = None
) -> list[int]:
    """Items with a text field, in id order; returns their ids."""
    priorities = priorities if priorities is not None else [0] * count
    now = utcnow()
    rows = [
        {
            "project_id": project_id,
            "external_id": f"ext-{project_id}-{n}",
            "fields": {"text": f"item {n}"},
            "meta": {"n": n},
            "priority": priority,
            "taken": 0,
            "submitted": 0,
            "is_open": True,
            "created_at": now,
            "updated_at": now,
        }
        for n, priority in enumerate(priorities)
    ]
    if not rows:
        return []
    with database.session() as db:
        ids = db.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), rows)
        return list(ids)


def setup_project(
    factory: Factory, items: int = 1, **project: Any
) -> tuple[Account, dict[str, Any], list[int]]:
    """An owner's active project with a sentiment question and `items` items."""
    owner, org_id = factory.owner()
    created = factory.project(owner, org_id, questions=[SENTIMENT, NOTE], **project)
    return owner, created, add_items(factory.database, created["id"], items)


def lease(worker: Account, project_id: int) -> dict[str, Any]:
    """Next-task for a worker, asserting something was leased."""
    response = worker.post(f"/api/projects/{project_id}/assignments/next")
    assert response.status_code == 200, response.text
    assignment: dict[str, Any] = response.json()["assignment"]
    assert assignment is not None, response.json()
    return assignment


def next_task(worker: Account, project_id: int) -> dict[str, Any]:
    response = worker.post(f"/api/projects/{project_id}/assignments/next")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def submit(
    worker: Account, assignment_id: int, label: str = "positive", time_spent_ms: int = 1200
) -> Any:
    return worker.post(
        f"/api/assignments/{assignment_id}/submit",
        json={"answers": {"sentiment": label}, "time_spent_ms": time_spent_ms},
    )


def expire(database: Database, assignment_id: int) -> None:
    """Move a lease's deadline into the past, as if its time had run out."""
    with database.session() as db:
        db.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id)
            .values(expires_at=utcnow().replace(year=2000))
        )


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the queue and annotations touch, to compare before and after a request."""
    tables = {
        "items": select(Item.id, Item.taken, Item.submitted, Item.is_open, Item.updated_at),
        "assignments": select(
            Assignment.id, Assignment.status, Assignment.expires_at, Assignment.ended_at
        ),
        "drafts": select(Draft.assignment_id, Draft.answers, Draft.time_spent_ms, Draft.updated_at),
        "annotations": select(
            Annotation.id, Annotation.version, Annotation.is_latest, Annotation.answers
        ),
    }
    with database.session(write=False) as db:
        return {name: sorted(tuple(r) for r in db.execute(q)) for name, q in tables.items()}


def item_counters(database: Database, item_id: int) -> tuple[int, int, bool]:
    with database.session(write=False) as db:
        row = db.execute(
            select(Item.taken, Item.submitted, Item.is_open).where(Item.id == item_id)
        ).one()
        return row.taken, row.submitted, row.is_open
