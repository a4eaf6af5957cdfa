"""One question answered through the real API, for the types whose answers are checked
against the item (rubric, rewrite): bad answers are a 422 at `answers.q...` and change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from fairlabel.db import utcnow
from fairlabel.models import Item
from tests.factories import Account, Factory
from tests.queue.helpers import lease, snapshot


def leased(
    factory: Factory, question: dict[str, Any], fields: dict[str, Any]
) -> tuple[Account, dict[str, Any]]:
    """A worker holding the one item (with these fields) of a project asking question `q`."""
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[{"name": "q", **question}])
    now = utcnow()
    row = {
        "project_id": project["id"],
        "external_id": "item-1",
        "fields": fields,
        "meta": {},
        "created_at": now,
        "updated_at": now,
    }
    with factory.database.session() as db:
        db.execute(insert(Item), [row])
    worker = factory.worker()
    return worker, lease(worker, project["id"])


def submit(worker: Account, assignment: dict[str, Any], answer: Any) -> Any:
    return worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"q": answer}, "time_spent_ms": 1000},
    )


def stored(worker: Account, assignment: dict[str, Any], answer: Any) -> Any:
    """Submit a good answer; returns what the API says it stored."""
    response = submit(worker, assignment, answer)
    assert response.status_code == 201, response.text
    return response.json()["answers"]["q"]


def refused(
    factory: Factory,
    worker: Account,
    assignment: dict[str, Any],
    answer: Any,
    field: str,
    expected: str,
) -> dict[str, Any]:
    """Submit a bad answer: a 422 naming `answers.q<field>`, with `expected` in its reason,
    and no table changed."""
    before = snapshot(factory.database)
    response = submit(worker, assignment, answer)
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["field"] == "answers.q" + field, error
    assert expected in error["expected"], error
    assert error["field"] in error["message"]
    assert snapshot(factory.database) == before
    return error
