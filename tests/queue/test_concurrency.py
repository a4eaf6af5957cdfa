"""Many workers at once against a real uvicorn server: the queue's guarantees must hold."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from fairlabel.models import Annotation, Assignment, Item
from tests.factories import Account, Factory
from tests.queue.helpers import setup_project

WORKERS = 16
ITEMS = 200
OVERLAP = 2
DEADLINE_S = 120


def _label_until_empty(
    base_url: str, worker: Account, project_id: int, statuses: Counter[int], lock: threading.Lock
) -> list[int]:
    """next + submit until the queue says it has nothing more for this worker."""
    done: list[int] = []
    deadline = time.monotonic() + DEADLINE_S
    with httpx.Client(base_url=base_url, headers=worker.headers, timeout=60) as http:
        while time.monotonic() < deadline:
            response = http.post(f"/api/projects/{project_id}/assignments/next")
            _count(statuses, lock, response)
            body: dict[str, Any] = response.json()
            assignment = body["assignment"]
            if assignment is None:
                if body["reason"] == "leased_to_others":
                    time.sleep(0.01)
                    continue
                return done
            submitted = http.post(
                f"/api/assignments/{assignment['id']}/submit",
                json={"answers": {"sentiment": "positive"}, "time_spent_ms": 10},
            )
            _count(statuses, lock, submitted)
            done.append(assignment["item"]["id"])
    raise AssertionError("the queue did not empty in time")


def _count(statuses: Counter[int], lock: threading.Lock, response: httpx.Response) -> None:
    with lock:
        statuses[response.status_code] += 1


def test_many_workers_never_exceed_overlap(factory: Factory, live_server: str) -> None:
    _owner, project, item_ids = setup_project(factory, items=ITEMS, overlap=OVERLAP)
    workers = [factory.worker() for _ in range(WORKERS)]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(
            pool.map(
                lambda w: _label_until_empty(live_server, w, project["id"], statuses, lock), workers
            )
        )

    assert set(statuses) <= {200, 201}, statuses
    for done in results:
        assert len(done) == len(set(done)), "a worker got an item twice"
    served = Counter(item for done in results for item in done)
    assert served == dict.fromkeys(item_ids, OVERLAP)
    with factory.database.session(write=False) as db:
        per_item = Counter(db.scalars(select(Assignment.item_id)))
        pairs = list(db.execute(select(Assignment.item_id, Assignment.worker_id)))
        counters = set(db.execute(select(Item.taken, Item.submitted, Item.is_open)))
        annotations = Counter(db.scalars(select(Annotation.item_id)))
    assert max(per_item.values()) == OVERLAP and len(pairs) == len(set(pairs))
    assert counters == {(OVERLAP, OVERLAP, False)}
    assert annotations == dict.fromkeys(item_ids, OVERLAP)


def test_concurrent_next_of_one_worker_leases_one_item(factory: Factory, live_server: str) -> None:
    _owner, project, _ids = setup_project(factory, items=20)
    worker = factory.worker()
    url = f"/api/projects/{project['id']}/assignments/next"

    def click(_: int) -> int:
        with httpx.Client(base_url=live_server, headers=worker.headers, timeout=60) as http:
            response = http.post(url)
            assert response.status_code == 200, response.text
            assignment_id: int = response.json()["assignment"]["id"]
            return assignment_id

    with ThreadPoolExecutor(12) as pool:
        ids = set(pool.map(click, range(12)))
    assert len(ids) == 1
    with factory.database.session(write=False) as db:
        assert len(list(db.scalars(select(Assignment.id)))) == 1
