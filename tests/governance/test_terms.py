"""Versioned platform terms: the first version may take effect at once, every later one
says what changes and is announced at least 30 days ahead; versions are never edited;
workers acknowledge a version, once, and their work never waits on it."""

from datetime import datetime, timedelta

import pytest

from fairlabel.db import utcnow
from fairlabel.governance.service import TERMS_NOTICE_DAYS
from tests.factories import Account, Factory
from tests.governance.helpers import TERMS_BODY, in_days, publish, state
from tests.queue.helpers import lease, setup_project


@pytest.fixture
def operator(factory: Factory) -> Account:
    return factory.user(operator=True)


def test_the_first_version_takes_effect_at_once(factory: Factory, operator: Account) -> None:
    first = publish(operator)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["number"], body["status"], body["title"]) == (1, "current", "Platform terms")
    assert body["body"] == TERMS_BODY and body["summary"] == ""
    assert body["published_by_id"] == operator.user_id and body["notice_days"] == 0
    assert body["effective_at"] == body["published_at"]
    worker = factory.worker()
    current = worker.get("/api/terms/current")
    assert current.status_code == 200 and current.json()["number"] == 1
    assert [v["number"] for v in worker.get("/api/terms").json()] == [1]
    assert worker.get("/api/terms/1").json()["status"] == "current"


def test_a_later_version_needs_thirty_days_notice_and_a_summary(
    factory: Factory, operator: Account
) -> None:
    assert publish(operator).status_code == 201
    before = state(factory.database)
    soon = publish(operator, TERMS_NOTICE_DAYS - 1, summary="Appeals are heard in 5 days.")
    assert soon.status_code == 422
    error = soon.json()["error"]
    earliest = utcnow() + timedelta(days=TERMS_NOTICE_DAYS)
    assert error["field"] == "effective_at"
    assert datetime.fromisoformat(error["value"]) < earliest
    assert (
        f"{earliest:%Y-%m-%d}" in error["message"] and f"{earliest:%Y-%m-%d}" in error["expected"]
    )
    unexplained = publish(operator, TERMS_NOTICE_DAYS + 1)
    assert unexplained.status_code == 422 and unexplained.json()["error"]["field"] == "summary"
    blank = publish(operator, TERMS_NOTICE_DAYS + 1, summary="   ")
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "summary"
    assert state(factory.database) == before

    second = publish(operator, TERMS_NOTICE_DAYS + 1, summary="Appeals are heard in 5 days.")
    assert second.status_code == 201, second.text
    assert (second.json()["number"], second.json()["status"]) == (2, "upcoming")
    assert second.json()["notice_days"] == pytest.approx(TERMS_NOTICE_DAYS + 1, abs=0.01)
    listed = operator.get("/api/terms").json()
    assert [(v["number"], v["status"]) for v in listed] == [(2, "upcoming"), (1, "current")]
    assert operator.get("/api/terms/current").json()["number"] == 1


def test_each_version_takes_effect_after_the_one_before(
    factory: Factory, operator: Account
) -> None:
    publish(operator)
    assert publish(operator, 60, summary="Longer review deadlines.").status_code == 201
    before = state(factory.database)
    early = publish(operator, 45, summary="Sanctions need two reviewers.")
    assert early.status_code == 422 and early.json()["error"]["field"] == "effective_at"
    assert "after version 2" in early.json()["error"]["message"]
    default = publish(operator, None, summary="Sanctions need two reviewers.")
    assert default.status_code == 422, "the default, 30 days, is before version 2"
    assert state(factory.database) == before
    third = publish(operator, 61, summary="Sanctions need two reviewers.")
    assert third.status_code == 201 and third.json()["number"] == 3


def test_a_later_version_defaults_to_exactly_the_notice(operator: Account) -> None:
    publish(operator)
    second = publish(operator, None, summary="Pay is approved within 48 hours.")
    assert second.status_code == 201, second.text
    assert second.json()["notice_days"] == pytest.approx(TERMS_NOTICE_DAYS, abs=0.001)


def test_the_first_version_is_not_back_dated(factory: Factory, operator: Account) -> None:
    past = publish(operator, -2)
    assert past.status_code == 422 and past.json()["error"]["field"] == "effective_at"
    assert state(factory.database)["terms_versions"] == []
    later = publish(operator, 5)
    assert later.status_code == 201 and later.json()["status"] == "upcoming"
    none = operator.get("/api/terms/current")
    assert none.status_code == 404 and none.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"body": ""}, "body"),
        ({"body": "\n \n"}, "body"),
        ({"title": "x" * 201}, "title"),
        ({"effective_at": "next week"}, "effective_at"),
        ({"effective_at": "2030-01-01T00:00:00"}, "effective_at"),
        ({"number": 7}, "number"),
    ],
)
def test_bad_terms_are_refused_with_the_field(
    factory: Factory, operator: Account, change: dict[str, str], field: str
) -> None:
    body = {"title": "Platform terms", "body": TERMS_BODY, **change}
    response = operator.post("/api/terms", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert state(factory.database)["terms_versions"] == []


def test_only_operators_publish_and_nobody_edits(factory: Factory, operator: Account) -> None:
    owner, _org = factory.owner()
    worker = factory.worker()
    body = {"title": "Mine", "body": "My terms."}
    assert worker.post("/api/terms", json=body).status_code == 403
    assert owner.post("/api/terms", json=body).status_code == 403
    assert factory.client.post("/api/terms", json=body).status_code == 401
    assert factory.client.get("/api/terms").status_code == 401
    assert state(factory.database)["terms_versions"] == []
    publish(operator)
    before = state(factory.database)
    for method in ("PUT", "PATCH", "DELETE"):
        answer = operator.client.request(method, "/api/terms/1", headers=operator.headers)
        assert answer.status_code == 405, method
    assert state(factory.database) == before


def test_unknown_versions_are_not_found(factory: Factory, operator: Account) -> None:
    publish(operator)
    worker = factory.worker()
    assert worker.get("/api/terms/2").status_code == 404
    missing = worker.post("/api/terms/2/acknowledge")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "number"
    assert state(factory.database)["terms_acceptances"] == []


def test_a_worker_acknowledges_once(factory: Factory, operator: Account) -> None:
    publish(operator)
    worker = factory.worker()
    first = worker.post("/api/terms/1/acknowledge")
    assert first.status_code == 201, first.text
    assert (first.json()["worker_id"], first.json()["number"]) == (worker.user_id, 1)
    again = worker.post("/api/terms/1/acknowledge")
    assert again.status_code == 200 and again.json() == first.json()
    assert len(state(factory.database)["terms_acceptances"]) == 1
    listed = worker.get("/api/terms").json()
    assert listed[0]["acknowledged_at"] == first.json()["accepted_at"]
    assert operator.get("/api/terms").json()[0]["acknowledged_at"] is None


def test_only_workers_acknowledge(factory: Factory, operator: Account) -> None:
    publish(operator)
    owner, _org = factory.owner()
    assert operator.post("/api/terms/1/acknowledge").status_code == 403
    refused = owner.post("/api/terms/1/acknowledge")
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "role"
    assert factory.client.post("/api/terms/1/acknowledge").status_code == 401
    assert state(factory.database)["terms_acceptances"] == []


def test_work_never_waits_on_acknowledging(factory: Factory, operator: Account) -> None:
    publish(operator)
    assert publish(operator, None, summary="Pay is approved within 48 hours.").status_code == 201
    _owner, project, _items = setup_project(factory)
    worker = factory.worker()
    assert lease(worker, project["id"])["project_id"] == project["id"]
    assert state(factory.database)["terms_acceptances"] == []


def test_versions_list_newest_first_with_notice(operator: Account) -> None:
    publish(operator)
    publish(operator, 40, summary="Longer appeal window.", effective_at=in_days(40))
    listed = operator.get("/api/terms").json()
    assert [v["number"] for v in listed] == [2, 1]
    assert listed[0]["notice_days"] == pytest.approx(40, abs=0.01)
    assert listed[0]["summary"] == "Longer appeal window."
