"""Gold on the next-task hot path: the accuracy gate, and a gold item served in place of an
ordinary one at the project's rate.

The queue calls these two functions; each runs no statement at all when its setting is off
(no minimum accuracy, a gold rate of 0). This module reads only tables, so that the queue
can import it without importing the rest of the gold domain, which imports the queue."""

import random
from typing import Any, Protocol, cast

from sqlalchemy import Row, Select, Table, bindparam, exists, func, select
from sqlalchemy.orm import Session

from fairlabel.gold.schemas import BelowGoldAccuracy
from fairlabel.models import Assignment, GoldScore, Item, WithheldGold

ITEMS = cast(Table, Item.__table__)
WITHHELD = cast(Table, WithheldGold.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
GOLD_SCORES = cast(Table, GoldScore.__table__)
LABEL_STAGE = "label"

#: The gold_scores row of a worker's per-item figures: seen counts gold items, correct sums
#: each item's mean question score. No question can take this name (names start with a
#: letter or '_').
OVERALL = "*"


class GoldSettings(Protocol):
    """What the gate and the serving read of a project (the queue's ProjectRow has these)."""

    @property
    def id(self) -> int: ...

    @property
    def gold_rate(self) -> float: ...

    @property
    def min_gold_accuracy(self) -> float | None: ...

    @property
    def min_gold_seen(self) -> int: ...


def _not_had(items: Any) -> Any:
    """The worker has had no label assignment on this item."""
    return ~exists().where(
        ASSIGNMENTS.c.item_id == items.c.id,
        ASSIGNMENTS.c.worker_id == bindparam("p_worker"),
        ASSIGNMENTS.c.stage == LABEL_STAGE,
    )


def _not_withheld(items: Any) -> Any:
    """The item is not withheld from this worker: they did not see it in a qualification
    test, and no training test showed its answers to everyone."""
    return ~exists().where(
        WITHHELD.c.item_id == items.c.id,
        WITHHELD.c.worker_id.is_(None) | (WITHHELD.c.worker_id == bindparam("p_worker")),
    )


def _unseen_gold() -> Select[Any]:
    """A random gold item the worker has not had nor seen in a test (they may know its
    answer), while the worker still has ordinary work: gold served after the queue ran dry
    would stand out as gold. Random order keeps workers from comparing notes on which item
    comes first. Columns in ItemRow's order."""
    gold, ordinary = ITEMS.alias("gold_item"), ITEMS.alias("ordinary")
    ordinary_left = exists().where(
        ordinary.c.project_id == bindparam("p_project"),
        ordinary.c.is_open.is_(True),
        _not_had(ordinary),
    )
    return (
        select(gold.c.id, gold.c.external_id, gold.c.fields, gold.c.meta)
        .where(
            gold.c.project_id == bindparam("p_project"),
            gold.c.is_gold.is_(True),
            _not_had(gold),
            _not_withheld(gold),
            ordinary_left,
        )
        .order_by(func.random())
        .limit(1)
    )


UNSEEN_GOLD = _unseen_gold()

OWN_OVERALL = select(GOLD_SCORES.c.seen, GOLD_SCORES.c.correct).where(
    GOLD_SCORES.c.project_id == bindparam("p_project"),
    GOLD_SCORES.c.worker_id == bindparam("p_worker"),
    GOLD_SCORES.c.question == OVERALL,
)


def pick_gold(db: Session, project: GoldSettings, worker_id: int) -> Row[Any] | None:
    """With probability gold_rate, a gold item for the worker to lease (id, external_id,
    fields, meta); None means: serve the ordinary queue."""
    if project.gold_rate <= 0 or random.random() >= project.gold_rate:
        return None
    params = {"p_project": project.id, "p_worker": worker_id}
    return db.connection().execute(UNSEEN_GOLD, params).one_or_none()


def below_bar(db: Session, project: GoldSettings, worker_id: int) -> BelowGoldAccuracy | None:
    """Why this worker may not take the project's tasks, when they have seen enough gold
    and their accuracy on it is under the project's minimum; None otherwise."""
    bar = project.min_gold_accuracy
    if bar is None:
        return None
    params = {"p_project": project.id, "p_worker": worker_id}
    row = db.connection().execute(OWN_OVERALL, params).one_or_none()
    if row is None or row.seen < project.min_gold_seen or row.correct / row.seen >= bar:
        return None
    accuracy = row.correct / row.seen
    missed_url = f"/api/projects/{project.id}/gold/mine"
    return BelowGoldAccuracy(
        message=(
            f"Your accuracy on this project's check items is {accuracy:.0%} over {row.seen} "
            f"items, under the {bar:.0%} it requires, so it sends you no more tasks. Your "
            f"submitted work and its pay are not affected. See the items you missed, with "
            f"the expected answers, at {missed_url}."
        ),
        accuracy=accuracy,
        min_gold_accuracy=bar,
        gold_seen=row.seen,
        missed_url=missed_url,
    )
