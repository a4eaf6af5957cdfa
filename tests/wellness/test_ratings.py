"""Workers rate projects they worked on; everyone who can see a project sees the means,
its clients see comments without names from three ratings on."""

from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.db import Database
from fairlabel.models import ProjectRating
from tests.factories import Account, Factory
from tests.queue.helpers import lease, setup_project, submit

GOOD = {"instructions": 4, "pay": 5, "reviews": 3, "comment": "Clear guidelines."}


def worked(factory: Factory, project_id: int) -> Account:
    worker = factory.worker()
    assert submit(worker, lease(worker, project_id)["id"]).status_code == 201
    return worker


def ratings(database: Database) -> list[tuple[Any, ...]]:
    with database.session(write=False) as db:
        rows = db.execute(select(ProjectRating.worker_id, ProjectRating.pay))
        return sorted(tuple(r) for r in rows)


def test_rate_then_update_one_per_worker(factory: Factory, database: Database) -> None:
    _owner, created, _ids = setup_project(factory, 2)
    worker = worked(factory, created["id"])
    url = f"/api/projects/{created['id']}/rating"
    first = worker.put(url, json=GOOD)
    assert first.status_code == 200, first.text
    assert first.json()["pay"] == 5
    again = worker.put(url, json=GOOD | {"pay": 2, "comment": ""})
    assert again.status_code == 200
    assert worker.get(url).json()["pay"] == 2
    assert ratings(database) == [(worker.user_id, 2)]


@pytest.mark.parametrize(
    "body",
    [
        GOOD | {"pay": 0},
        GOOD | {"reviews": 6},
        GOOD | {"instructions": "great"},
        {"pay": 3, "reviews": 3},
        GOOD | {"comment": "x" * 2001},
    ],
)
def test_out_of_range_rating_is_422_and_changes_nothing(
    factory: Factory, database: Database, body: dict[str, Any]
) -> None:
    _owner, created, _ids = setup_project(factory, 1)
    worker = worked(factory, created["id"])
    response = worker.put(f"/api/projects/{created['id']}/rating", json=body)
    assert response.status_code == 422
    assert ratings(database) == []


def test_stranger_owner_and_unknown_project_are_refused(
    factory: Factory, database: Database
) -> None:
    owner, created, _ids = setup_project(factory, 2)
    url = f"/api/projects/{created['id']}/rating"
    stranger = factory.worker()
    leased_only = factory.worker()
    lease(leased_only, created["id"])
    refused = stranger.put(url, json=GOOD)
    assert refused.status_code == 403
    assert refused.json()["error"]["field"] == "project_id"
    assert leased_only.put(url, json=GOOD).status_code == 403, "leased is not worked on"
    assert owner.put(url, json=GOOD).status_code == 403
    assert stranger.put("/api/projects/999999/rating", json=GOOD).status_code == 404
    assert ratings(database) == []


def test_summary_means_for_all_comments_for_clients_from_three(factory: Factory) -> None:
    owner, created, _ids = setup_project(factory, 3)
    url = f"/api/projects/{created['id']}"
    workers = [worked(factory, created["id"]) for _ in range(3)]
    for worker, pay in zip(workers[:2], (5, 2), strict=True):
        assert worker.put(f"{url}/rating", json=GOOD | {"pay": pay}).status_code == 200
    two = owner.get(f"{url}/ratings").json()
    assert (two["count"], two["pay"], two["instructions"]) == (2, 3.5, 4.0)
    assert two["comments"] is None, "no comments below three ratings"
    assert workers[2].put(f"{url}/rating", json=GOOD | {"comment": "A"}).status_code == 200
    three = owner.get(f"{url}/ratings").json()
    assert three["count"] == 3
    assert three["comments"] == ["A", "Clear guidelines.", "Clear guidelines."]
    assert "worker" not in str(three).lower()
    as_worker = factory.worker().get(f"{url}/ratings").json()
    assert as_worker["count"] == 3 and as_worker["comments"] is None


def test_summary_without_ratings(factory: Factory) -> None:
    owner, created, _ids = setup_project(factory, 1)
    body = owner.get(f"/api/projects/{created['id']}/ratings").json()
    assert body == {
        "project_id": created["id"],
        "count": 0,
        "instructions": None,
        "pay": None,
        "reviews": None,
        "comments": None,
    }
