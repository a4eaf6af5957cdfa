"""Gold served hidden among ordinary work: same shape, never twice to a worker, no places."""

import json
import re
from typing import Any

from sqlalchemy import event, select

from fairlabel.models import Assignment
from tests.factories import Factory
from tests.gold.helpers import gold_project, item_flags
from tests.queue.helpers import expire, lease, next_task, submit


def _keys(value: Any, path: str = "") -> set[str]:
    """Every key path in a JSON document, lists collapsed."""
    if isinstance(value, dict):
        return {f"{path}.{k}" for k in value} | {
            key for k, v in value.items() for key in _keys(v, f"{path}.{k}")
        }
    if isinstance(value, list):
        return {key for v in value for key in _keys(v, f"{path}[]")}
    return set()


def test_a_gold_assignment_looks_exactly_like_any_other(factory: Factory) -> None:
    _, project, ordinary, gold_ids = gold_project(factory, items=1, gold=1, gold_rate=1.0)
    worker = factory.worker()
    gold_response = worker.post(f"/api/projects/{project['id']}/assignments/next")
    gold = gold_response.json()
    assert gold["assignment"]["item_id"] == gold_ids[0]
    assert submit(worker, gold["assignment"]["id"]).status_code == 201
    plain = next_task(worker, project["id"])
    assert plain["assignment"]["item_id"] == ordinary[0]
    assert _keys(gold) == _keys(plain)
    assert "gold" not in gold_response.text.lower()
    assert "gold" not in json.dumps(plain).lower()


def test_gold_leases_never_take_or_give_back_places(factory: Factory) -> None:
    _, project, _, gold_ids = gold_project(factory, items=2, gold=2, gold_rate=1.0)
    first, second = factory.worker(), factory.worker()
    held = lease(first, project["id"])
    assert held["item_id"] in gold_ids
    assert item_flags(factory.database, held["item_id"]) == (True, False, 0)
    expire(factory.database, held["id"])
    lease(second, project["id"])  # sweeps the expired gold lease
    assert item_flags(factory.database, held["item_id"]) == (True, False, 0)
    other = lease(first, project["id"])
    assert other["item_id"] in gold_ids and other["item_id"] != held["item_id"]
    assert first.post(f"/api/assignments/{other['id']}/return").status_code == 200
    assert item_flags(factory.database, other["item_id"]) == (True, False, 0)


def test_each_worker_gets_each_gold_item_once_then_ordinary_work(factory: Factory) -> None:
    _, project, ordinary, gold_ids = gold_project(
        factory, items=2, gold=2, gold_rate=1.0, overlap=2
    )
    for worker in (factory.worker(), factory.worker()):
        served = []
        for _ in range(4):
            assignment = lease(worker, project["id"])
            served.append(assignment["item_id"])
            assert submit(worker, assignment["id"]).status_code == 201
        assert sorted(served[:2]) == gold_ids
        assert served[2:] == ordinary
    with factory.database.session(write=False) as db:
        stages = set(db.scalars(select(Assignment.stage)))
    assert stages == {"label"}


def test_no_gold_once_ordinary_work_is_gone(factory: Factory) -> None:
    """Gold after the queue ran dry would stand out as gold."""
    _, project, ordinary, gold_ids = gold_project(factory, items=1, gold=2, gold_rate=1.0)
    first, second = factory.worker(), factory.worker()
    served = []
    for _ in range(3):
        assignment = lease(first, project["id"])
        served.append(assignment["item_id"])
        assert submit(first, assignment["id"]).status_code == 201
    assert served == [*served[:2], ordinary[0]] and sorted(served[:2]) == gold_ids
    assert next_task(second, project["id"])["reason"] == "complete"


def test_a_rate_of_zero_serves_no_gold(factory: Factory) -> None:
    _, project, ordinary, _ = gold_project(factory, items=2, gold=2, gold_rate=0.0)
    worker = factory.worker()
    served = []
    for _ in range(2):
        assignment = lease(worker, project["id"])
        served.append(assignment["item_id"])
        assert submit(worker, assignment["id"]).status_code == 201
    assert served == ordinary
    assert next_task(worker, project["id"])["reason"] == "complete"


def test_without_gold_settings_next_task_runs_no_gold_statement(factory: Factory) -> None:
    """The hot path pays nothing for gold when the project does not use it."""
    _, project, _, _ = gold_project(factory, items=2, gold=1, gold_rate=0.0)
    worker = factory.worker()
    lease(worker, project["id"])  # authenticates and caches the worker before counting
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.lower())

    engine = factory.database.writer
    event.listen(engine, "before_cursor_execute", record)
    try:
        next_task(worker, project["id"])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements
    assert not [s for s in statements if re.search(r"\bgold\b|gold_scores|is_gold", s)]
