"""Drafts, submissions and versions through the real API; every bad input changes nothing."""

from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.models import Annotation
from tests.factories import Account, Factory
from tests.queue.helpers import (
    add_items,
    expire,
    item_counters,
    lease,
    setup_project,
    snapshot,
    submit,
)

ALREADY = "use revise to change a submitted annotation"


def _leased(factory: Factory, **project: Any) -> tuple[Account, Account, dict[str, Any]]:
    """An owner, a worker and the assignment the worker leased."""
    owner, created, _ids = setup_project(factory, items=1, **project)
    worker = factory.worker()
    return owner, worker, lease(worker, created["id"])


def _draft(worker: Account, assignment_id: int, body: Any) -> Any:
    return worker.put(f"/api/assignments/{assignment_id}/draft", json=body)


def _annotations(factory: Factory) -> list[Annotation]:
    with factory.database.session(write=False) as db:
        return list(db.scalars(select(Annotation).order_by(Annotation.id)))


# --- submit -------------------------------------------------------------------------------


def test_submit_creates_version_one_and_closes_the_assignment(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    _draft(worker, held["id"], {"answers": {"sentiment": "neg"}, "time_spent_ms": 10})
    response = submit(worker, held["id"], "negative", time_spent_ms=4321)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1 and body["is_latest"] and body["replayed"] is False
    assert body["answers"] == {"sentiment": "negative"}
    assert body["time_spent_ms"] == 4321 and body["guideline_version"] == 1
    assert body["worker"].startswith("W-") and "@" not in str(body)
    assert item_counters(factory.database, held["item"]["id"]) == (1, 1, False)
    shown = worker.get(f"/api/assignments/{held['id']}").json()
    assert shown["status"] == "submitted" and shown["draft"] is None
    assert shown["annotation_id"] == body["id"] and shown["seconds_left"] == 0


def test_same_answers_again_are_replayed_and_create_nothing(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    first = submit(worker, held["id"]).json()
    before = snapshot(factory.database)
    again = submit(worker, held["id"])
    assert again.status_code == 200
    assert again.json() == {**first, "replayed": True}
    assert snapshot(factory.database) == before


def test_other_answers_after_submit_are_a_conflict(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    submit(worker, held["id"], "positive")
    before = snapshot(factory.database)
    response = submit(worker, held["id"], "negative")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_submitted" and error["expected"] == ALREADY
    assert error["field"] == "answers" and error["value"] == {"sentiment": "negative"}
    assert snapshot(factory.database) == before


@pytest.mark.parametrize(
    ("answers", "field", "value"),
    [
        ({"sentiment": "angry"}, "answers.sentiment", "angry"),
        ({"sentiment": 3}, "answers.sentiment", 3),
        ({}, "answers.sentiment", None),
        ({"sentiment": "positive", "mood": "x"}, "answers.mood", "mood"),
        ({"sentiment": "positive", "note": 7}, "answers.note", 7),
    ],
)
def test_invalid_answers_name_field_value_expected_and_change_nothing(
    factory: Factory, answers: dict[str, Any], field: str, value: Any
) -> None:
    _owner, worker, held = _leased(factory)
    _draft(worker, held["id"], {"answers": {"sentiment": "pos"}})
    before = snapshot(factory.database)
    response = worker.post(
        f"/api/assignments/{held['id']}/submit", json={"answers": answers, "time_spent_ms": 5}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"], error["value"]) == ("invalid", field, value)
    assert error["expected"]
    assert snapshot(factory.database) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": ["positive"]}, "answers"),
        ({"answers": {"sentiment": "positive"}, "time_spent_ms": -1}, "time_spent_ms"),
        ({"answers": {"sentiment": "positive"}, "time_spent_ms": 10**12}, "time_spent_ms"),
        ({"answers": {"sentiment": "positive"}, "extra": 1}, "extra"),
        ({}, "answers"),
    ],
)
def test_malformed_submissions_are_rejected(
    factory: Factory, body: dict[str, Any], field: str
) -> None:
    _owner, worker, held = _leased(factory)
    before = snapshot(factory.database)
    response = worker.post(f"/api/assignments/{held['id']}/submit", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert snapshot(factory.database) == before


def test_answers_are_checked_against_the_item(factory: Factory) -> None:
    owner, org_id = factory.owner()
    spans = {"name": "entities", "type": "span", "settings": {"labels": ["ORG"]}}
    project = factory.project(owner, org_id, questions=[spans])
    add_items(factory.database, project["id"])
    worker = factory.worker()
    held = lease(worker, project["id"])
    before = snapshot(factory.database)
    past_end = {"entities": [{"start": 0, "end": 99, "label": "ORG"}]}
    response = worker.post(f"/api/assignments/{held['id']}/submit", json={"answers": past_end})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "answers.entities[0].end" and error["value"] == 99
    assert "6" in error["expected"]  # the text "item 0" is 6 characters long
    assert snapshot(factory.database) == before
    good = {"entities": [{"start": 0, "end": 4, "label": "ORG"}]}
    accepted = worker.post(f"/api/assignments/{held['id']}/submit", json={"answers": good})
    assert accepted.status_code == 201
    assert accepted.json()["answers"]["entities"][0]["text"] == "item"


def test_submit_after_the_lease_expired_is_410_and_keeps_the_draft(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    _draft(worker, held["id"], {"answers": {"sentiment": "neg"}, "time_spent_ms": 99})
    expire(factory.database, held["id"])
    before = snapshot(factory.database)
    response = submit(worker, held["id"])
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "lease_expired" and error["field"] == "expires_at"
    assert error["expected"] == "an assignment whose lease has not expired"
    assert snapshot(factory.database) == before
    draft = worker.get(f"/api/assignments/{held['id']}").json()["draft"]
    assert draft["answers"] == {"sentiment": "neg"} and draft["time_spent_ms"] == 99


def test_submit_after_return_is_a_conflict(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    worker.post(f"/api/assignments/{held['id']}/return")
    before = snapshot(factory.database)
    response = submit(worker, held["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "assignment_returned"
    assert snapshot(factory.database) == before


def test_another_workers_assignment_is_404(factory: Factory) -> None:
    owner, _worker, held = _leased(factory)
    other = factory.worker()
    before = snapshot(factory.database)
    for account in (other, owner):
        assert submit(account, held["id"]).status_code == 404
        assert _draft(account, held["id"], {"answers": {}}).status_code == 404
        assert account.get(f"/api/assignments/{held['id']}").status_code == 404
    assert snapshot(factory.database) == before


def test_submit_is_allowed_when_the_project_was_paused_meanwhile(factory: Factory) -> None:
    owner, worker, held = _leased(factory)
    owner.patch(f"/api/projects/{held['project_id']}", json={"status": "paused"})
    assert submit(worker, held["id"]).status_code == 201


def test_guideline_version_in_force_is_recorded(factory: Factory) -> None:
    owner, worker, held = _leased(factory)
    owner.patch(f"/api/projects/{held['project_id']}", json={"guidelines": "v2"})
    assert submit(worker, held["id"]).json()["guideline_version"] == 2


# --- drafts -------------------------------------------------------------------------------


def test_drafts_autosave_partial_answers_and_survive_a_reload(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    partial = {"answers": {"sentiment": "pos", "half_typed": [1, 2]}, "time_spent_ms": 50}
    first = _draft(worker, held["id"], partial)
    assert first.status_code == 200 and first.json()["answers"] == partial["answers"]
    second = _draft(worker, held["id"], {"answers": {"sentiment": "positive"}, "time_spent_ms": 80})
    assert second.json()["time_spent_ms"] == 80
    reloaded = worker.get(f"/api/assignments/{held['id']}").json()
    assert reloaded["draft"]["answers"] == {"sentiment": "positive"}
    assert not _annotations(factory)


def test_oversized_draft_is_413_and_changes_nothing(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    _draft(worker, held["id"], {"answers": {"sentiment": "pos"}})
    before = snapshot(factory.database)
    response = _draft(worker, held["id"], {"answers": {"note": "x" * 1_000_001}})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["field"] == "answers" and error["expected"] == "at most 1000000 bytes"
    assert snapshot(factory.database) == before


@pytest.mark.parametrize(
    "body", [{"answers": "text"}, {"answers": {}, "time_spent_ms": -5}, {"time_spent_ms": 5}]
)
def test_malformed_draft_is_422(factory: Factory, body: dict[str, Any]) -> None:
    _owner, worker, held = _leased(factory)
    before = snapshot(factory.database)
    response = _draft(worker, held["id"], body)
    assert response.status_code == 422 and response.json()["error"]["field"]
    assert snapshot(factory.database) == before


def test_draft_only_while_the_lease_is_live(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    submit(worker, held["id"])
    before = snapshot(factory.database)
    submitted = _draft(worker, held["id"], {"answers": {}})
    assert submitted.status_code == 409
    assert submitted.json()["error"]["expected"] == ALREADY
    assert snapshot(factory.database) == before
    _owner2, worker2, held2 = _leased(factory)
    expire(factory.database, held2["id"])
    assert _draft(worker2, held2["id"], {"answers": {}}).status_code == 410


# --- revise and versions ------------------------------------------------------------------


def _revise(worker: Account, annotation_id: int, label: str, time_spent_ms: int = 700) -> Any:
    return worker.post(
        f"/api/annotations/{annotation_id}/revise",
        json={"answers": {"sentiment": label}, "time_spent_ms": time_spent_ms},
    )


def test_revise_creates_a_new_version_and_keeps_the_old(factory: Factory) -> None:
    owner, worker, held = _leased(factory)
    v1 = submit(worker, held["id"], "positive").json()
    owner.patch(f"/api/projects/{held['project_id']}", json={"guidelines": "clarified"})
    response = _revise(worker, v1["id"], "neutral", 700)
    assert response.status_code == 201
    v2 = response.json()
    assert (v2["version"], v2["is_latest"], v2["replayed"]) == (2, True, False)
    assert (v2["guideline_version"], v2["time_spent_ms"]) == (2, 700)
    versions = worker.get(f"/api/annotations/{v2['id']}/versions").json()
    assert [(v["version"], v["is_latest"], v["answers"]["sentiment"]) for v in versions] == [
        (1, False, "positive"),
        (2, True, "neutral"),
    ]
    assert worker.get(f"/api/assignments/{held['id']}").json()["annotation_id"] == v2["id"]
    assert item_counters(factory.database, held["item"]["id"]) == (1, 1, False)


def test_revise_retry_is_replayed_and_stale_revise_is_a_conflict(factory: Factory) -> None:
    _owner, worker, held = _leased(factory)
    v1 = submit(worker, held["id"], "positive").json()
    v2 = _revise(worker, v1["id"], "neutral").json()
    before = snapshot(factory.database)
    retry = _revise(worker, v1["id"], "neutral")
    assert retry.status_code == 200 and retry.json() == {**v2, "replayed": True}
    unchanged = _revise(worker, v2["id"], "neutral")
    assert unchanged.status_code == 200 and unchanged.json()["id"] == v2["id"]
    stale = _revise(worker, v1["id"], "negative")
    assert stale.status_code == 409
    assert stale.json()["error"]["field"] == "annotation_id"
    assert stale.json()["error"]["expected"] == f"the latest version, id {v2['id']}"
    invalid = _revise(worker, v2["id"], "angry")
    assert invalid.status_code == 422 and invalid.json()["error"]["field"] == "answers.sentiment"
    assert snapshot(factory.database) == before


def test_only_the_author_revises(factory: Factory) -> None:
    owner, worker, held = _leased(factory)
    v1 = submit(worker, held["id"]).json()
    before = snapshot(factory.database)
    assert _revise(factory.worker(), v1["id"], "neutral").status_code == 404
    member = _revise(owner, v1["id"], "neutral")
    assert member.status_code == 403 and member.json()["error"]["field"] == "annotation_id"
    assert _revise(worker, 999999, "neutral").status_code == 404
    assert snapshot(factory.database) == before


def test_versions_are_for_the_author_and_project_members(factory: Factory) -> None:
    owner, worker, held = _leased(factory)
    v1 = submit(worker, held["id"]).json()
    url = f"/api/annotations/{v1['id']}/versions"
    shown = owner.get(url)
    assert shown.status_code == 200 and shown.json()[0]["worker"] == v1["worker"]
    assert worker.email not in shown.text
    stranger, _org = factory.owner()
    assert stranger.get(url).status_code == 404
    assert factory.worker().get(url).status_code == 404


# --- project listing ----------------------------------------------------------------------


def test_members_page_through_latest_versions_by_pseudonym(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory, items=3)
    workers = [factory.worker() for _ in range(3)]
    latest = []
    for n, worker in enumerate(workers):
        annotation = submit(worker, lease(worker, project["id"])["id"]).json()
        if n == 0:
            annotation = _revise(worker, annotation["id"], "negative").json()
        latest.append(annotation["id"])
    url = f"/api/projects/{project['id']}/annotations"
    page1 = owner.get(f"{url}?limit=2").json()
    page2 = owner.get(f"{url}?limit=2&after={page1['next_after']}").json()
    listed = page1["annotations"] + page2["annotations"]
    assert sorted(a["id"] for a in listed) == sorted(latest)
    assert all(a["is_latest"] for a in listed) and page2["next_after"] is None
    response_text = owner.get(url).text
    assert all(w.email not in response_text for w in workers)
    pseudonyms = {w.get("/api/me").json()["pseudonym"] for w in workers}
    assert {a["worker"] for a in listed} == pseudonyms


def test_project_annotations_are_for_members_only(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory)
    url = f"/api/projects/{project['id']}/annotations"
    stranger, _org = factory.owner()
    assert stranger.get(url).status_code == 404
    assert factory.worker().get(url).status_code == 404
    assert factory.client.get(url).status_code == 401
