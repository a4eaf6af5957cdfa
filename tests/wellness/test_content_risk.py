"""Content risk: the published list, project settings, opt-ins, exposure caps, the content
notice on a risky task and the break prompt."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.models import Exposure, Project, RiskOptIn
from tests.factories import Account, Factory
from tests.queue.helpers import lease, next_task, setup_project, submit
from tests.review.test_review import label, next_review, review_task


def opt_in(worker: Account, *categories: str) -> None:
    for category in categories:
        response = worker.put(f"/api/me/risk-opt-ins/{category}")
        assert response.status_code == 200, response.text


def risky_project(factory: Factory, items: int = 3, **extra: Any) -> tuple[Account, int, list[int]]:
    owner, created, ids = setup_project(factory, items, content_risks=["violence", "hate"], **extra)
    return owner, created["id"], ids


def exposures(database: Database, worker_id: int) -> list[tuple[int, str]]:
    with database.session(write=False) as db:
        rows = db.execute(
            select(Exposure.item_id, Exposure.category).where(Exposure.worker_id == worker_id)
        )
        return sorted((r[0], r[1]) for r in rows)


def project_settings(database: Database, project_id: int) -> tuple[list[str], dict[str, int]]:
    with database.session(write=False) as db:
        project = db.get_one(Project, project_id)
        return project.content_risks, project.exposure_caps


def test_published_list_is_public_with_support_marked_as_examples(client: Any) -> None:
    body = client.get("/api/content-risks").json()
    names = [c["name"] for c in body["categories"]]
    assert {"violence", "sexual", "hate", "self_harm", "medical"} <= set(names)
    assert all(c["description"] for c in body["categories"])
    assert "examples" in body["note"] and "localise" in body["note"]
    assert body["general_support"][0]["url"].startswith("https://")
    assert body["operator_cap_per_day"] == 100


def test_project_declares_risks_and_lowers_caps(factory: Factory) -> None:
    owner, org_id = factory.owner()
    created = factory.project(
        owner, org_id, content_risks=["violence", "medical"], exposure_caps={"violence": 20}
    )
    assert created["content_risks"] == ["violence", "medical"]
    assert created["exposure_caps"] == {"violence": 20}
    changed = owner.patch(f"/api/projects/{created['id']}", json={"content_risks": ["medical"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["exposure_caps"] == {}, "a cap of a risk no longer declared goes"


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"content_risks": ["violence", "gore"]}, "content_risks", 422),
        (
            {"content_risks": ["violence"], "exposure_caps": {"violence": 101}},
            "exposure_caps.violence",
            422,
        ),
        (
            {"content_risks": ["violence"], "exposure_caps": {"violence": 0}},
            "exposure_caps.violence",
            422,
        ),
        ({"content_risks": ["violence"], "exposure_caps": {"hate": 5}}, "exposure_caps.hate", 422),
    ],
)
def test_bad_risk_settings_are_refused_and_change_nothing(
    factory: Factory, database: Database, body: dict[str, Any], field: str, status: int
) -> None:
    owner, project_id, _ids = risky_project(factory, exposure_caps={"violence": 7})
    before = project_settings(database, project_id)
    response = owner.patch(f"/api/projects/{project_id}", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert (
        project_settings(database, project_id) == before == (["violence", "hate"], {"violence": 7})
    )


def test_cap_above_operator_default_follows_the_setting(
    factory: Factory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "exposure_cap_per_day", 10)
    owner, project_id, _ids = risky_project(factory)
    response = owner.patch(f"/api/projects/{project_id}", json={"exposure_caps": {"violence": 11}})
    assert response.status_code == 422
    assert response.json()["error"]["expected"] == "1 to 10 items a day"


def test_opt_ins_put_list_delete(factory: Factory, database: Database) -> None:
    worker = factory.worker()
    opt_in(worker, "violence", "violence", "hate")
    listed = worker.get("/api/me/risk-opt-ins").json()
    assert [o["category"] for o in listed] == ["hate", "violence"]
    assert worker.delete("/api/me/risk-opt-ins/hate").status_code == 204
    assert worker.delete("/api/me/risk-opt-ins/hate").status_code == 204, "idempotent"
    assert [o["category"] for o in worker.get("/api/me/risk-opt-ins").json()] == ["violence"]


def test_unknown_category_and_non_worker_are_refused(factory: Factory, database: Database) -> None:
    worker = factory.worker()
    owner, _org = factory.owner()
    response = worker.put("/api/me/risk-opt-ins/gore")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "category"
    assert worker.delete("/api/me/risk-opt-ins/gore").status_code == 404
    assert owner.put("/api/me/risk-opt-ins/violence").status_code == 403
    with database.session(write=False) as db:
        assert db.scalars(select(RiskOptIn)).all() == []


def test_worker_without_every_opt_in_gets_no_task_and_is_told_which(
    factory: Factory, database: Database
) -> None:
    _owner, project_id, _ids = risky_project(factory)
    worker = factory.worker()
    opt_in(worker, "violence")
    body = next_task(worker, project_id)
    assert body["assignment"] is None
    assert body["reason"] == "content_risk_opt_in"
    assert body["detail"] == {"missing": ["hate"]}
    assert exposures(database, worker.user_id) == []


def test_risky_task_carries_its_notice_and_records_exposures(
    factory: Factory, database: Database
) -> None:
    _owner, project_id, ids = risky_project(factory)
    worker = factory.worker()
    opt_in(worker, "violence", "hate")
    assignment = lease(worker, project_id)
    content = assignment["content"]
    assert [c["name"] for c in content["categories"]] == ["violence", "hate"]
    assert content["warning"] is True and content["break_due"] is False
    assert content["risky_in_a_row"] == 1
    assert content["support"][0]["url"].startswith("https://")
    assert exposures(database, worker.user_id) == [(ids[0], "hate"), (ids[0], "violence")]
    reloaded = worker.get(f"/api/assignments/{assignment['id']}").json()
    assert reloaded["content"]["categories"] == content["categories"]
    assert len(exposures(database, worker.user_id)) == 2, "a reload is not a second exposure"


def test_item_meta_narrows_its_categories(factory: Factory, database: Database) -> None:
    _owner, project_id, ids = risky_project(factory, 1)
    with database.session() as db:
        from fairlabel.models import Item

        db.get_one(Item, ids[0]).meta = {"content_risks": ["hate"]}
    worker = factory.worker()
    opt_in(worker, "violence", "hate")
    assert [c["name"] for c in lease(worker, project_id)["content"]["categories"]] == ["hate"]


def test_plain_project_has_no_notice(factory: Factory) -> None:
    _owner, created, _ids = setup_project(factory, 1)
    assert lease(factory.worker(), created["id"])["content"] is None


def test_daily_cap_stops_work_until_midnight_utc(factory: Factory, database: Database) -> None:
    _owner, project_id, _ids = risky_project(factory, 4, exposure_caps={"hate": 2})
    worker = factory.worker()
    opt_in(worker, "violence", "hate")
    for _ in range(2):
        assert submit(worker, lease(worker, project_id)["id"]).status_code == 201
    body = next_task(worker, project_id)
    assert body["reason"] == "exposure_cap_reached"
    assert body["detail"]["categories"] == ["hate"]
    resets = datetime.fromisoformat(body["detail"]["resets_at"])
    now = datetime.now(UTC)
    assert resets > now and resets - now <= timedelta(days=1)
    assert (resets.hour, resets.minute, resets.second) == (0, 0, 0)


def test_break_is_offered_after_a_stretch(
    factory: Factory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "break_after_risky_items", 2)
    _owner, project_id, _ids = risky_project(factory, 5)
    worker = factory.worker()
    opt_in(worker, "violence", "hate")
    due = []
    for _ in range(5):
        assignment = lease(worker, project_id)
        due.append(assignment["content"]["break_due"])
        assert submit(worker, assignment["id"]).status_code == 201
    assert due == [False, False, True, False, True]


def test_opting_out_stops_new_tasks(factory: Factory) -> None:
    _owner, project_id, _ids = risky_project(factory, 3)
    worker = factory.worker()
    opt_in(worker, "violence", "hate")
    assert submit(worker, lease(worker, project_id)["id"]).status_code == 201
    assert worker.delete("/api/me/risk-opt-ins/violence").status_code == 204
    assert next_task(worker, project_id)["detail"] == {"missing": ["violence"]}


def test_reviewers_need_the_opt_ins_and_their_exposures_count(factory: Factory) -> None:
    _owner, project_id, _ids = risky_project(factory, workflow=[{"stage": "review"}])
    labeller, reviewer = factory.worker(), factory.worker()
    opt_in(labeller, "violence", "hate")
    label(labeller, project_id)
    refused = next_review(reviewer, project_id).json()
    assert refused["task"] is None and refused["reason"] == "content_risk_opt_in"
    assert exposures(factory.database, reviewer.user_id) == []
    opt_in(reviewer, "violence", "hate")
    task = review_task(reviewer, project_id)
    item_id = task["assignment"]["item_id"]
    assert exposures(factory.database, reviewer.user_id) == [
        (item_id, "hate"),
        (item_id, "violence"),
    ]
