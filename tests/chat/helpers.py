"""Shared by the chat tests: a project whose chat question is answered by endpoints on the
stand-in, a worker holding its one item, turns started through the SSE API and read back
as events, and the tables a refused request must leave as they were."""

from typing import Any

import orjson
from sqlalchemy import insert, select

from fairlabel.db import utcnow
from fairlabel.models import Assignment, ChatTurn, Item
from tests.factories import Account, Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model
from tests.queue.helpers import lease, snapshot

Event = tuple[str, dict[str, Any]]


def chat_task(
    factory: Factory,
    standin: StandIn,
    *,
    models: tuple[str, ...] = ("", ""),
    fields: dict[str, Any] | None = None,
    kind: str = "chat",
    live: dict[str, Any] | None = None,
    endpoint_ids: list[int] | None = None,
    workflow: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> tuple[Account, dict[str, Any], list[dict[str, Any]]]:
    """A worker holding the item of a project asking chat question `q` (or, with `kind`, a
    pairwise or ranking question whose settings' `live` holds the endpoints and `live`), its
    endpoints on the stand-in (one per entry of `models`: stand-in options such as
    "status=500"); `endpoint_ids` names endpoints instead (to name one not the owner's);
    `workflow` its review stages."""
    owner, org_id = factory.owner()
    endpoints = [
        register(owner, org_id, standin, model=unique_model(*filter(None, [options])))
        for options in models
    ]
    ids = endpoint_ids if endpoint_ids is not None else [e["id"] for e in endpoints]
    if kind == "chat":
        settings = {"endpoints": ids, **settings}
    else:
        settings = {**settings, "live": {"endpoints": ids, **(live or {})}}
    question = {"name": "q", "type": kind, "settings": settings}
    project = factory.project(owner, org_id, questions=[question], workflow=workflow)
    now = utcnow()
    row = {
        "project_id": project["id"],
        "external_id": "chat-1",
        "fields": fields if fields is not None else {},
        "meta": {},
        "created_at": now,
        "updated_at": now,
    }
    with factory.database.session() as db:
        db.execute(insert(Item), [row])
    worker = factory.worker()
    return worker, lease(worker, project["id"]), endpoints


def turns_url(assignment: dict[str, Any]) -> str:
    return f"/api/assignments/{assignment['id']}/chat/q/turns"


def start(worker: Account, assignment: dict[str, Any], body: dict[str, Any]) -> Any:
    return worker.post(turns_url(assignment), json=body)


def events(response: Any) -> list[Event]:
    """The SSE events of a finished response, in order."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        found.append((lines["event"], orjson.loads(lines["data"])))
    return found


def turn(worker: Account, assignment: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Start a turn that succeeds; its stored record (the last event)."""
    found = events(start(worker, assignment, body))
    name, data = found[-1]
    assert name == "turn", found
    return data


def chat_state(factory: Factory) -> dict[str, Any]:
    with factory.database.session(write=False) as db:
        turns = sorted(
            (t.assignment_id, t.turn, repr(t.candidates), repr(t.prompt))
            for t in db.scalars(select(ChatTurn))
        )
    return {**snapshot(factory.database), "chat_turns": turns}


def expires_at(factory: Factory, assignment: dict[str, Any]) -> Any:
    with factory.database.session(write=False) as db:
        found = db.get(Assignment, assignment["id"])
        assert found is not None
        return found.expires_at


def submit(worker: Account, assignment: dict[str, Any], answer: Any) -> Any:
    return worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"q": answer}, "time_spent_ms": 5000},
    )
