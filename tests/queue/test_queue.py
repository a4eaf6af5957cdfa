"""Work queue through the real API: order, overlap, leases, returns and who may see what."""

from sqlalchemy import delete, func, select

from fairlabel.models import Assignment, Membership, User
from tests.factories import Factory
from tests.queue.helpers import (
    add_items,
    expire,
    item_counters,
    lease,
    next_task,
    setup_project,
    snapshot,
    submit,
)


def test_next_returns_item_questions_guidelines_and_lease(factory: Factory) -> None:
    _owner, project, (item_id,) = setup_project(factory, lease_seconds=600)
    worker = factory.worker()
    assignment = lease(worker, project["id"])
    assert assignment["item"] == {
        "id": item_id,
        "external_id": f"ext-{project['id']}-0",
        "fields": {"text": "item 0"},
        "meta": {"n": 0},
    }
    assert [q["name"] for q in assignment["questions"]] == ["sentiment", "note"]
    assert assignment["guideline_version"] == 1
    assert assignment["status"] == "active" and assignment["stage"] == "label"
    assert 590 <= assignment["seconds_left"] <= 600
    assert assignment["expires_at"] > assignment["leased_at"]
    assert assignment["draft"] is None and assignment["annotation_id"] is None
    assert item_counters(factory.database, item_id) == (1, 0, False)


def test_highest_priority_first_then_lowest_id(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    ids = add_items(factory.database, project["id"], priorities=[0, 5, 1, 5, -2])
    worker = factory.worker()
    served = []
    for _ in ids:
        assignment = lease(worker, project["id"])
        served.append(assignment["item"]["id"])
        assert submit(worker, assignment["id"]).status_code == 201
    assert served == [ids[1], ids[3], ids[2], ids[0], ids[4]]


def test_a_worker_never_gets_the_same_item_twice(factory: Factory) -> None:
    _owner, project, ids = setup_project(factory, items=2, overlap=3)
    worker = factory.worker()
    seen = []
    for _ in ids:
        assignment = lease(worker, project["id"])
        seen.append(assignment["item"]["id"])
        submit(worker, assignment["id"])
    assert sorted(seen) == ids
    body = next_task(worker, project["id"])
    assert body == {
        "assignment": None,
        "reason": "already_worked_on",
        "retry_after_seconds": None,
        "detail": None,
    }


def test_overlap_two_with_three_workers(factory: Factory) -> None:
    _owner, project, (item_id,) = setup_project(factory, overlap=2)
    first, second, third = factory.worker(), factory.worker(), factory.worker()
    a1, a2 = lease(first, project["id"]), lease(second, project["id"])
    assert a1["item"]["id"] == a2["item"]["id"] == item_id
    waiting = next_task(third, project["id"])
    assert waiting["assignment"] is None and waiting["reason"] == "leased_to_others"
    assert 0 < waiting["retry_after_seconds"] <= 1801
    assert submit(first, a1["id"]).status_code == 201
    assert next_task(third, project["id"])["reason"] == "leased_to_others"
    assert item_counters(factory.database, item_id) == (2, 1, False)
    assert submit(second, a2["id"]).status_code == 201
    assert next_task(third, project["id"])["reason"] == "complete"
    assert item_counters(factory.database, item_id) == (2, 2, False)


def test_retry_and_double_click_return_the_held_assignment(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=3)
    worker = factory.worker()
    first = lease(worker, project["id"])
    again = lease(worker, project["id"])
    assert again["id"] == first["id"] and again["item"] == first["item"]
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count(Assignment.id))) == 1


def test_prefetch_leases_one_more_and_never_a_third(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=4)
    worker = factory.worker()
    url = f"/api/projects/{project['id']}/assignments/next"
    shown = lease(worker, project["id"])
    prefetched = worker.post(url, params={"exclude": shown["id"]}).json()["assignment"]
    assert prefetched["id"] != shown["id"]
    assert prefetched["item"]["id"] != shown["item"]["id"]
    again = worker.post(url, params={"exclude": shown["id"]}).json()["assignment"]
    assert again["id"] == prefetched["id"]
    assert (
        worker.post(url, params={"exclude": prefetched["id"]}).json()["assignment"]["id"]
        == (shown["id"])
    )
    assert lease(worker, project["id"])["id"] == shown["id"]  # the oldest held comes first
    assert submit(worker, shown["id"]).status_code == 201
    third = worker.post(url, params={"exclude": prefetched["id"]}).json()["assignment"]
    assert third["id"] not in (shown["id"], prefetched["id"])
    with factory.database.session(write=False) as db:
        active = select(func.count(Assignment.id)).where(Assignment.status == "active")
        assert db.scalar(active) == 2


def test_prefetch_with_a_bad_exclude_is_rejected(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=2)
    worker = factory.worker()
    url = f"/api/projects/{project['id']}/assignments/next"
    response = worker.post(url, params={"exclude": "first"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "exclude"
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count(Assignment.id))) == 0


def test_held_assignment_comes_back_with_its_draft(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=2)
    worker = factory.worker()
    first = lease(worker, project["id"])
    draft = {"answers": {"sentiment": "neutral"}, "time_spent_ms": 300}
    assert worker.put(f"/api/assignments/{first['id']}/draft", json=draft).status_code == 200
    again = lease(worker, project["id"])
    assert again["draft"]["answers"] == {"sentiment": "neutral"}
    assert again["draft"]["time_spent_ms"] == 300


def test_expired_lease_puts_the_item_back_and_keeps_the_draft(factory: Factory) -> None:
    _owner, project, (item_id,) = setup_project(factory)
    slow, other = factory.worker(), factory.worker()
    held = lease(slow, project["id"])
    slow.put(f"/api/assignments/{held['id']}/draft", json={"answers": {"sentiment": "neg"}})
    assert next_task(other, project["id"])["reason"] == "leased_to_others"
    expire(factory.database, held["id"])
    shown = slow.get(f"/api/assignments/{held['id']}").json()
    assert shown["status"] == "expired" and shown["seconds_left"] == 0
    taken_over = lease(other, project["id"])
    assert taken_over["item"]["id"] == item_id
    assert item_counters(factory.database, item_id) == (1, 0, False)
    after = slow.get(f"/api/assignments/{held['id']}").json()
    assert after["status"] == "expired" and after["ended_at"] is not None
    assert after["draft"]["answers"] == {"sentiment": "neg"}
    assert next_task(slow, project["id"])["reason"] == "leased_to_others"


def test_expired_lease_returns_to_the_pool_when_nobody_else_is_waiting(
    factory: Factory,
) -> None:
    _owner, project, (item_id,) = setup_project(factory)
    worker = factory.worker()
    held = lease(worker, project["id"])
    expire(factory.database, held["id"])
    body = next_task(worker, project["id"])
    assert body["assignment"] is None and body["reason"] == "already_worked_on"
    assert item_counters(factory.database, item_id) == (0, 0, True)


def test_return_puts_the_item_back_without_penalty(factory: Factory) -> None:
    _owner, project, (item_id,) = setup_project(factory)
    worker, other = factory.worker(), factory.worker()
    held = lease(worker, project["id"])
    response = worker.post(f"/api/assignments/{held['id']}/return")
    assert response.status_code == 200
    assert response.json()["status"] == "returned" and response.json()["seconds_left"] == 0
    assert item_counters(factory.database, item_id) == (0, 0, True)
    assert lease(other, project["id"])["item"]["id"] == item_id
    assert next_task(worker, project["id"])["reason"] == "leased_to_others"


def test_return_is_only_for_the_holder_and_only_while_active(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=2)
    worker, other = factory.worker(), factory.worker()
    held = lease(worker, project["id"])
    before = snapshot(factory.database)
    stranger = other.post(f"/api/assignments/{held['id']}/return")
    assert stranger.status_code == 404
    assert stranger.json()["error"]["field"] == "assignment_id"
    assert snapshot(factory.database) == before
    assert worker.post(f"/api/assignments/{held['id']}/return").status_code == 200
    before = snapshot(factory.database)
    twice = worker.post(f"/api/assignments/{held['id']}/return")
    assert twice.status_code == 409
    assert twice.json()["error"] == {
        "code": "assignment_returned",
        "message": "this assignment was returned to the queue",
        "field": "status",
        "value": "returned",
        "expected": "an active assignment; ask for the next one",
    }
    assert snapshot(factory.database) == before


def test_return_after_submit_or_expiry_changes_nothing(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=2)
    worker = factory.worker()
    done = lease(worker, project["id"])
    submit(worker, done["id"])
    late = lease(worker, project["id"])
    expire(factory.database, late["id"])
    before = snapshot(factory.database)
    submitted = worker.post(f"/api/assignments/{done['id']}/return")
    assert submitted.status_code == 409
    assert submitted.json()["error"]["code"] == "already_submitted"
    expired = worker.post(f"/api/assignments/{late['id']}/return")
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "lease_expired"
    assert expired.json()["error"]["field"] == "expires_at"
    assert snapshot(factory.database) == before


def test_a_worker_cannot_see_anothers_assignment(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=2)
    worker, other = factory.worker(), factory.worker()
    held = lease(worker, project["id"])
    lease(other, project["id"])
    response = other.get(f"/api/assignments/{held['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["value"] == held["id"]
    mine = other.get("/api/assignments").json()
    assert [a["id"] for a in mine] != [] and held["id"] not in [a["id"] for a in mine]


def test_list_my_assignments_filters_by_effective_status(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=4)
    worker = factory.worker()
    done = lease(worker, project["id"])
    submit(worker, done["id"])
    gone = lease(worker, project["id"])
    worker.post(f"/api/assignments/{gone['id']}/return")
    stale = lease(worker, project["id"])
    expire(factory.database, stale["id"])

    def ids(query: str) -> list[int]:
        response = worker.get(f"/api/assignments{query}")
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()]

    assert ids("") == [stale["id"], gone["id"], done["id"]]
    assert ids("?status=submitted") == [done["id"]]
    assert ids("?status=returned") == [gone["id"]]
    assert ids("?status=expired") == [stale["id"]]
    assert ids("?status=active") == []
    assert ids(f"?project_id={project['id']}&limit=1") == [stale["id"]]
    assert ids(f"?before={stale['id']}") == [gone["id"], done["id"]]
    bad = worker.get("/api/assignments?status=lost")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"


def test_member_of_another_organization_gets_404(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory)
    stranger, _org = factory.owner()
    response = stranger.post(f"/api/projects/{project['id']}/assignments/next")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "project_id"


def test_non_worker_gets_403(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory)
    before = snapshot(factory.database)
    response = owner.post(f"/api/projects/{project['id']}/assignments/next")
    assert response.status_code == 403
    assert response.json()["error"]["expected"] == "a worker account"
    assert snapshot(factory.database) == before


def test_project_not_active_gets_403(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory)
    worker = factory.worker()
    assert owner.patch(f"/api/projects/{project['id']}", json={"status": "paused"}).is_success
    # A worker may see a paused project only if it is also a member; otherwise 404.
    member_worker = factory.user(worker=True, org_id=project["organization_id"], role="viewer")
    response = member_worker.post(f"/api/projects/{project['id']}/assignments/next")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "the project is not taking work",
        "field": "status",
        "value": "paused",
        "expected": "active",
    }
    assert worker.post(f"/api/projects/{project['id']}/assignments/next").status_code == 404


def test_unknown_project_and_unauthenticated(factory: Factory) -> None:
    worker = factory.worker()
    assert worker.post("/api/projects/999999/assignments/next").status_code == 404
    anonymous = factory.client.post("/api/projects/1/assignments/next")
    assert anonymous.status_code == 401


def test_empty_project_says_so(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=0)
    body = next_task(factory.worker(), project["id"])
    assert body == {
        "assignment": None,
        "reason": "no_items",
        "retry_after_seconds": None,
        "detail": None,
    }


def test_account_changes_reach_a_cached_caller_at_once(factory: Factory) -> None:
    """Callers are cached between requests; a change made through this process's sessions
    (a removed membership, a deactivated account) must not wait for the cache to expire."""
    owner, project, _ids = setup_project(factory)
    worker = factory.user(worker=True, org_id=project["organization_id"], role="viewer")
    assert lease(worker, project["id"])["project_id"] == project["id"]
    assert owner.patch(f"/api/projects/{project['id']}", json={"status": "paused"}).is_success
    paused = worker.post(f"/api/projects/{project['id']}/assignments/next")
    assert paused.status_code == 403  # a member still sees the paused project
    with factory.database.session() as db:
        db.execute(delete(Membership).where(Membership.user_id == worker.user_id))
    gone = worker.post(f"/api/projects/{project['id']}/assignments/next")
    assert gone.status_code == 404
    with factory.database.session() as db:
        user = db.get(User, worker.user_id)
        assert user is not None
        user.is_active = False
    assert worker.post(f"/api/projects/{project['id']}/assignments/next").status_code == 401
