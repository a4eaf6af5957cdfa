"""Shared by the gold tests: a project with gold items, and the rows gold touches."""

from typing import Any

from sqlalchemy import select

from fairlabel.db import Database
from fairlabel.models import Gold, GoldScore, Item, Project
from tests.factories import Account, Factory
from tests.queue.helpers import setup_project, snapshot


def gold_project(
    factory: Factory, items: int = 3, gold: int = 0, **project: Any
) -> tuple[Account, dict[str, Any], list[int], list[int]]:
    """An owner's project with `items` items, the last `gold` of them marked gold with the
    answer "positive"; returns (owner, project, ordinary ids, gold ids)."""
    owner, created, ids = setup_project(factory, items + gold, **project)
    ordinary, golden = ids[:items], ids[items:]
    for item_id in golden:
        mark(owner, item_id)
    return owner, created, ordinary, golden


def mark(owner: Account, item_id: int, label: str = "positive") -> Any:
    response = owner.put(f"/api/items/{item_id}/gold", json={"answers": {"sentiment": label}})
    assert response.status_code == 200, response.text
    return response.json()


def gold_state(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Everything queue, annotations and gold write, to prove a refused request changed nothing."""
    tables = {
        "gold": select(Gold.item_id, Gold.answers, Gold.created_at),
        "scores": select(
            GoldScore.worker_id, GoldScore.question, GoldScore.seen, GoldScore.correct
        ),
        "flags": select(Item.id, Item.is_gold, Item.is_open, Item.taken),
        "projects": select(
            Project.id, Project.gold_rate, Project.min_gold_accuracy, Project.min_gold_seen
        ),
    }
    with database.session(write=False) as db:
        state = {name: sorted(tuple(r) for r in db.execute(q)) for name, q in tables.items()}
    return state | snapshot(database)


def item_flags(database: Database, item_id: int) -> tuple[bool, bool, int]:
    """(is_gold, is_open, taken)."""
    with database.session(write=False) as db:
        row = db.execute(select(Item.is_gold, Item.is_open, Item.taken).where(Item.id == item_id))
        return tuple(row.one())  # type: ignore[return-value]


def scores(database: Database, worker_id: int) -> dict[str, tuple[int, float]]:
    with database.session(write=False) as db:
        rows = db.execute(
            select(GoldScore.question, GoldScore.seen, GoldScore.correct).where(
                GoldScore.worker_id == worker_id
            )
        )
        return {question: (seen, correct) for question, seen, correct in rows}
