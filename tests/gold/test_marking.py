"""Marking items gold through the API and the bulk service call, and every refusal."""

from typing import Any

import pytest

from fairlabel.errors import NotFound, ValidationFailed
from fairlabel.gold import service
from fairlabel.projects import service as projects_service
from tests.factories import Factory
from tests.gold.helpers import gold_project, gold_state, item_flags, mark
from tests.queue.helpers import add_items, lease


def test_owner_marks_lists_and_unmarks_gold(factory: Factory) -> None:
    owner, project, ids, _ = gold_project(factory, items=2)
    body = mark(owner, ids[0], "negative")
    assert body["item_id"] == ids[0]
    assert body["answers"] == {"sentiment": "negative"}
    assert item_flags(factory.database, ids[0]) == (True, False, 0)

    listed = owner.get(f"/api/projects/{project['id']}/gold").json()
    assert [g["item_id"] for g in listed["gold"]] == [ids[0]]
    assert listed["gold"][0]["external_id"].startswith("ext-")
    assert listed["next_after"] is None

    mark(owner, ids[0], "neutral")  # a second PUT replaces the answers
    assert owner.get(f"/api/projects/{project['id']}/gold").json()["gold"][0]["answers"] == {
        "sentiment": "neutral"
    }
    assert owner.delete(f"/api/items/{ids[0]}/gold").status_code == 204
    assert item_flags(factory.database, ids[0]) == (False, True, 0)
    assert owner.get(f"/api/projects/{project['id']}/gold").json()["gold"] == []


def test_unmarking_counts_the_places_workers_already_hold(factory: Factory) -> None:
    owner, project, ids, _ = gold_project(factory, items=1)
    lease(factory.worker(), project["id"])  # an ordinary lease: taken 1 of overlap 1
    mark(owner, ids[0])
    assert item_flags(factory.database, ids[0]) == (True, False, 1)
    assert owner.delete(f"/api/items/{ids[0]}/gold").status_code == 204
    assert item_flags(factory.database, ids[0]) == (False, False, 1)


def test_gold_list_pages_by_item_id(factory: Factory) -> None:
    owner, project, _, gold_ids = gold_project(factory, items=0, gold=3)
    url = f"/api/projects/{project['id']}/gold"
    first = owner.get(url, params={"limit": 2}).json()
    assert [g["item_id"] for g in first["gold"]] == gold_ids[:2]
    rest = owner.get(url, params={"limit": 2, "after": first["next_after"]}).json()
    assert [g["item_id"] for g in rest["gold"]] == gold_ids[2:]


def test_a_manager_may_mark_gold(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    manager = factory.user(org_id=org_id, role="manager")
    ids = add_items(factory.database, project["id"])
    answers = {"answers": {"sentiment": "positive"}}
    assert manager.put(f"/api/items/{ids[0]}/gold", json=answers).status_code == 200


@pytest.mark.parametrize(
    ("answers", "status", "field"),
    [
        ({"sentiment": "happy"}, 422, "answers.sentiment"),
        ({}, 422, "answers.sentiment"),
        ({"sentiment": "positive", "colour": "red"}, 422, "answers.colour"),
        ("positive", 422, "answers"),
    ],
)
def test_gold_answers_are_checked_like_a_submission(
    factory: Factory, answers: Any, status: int, field: str
) -> None:
    owner, _, ids, _ = gold_project(factory, items=1)
    before = gold_state(factory.database)
    response = owner.put(f"/api/items/{ids[0]}/gold", json={"answers": answers})
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert gold_state(factory.database) == before


def test_who_may_not_set_gold(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    item_id = add_items(factory.database, project["id"])[0]
    viewer = factory.user(org_id=org_id, role="viewer")
    stranger, _ = factory.owner()
    worker = factory.worker()
    before = gold_state(factory.database)
    body = {"answers": {"sentiment": "positive"}}
    for account, status in [(viewer, 403), (stranger, 404), (worker, 404)]:
        for response in (
            account.put(f"/api/items/{item_id}/gold", json=body),
            account.delete(f"/api/items/{item_id}/gold"),
        ):
            assert response.status_code == status, response.text
        assert account.get(f"/api/projects/{project['id']}/gold").status_code == status
    missing = owner.put(f"/api/items/{item_id + 1000}/gold", json=body)
    assert missing.status_code == 404
    assert missing.json()["error"]["field"] == "item_id"
    assert gold_state(factory.database) == before


def test_set_gold_many_checks_every_entry_before_writing(factory: Factory) -> None:
    owner, project, ids, _ = gold_project(factory, items=3)
    before = gold_state(factory.database)
    entries = [(ids[0], {"sentiment": "positive"}), (ids[1], {"sentiment": "nope"})]
    entries.append((ids[2], {"sentiment": 3}))
    with factory.database.session() as db:
        loaded = projects_service.get_project(db, project["id"])
        with pytest.raises(ValidationFailed) as failed:
            service.set_gold_many(db, loaded, entries, owner.user_id)
        with pytest.raises(NotFound):
            service.set_gold_many(db, loaded, [(ids[0] + 1000, {"sentiment": "positive"})], None)
    assert [d["item_id"] for d in failed.value.details] == [ids[1], ids[2]]
    assert failed.value.details[0]["field"] == "answers.sentiment"
    assert gold_state(factory.database) == before

    with factory.database.session() as db:
        loaded = projects_service.get_project(db, project["id"])
        good = [(item_id, {"sentiment": "neutral"}) for item_id in ids]
        rows = service.set_gold_many(db, loaded, good, owner.user_id)
    assert [row.item_id for row in rows] == ids
    assert all(item_flags(factory.database, i)[:2] == (True, False) for i in ids)


@pytest.mark.parametrize(
    "change",
    [{"gold_rate": 1.5}, {"gold_rate": -0.1}, {"min_gold_accuracy": 2}, {"min_gold_seen": 0}],
)
def test_gold_settings_out_of_range_are_refused(factory: Factory, change: dict[str, Any]) -> None:
    owner, project, _, _ = gold_project(factory, items=0)
    before = gold_state(factory.database)
    response = owner.patch(f"/api/projects/{project['id']}", json=change)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == next(iter(change))
    assert gold_state(factory.database) == before


def test_gold_settings_are_set_and_the_bar_removed_with_null(factory: Factory) -> None:
    owner, project, _, _ = gold_project(
        factory, items=0, gold_rate=0.1, min_gold_accuracy=0.8, min_gold_seen=3
    )
    assert (project["gold_rate"], project["min_gold_accuracy"], project["min_gold_seen"]) == (
        0.1,
        0.8,
        3,
    )
    url = f"/api/projects/{project['id']}"
    unchanged = owner.patch(url, json={"gold_rate": 0.2}).json()
    assert (unchanged["gold_rate"], unchanged["min_gold_accuracy"]) == (0.2, 0.8)
    assert owner.patch(url, json={"min_gold_accuracy": None}).json()["min_gold_accuracy"] is None
