"""Eligibility: a project's required qualifications, languages and countries; next-task
never hands work to an ineligible worker and says what is unmet; reviewers need the
stage's qualification checked beyond a claim."""

from typing import Any

from sqlalchemy import func, select

from fairlabel.models import Assignment
from tests.factories import Account, Factory
from tests.queue.helpers import lease, next_task, setup_project
from tests.review.test_review import REVIEW, label, next_review
from tests.workforce.helpers import state

RULES = {
    "qualifications": [{"name": "medicine", "min_level": 3, "min_tier": "verified"}],
    "languages": ["fr"],
    "countries": ["DE", "FR"],
}


def eligible_worker(factory: Factory, operator: Account) -> Account:
    worker = factory.worker()
    worker.put("/api/me/profile", json={"country": "FR", "languages": ["fr", "en"]})
    worker.post("/api/me/qualifications", json={"name": "medicine", "level": 3})
    tier = {"tier": "verified", "reason": "licence checked"}
    operator.put(f"/api/workers/{worker.user_id}/qualifications/medicine/tier", json=tier)
    return worker


def test_next_task_refuses_an_ineligible_worker_with_each_unmet_requirement(
    factory: Factory,
) -> None:
    _owner, project, _ids = setup_project(factory, items=2, eligibility=RULES)
    assert project["eligibility"]["countries"] == ["DE", "FR"]
    worker = factory.worker()  # KE, no languages, no qualifications
    worker.post("/api/me/qualifications", json={"name": "medicine", "level": 3})
    before = state(factory.database)
    body = next_task(worker, project["id"])
    assert body["assignment"] is None and body["reason"] == "not_eligible"
    unmet = body["detail"]["unmet"]
    assert [u["kind"] for u in unmet] == ["qualification", "language", "country"]
    assert unmet[0]["yours"] == {"level": 3, "tier": "claimed"}
    assert "verified" in unmet[0]["requirement"]
    assert state(factory.database) == before
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count(Assignment.id))) == 0
    seen = worker.get(f"/api/projects/{project['id']}/eligibility").json()
    assert seen["eligible"] is False and seen["unmet"] == unmet
    listed = {p["project_id"]: p for p in worker.get("/api/me/projects").json()}
    assert listed[project["id"]]["eligible"] is False


def test_an_eligible_worker_gets_work(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=1, eligibility=RULES)
    worker = eligible_worker(factory, factory.user(operator=True))
    assert worker.get(f"/api/projects/{project['id']}/eligibility").json() == {
        "project_id": project["id"],
        "eligible": True,
        "unmet": [],
    }
    assert lease(worker, project["id"])["project_id"] == project["id"]


def test_eligibility_settings_are_checked(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory, items=1)
    bad: list[dict[str, Any]] = [
        {"countries": ["Kenya"]},
        {"languages": ["French"]},
        {"qualifications": [{"name": "medicine", "min_level": 9}]},
        {"qualifications": [{"name": "medicine", "min_tier": "famous"}]},
        {"other": []},
    ]
    before = state(factory.database)
    for eligibility in bad:
        response = owner.patch(f"/api/projects/{project['id']}", json={"eligibility": eligibility})
        assert response.status_code == 422, (eligibility, response.text)
    assert state(factory.database) == before


def test_a_reviewer_needs_the_stage_qualification_checked_beyond_a_claim(
    factory: Factory,
) -> None:
    workflow = [{**REVIEW[0], "qualification": "medicine"}]
    _owner, project, _ids = setup_project(factory, items=1, workflow=workflow)
    label(factory.worker(), project["id"])
    reviewer, operator = factory.worker(), factory.user(operator=True)
    reviewer.put("/api/me/profile", json={"skills": ["medicine"]})
    assert next_review(reviewer, project["id"]).status_code == 403  # skills grant nothing
    reviewer.post("/api/me/qualifications", json={"name": "medicine", "level": 1})
    refused = next_review(reviewer, project["id"])
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "qualification"
    assert refused.json()["error"]["value"] == {"level": 1, "tier": "claimed"}
    tier = {"tier": "documents_checked", "reason": "diploma seen"}
    operator.put(f"/api/workers/{reviewer.user_id}/qualifications/medicine/tier", json=tier)
    assert next_review(reviewer, project["id"]).json()["task"] is not None


def test_an_ineligible_reviewer_is_refused(factory: Factory) -> None:
    _owner, project, _ids = setup_project(
        factory, items=1, workflow=REVIEW, eligibility={"languages": ["sw"]}
    )
    worker = factory.worker()
    worker.put("/api/me/profile", json={"country": "KE", "languages": ["sw"]})
    label(worker, project["id"])
    refused = next_review(factory.worker(), project["id"])
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "eligibility"
