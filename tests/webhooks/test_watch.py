"""The project watcher through the real API: a pairwise project whose every battle is voted
on finishes (project.finished and evaluation.finished, once), and new votes that reorder
its leaderboard send leaderboard.order_changed with the order before and after; all of it
arrives at a real receiver on 127.0.0.1."""

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from fairlabel.db import Database
from fairlabel.webhooks import watch
from tests.exports.helpers import Built, build_project, work
from tests.factories import Factory
from tests.webhooks.receiver import Receiver, free_port

QUESTIONS = [{"name": "better", "type": "pairwise", "settings": {"field": "responses"}}]
TYPES = ["project.finished", "evaluation.finished", "leaderboard.order_changed"]


def battle(n: int, a: str, b: str) -> dict[str, Any]:
    return {
        "external_id": f"battle-{n}",
        "responses": [{"id": "x", "model": a, "text": "A."}, {"id": "y", "model": b, "text": "B."}],
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver(free_port()).start()
    yield started
    started.stop()


def vote_all(factory: Factory, built: Built, count: int) -> None:
    """A new worker takes `count` battles and votes for the first candidate in each."""
    worker = factory.worker()
    every = {f"battle-{n}": {"better": {"choice": "a"}} for n in range(20)}
    for _ in range(count):
        work(built, worker, every)


def events_of(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    return [orjson.loads(r.body) for r in receiver.wait(count)]


def test_finishing_and_reordering(factory: Factory, database: Database, receiver: Receiver) -> None:
    first = [battle(0, "m1", "m2"), battle(1, "m2", "m3"), battle(2, "m1", "m3")]
    built = build_project(factory, QUESTIONS, first, overlap=1)
    org_id = built.owner.get(f"/api/projects/{built.project_id}").json()["organization_id"]
    hook = built.owner.post(
        f"/api/organizations/{org_id}/webhooks", json={"url": receiver.url, "events": TYPES}
    )
    assert hook.status_code == 201, hook.text

    vote_all(factory, built, 2)
    watch.sweep(database)  # two of three battles voted: not finished yet
    vote_all(factory, built, 1)
    assert watch.sweep(database) == 1
    assert watch.sweep(database) == 0  # nothing new: not looked at again
    finished = events_of(receiver, 2)
    assert sorted(e["type"] for e in finished) == ["evaluation.finished", "project.finished"]
    evaluation = next(e for e in finished if e["type"] == "evaluation.finished")
    assert evaluation["data"]["order"] == ["m1", "m2", "m3"]
    assert evaluation["data"]["items"] == 3 and evaluation["data"]["project_id"] == built.project_id

    more = [battle(n, "m3", "m1") for n in range(3, 9)]
    body = b"".join(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE) for item in more)
    imported = built.owner.post(
        f"/api/projects/{built.project_id}/imports", content=body, params={"format": "jsonl"}
    )
    assert imported.status_code == 201, imported.text
    vote_all(factory, built, 6)
    assert watch.sweep(database) == 1
    later = events_of(receiver, 5)[2:]
    changed = next(e for e in later if e["type"] == "leaderboard.order_changed")
    assert changed["data"]["before"] == ["m1", "m2", "m3"]
    assert changed["data"]["after"][0] == "m3" and changed["data"]["top_changed"] is True
    again = sorted(e["data"]["items"] for e in later if e["type"] != "leaderboard.order_changed")
    assert again == [9, 9]  # finished again, with the items added since
    assert len(receiver.received) == 5
