"""Shared by the consensus tests: a project labelled by several workers through the API, and
the consensus rows and item flags that submissions write."""

from typing import Any

from sqlalchemy import insert, select

from fairlabel.db import Database, utcnow
from fairlabel.models import Consensus, Item
from tests.factories import Account, Factory
from tests.queue.helpers import SENTIMENT, add_items, lease

#: An item every question type of these tests can be asked about.
FIELDS = {
    "text": "The cat sat on the mat.",
    "image": {"url": "https://example.org/a.jpg", "width": 640, "height": 480},
    "responses": [{"id": "a", "text": "yes"}, {"id": "b", "text": "no"}],
}


def labelled_project(
    factory: Factory,
    items: int = 1,
    questions: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> tuple[Account, dict[str, Any], list[int]]:
    """An owner's active project (a sentiment label question by default) with `items` items;
    items carry FIELDS when a question needs more than text."""
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=questions or [SENTIMENT], **extra)
    if questions is None:
        return owner, project, add_items(factory.database, project["id"], items)
    return owner, project, _rich_items(factory.database, project["id"], items)


def _rich_items(database: Database, project_id: int, count: int) -> list[int]:
    now = utcnow()
    rows = [
        {
            "project_id": project_id,
            "external_id": f"rich-{n}",
            "fields": FIELDS,
            "meta": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    with database.session() as db:
        return list(db.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), rows))


def answer(worker: Account, project_id: int, answers: dict[str, Any]) -> dict[str, Any]:
    """Lease the next item and submit these answers; returns the assignment."""
    assignment = lease(worker, project_id)
    response = worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": answers, "time_spent_ms": 1000},
    )
    assert response.status_code == 201, response.text
    return assignment


def label_by(factory: Factory, project_id: int, labels: list[str]) -> list[Account]:
    """One new worker per label, each answering the next item with it."""
    workers = []
    for label in labels:
        worker = factory.worker()
        answer(worker, project_id, {"sentiment": label})
        workers.append(worker)
    return workers


def consensus_rows(database: Database, project_id: int) -> dict[tuple[int, str], dict[str, Any]]:
    with database.session(write=False) as db:
        rows = db.execute(select(Consensus).where(Consensus.project_id == project_id)).scalars()
        return {
            (r.item_id, r.question): {
                "method": r.method,
                "answer": r.answer,
                "confidence": r.confidence,
                "annotators": r.annotators,
                "agreeing": r.agreeing,
                "human_confirmed": r.human_confirmed,
            }
            for r in rows
        }


def set_dynamic_overlap(owner: Account, project_id: int, threshold: float, cap: int) -> None:
    """Through the project API, as a client would."""
    body = {"consensus_threshold": threshold, "max_overlap": cap}
    response = owner.patch(f"/api/projects/{project_id}", json=body)
    assert response.status_code == 200, response.text


def is_open(database: Database, item_id: int) -> bool:
    with database.session(write=False) as db:
        return bool(db.scalar(select(Item.is_open).where(Item.id == item_id)))
