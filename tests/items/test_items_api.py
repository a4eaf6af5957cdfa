"""Reading items: pages for members, single items for members and assigned workers, 404 for
everyone else."""

from datetime import timedelta

import orjson
import pytest

from fairlabel.db import Database, utcnow
from fairlabel.models import Assignment
from tests.factories import Factory
from tests.items.conftest import Setup


def give_assignment(
    database: Database, project_id: int, item_id: int, worker_id: int, status: str = "active"
) -> None:
    with database.session() as db:
        db.add(
            Assignment(
                project_id=project_id,
                item_id=item_id,
                worker_id=worker_id,
                status=status,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )


@pytest.fixture
def item_ids(setup: Setup) -> list[int]:
    rows = [
        {"external_id": f"i{n}", "fields": {"text": f"t{n}"}, "meta": {"secret": n}}
        for n in range(5)
    ]
    body = b"\n".join(orjson.dumps(row) for row in rows)
    assert setup.import_(body).status_code == 201
    page = setup.owner.get(f"/api/projects/{setup.project_id}/items").json()
    return [item["id"] for item in page["items"]]


def test_pages_in_id_order(setup: Setup, item_ids: list[int]) -> None:
    url = f"/api/projects/{setup.project_id}/items"
    first = setup.owner.get(url, params={"limit": 2}).json()
    assert [item["external_id"] for item in first["items"]] == ["i0", "i1"]
    assert first["next_after"] == item_ids[1]
    rest = setup.owner.get(url, params={"limit": 3, "after": first["next_after"]}).json()
    assert [item["id"] for item in rest["items"]] == item_ids[2:]
    assert rest["next_after"] == item_ids[4]
    assert setup.owner.get(url, params={"after": item_ids[4]}).json() == {
        "items": [],
        "next_after": None,
    }
    assert setup.owner.get(url, params={"limit": 0}).status_code == 422


def test_listing_is_for_the_organization(
    setup: Setup, item_ids: list[int], factory: Factory
) -> None:
    url = f"/api/projects/{setup.project_id}/items"
    viewer = factory.user(org_id=setup.org_id, role="viewer")
    assert viewer.get(url).status_code == 200
    stranger, _org = factory.owner()
    assert stranger.get(url).status_code == 404
    assert factory.worker().get(url).status_code == 404


def test_member_sees_the_whole_item(setup: Setup, item_ids: list[int]) -> None:
    item = setup.owner.get(f"/api/items/{item_ids[0]}").json()
    assert item["external_id"] == "i0"
    assert item["meta"] == {"secret": 0}
    assert item["fields"] == {"text": "t0"}


def test_worker_sees_only_items_it_holds(
    setup: Setup, item_ids: list[int], factory: Factory, database: Database
) -> None:
    worker = factory.worker()
    assert worker.get(f"/api/items/{item_ids[0]}").status_code == 404
    give_assignment(database, setup.project_id, item_ids[0], worker.user_id, "active")
    give_assignment(database, setup.project_id, item_ids[1], worker.user_id, "submitted")
    give_assignment(database, setup.project_id, item_ids[2], worker.user_id, "returned")
    held = worker.get(f"/api/items/{item_ids[0]}")
    assert held.status_code == 200
    assert held.json() == {
        "id": item_ids[0],
        "project_id": setup.project_id,
        "fields": {"text": "t0"},
    }
    assert worker.get(f"/api/items/{item_ids[1]}").status_code == 200
    assert worker.get(f"/api/items/{item_ids[2]}").status_code == 404
    assert worker.get(f"/api/items/{item_ids[3]}").status_code == 404


def test_another_organization_gets_the_same_404_as_for_a_missing_item(
    setup: Setup, item_ids: list[int], factory: Factory
) -> None:
    stranger, _org = factory.owner()
    hidden = stranger.get(f"/api/items/{item_ids[0]}")
    missing = stranger.get("/api/items/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"] == missing.json()["error"]["message"]
    assert hidden.json()["error"]["field"] == "item_id"
