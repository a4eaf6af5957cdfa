"""Shared by the prompt tests: a project asking prompt question `q` (plain, or red-team with
its endpoint on the stand-in and a declared content risk), its items, and workers holding them."""

from typing import Any

from sqlalchemy import insert

from fairlabel.db import utcnow
from fairlabel.models import Item
from tests.factories import Account, Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model
from tests.queue.helpers import lease

BRIEF = {"categories": ["coding", "travel"], "languages": ["en", "fr"], "min_length": 5}
HARMS = ["violence", "fraud", "privacy"]


def red_team_settings(endpoint_id: int) -> dict[str, Any]:
    return {**BRIEF, "red_team": {"endpoints": [endpoint_id], "harm_categories": HARMS}}


def prompt_project(
    factory: Factory,
    settings: dict[str, Any],
    items: int = 1,
    fields: dict[str, Any] | None = None,
    **project: Any,
) -> tuple[Account, int]:
    """The owner and the id of a project asking `q`, with `items` items of these fields."""
    owner, org_id = factory.owner()
    question = {"name": "q", "type": "prompt", "settings": settings}
    created = factory.project(owner, org_id, questions=[question], **project)
    add_items(factory, created["id"], items, fields)
    return owner, created["id"]


def red_team_project(
    factory: Factory,
    standin: StandIn,
    items: int = 1,
    options: str = "",
    workflow: list[dict[str, Any]] | None = None,
) -> tuple[Account, int, dict[str, Any]]:
    """A red-team project with its endpoint on the stand-in, declaring the `violence` risk,
    with `workflow` its review stages."""
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, model=unique_model(*filter(None, [options])))
    question = {"name": "q", "type": "prompt", "settings": red_team_settings(endpoint["id"])}
    created = factory.project(
        owner, org_id, questions=[question], content_risks=["violence"], workflow=workflow
    )
    add_items(factory, created["id"], items, None)
    return owner, created["id"], endpoint


def add_items(factory: Factory, project_id: int, count: int, fields: dict[str, Any] | None) -> None:
    now = utcnow()
    rows = [
        {
            "project_id": project_id,
            "external_id": f"brief-{n}",
            "fields": fields if fields is not None else {},
            "meta": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    with factory.database.session() as db:
        db.execute(insert(Item), rows)


def opted_in_worker(factory: Factory, *categories: str) -> Account:
    worker = factory.worker()
    for category in categories:
        response = worker.put(f"/api/me/risk-opt-ins/{category}")
        assert response.status_code == 200, response.text
    return worker


def submit(worker: Account, assignment: dict[str, Any], answer: Any) -> Any:
    return worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"q": answer}, "time_spent_ms": 1000},
    )


def submitted(worker: Account, assignment: dict[str, Any], answer: Any) -> dict[str, Any]:
    response = submit(worker, assignment, answer)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()["answers"]["q"]
    return stored


def write(factory: Factory, project_id: int, prompt: str) -> dict[str, Any]:
    """A fresh worker leases an item and submits `prompt` (category coding, language en)."""
    worker = factory.worker()
    assignment = lease(worker, project_id)
    return submitted(worker, assignment, {"prompt": prompt, "category": "coding", "language": "en"})


def similar(worker: Account, assignment: dict[str, Any], body: Any, question: str = "q") -> Any:
    return worker.post(f"/api/assignments/{assignment['id']}/prompts/{question}/similar", json=body)
