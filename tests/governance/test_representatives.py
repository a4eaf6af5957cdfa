"""Worker representatives and consultations: operators record them, everyone signed in
reads them; every bad input is a specific 4xx naming the field, and changes nothing."""

from datetime import timedelta
from typing import Any

import pytest

from fairlabel.db import utcnow
from tests.factories import Account, Factory
from tests.governance.helpers import consultation, in_days, representative, state


@pytest.fixture
def operator(factory: Factory) -> Account:
    return factory.user(operator=True)


def test_an_operator_records_a_representative_everyone_reads(
    factory: Factory, operator: Account
) -> None:
    elected = factory.worker()
    union = representative(operator, "Data Workers Union", kind="union")
    assert union.status_code == 201, union.text
    person = representative(
        operator,
        "Wanjiru K.",
        kind="elected_representative",
        contact="Message her through the workers' forum",
        worker_id=elected.user_id,
    )
    assert person.status_code == 201, person.text
    body = person.json()
    assert body["worker_id"] == elected.user_id and body["current"] is True
    assert body["ended_at"] is None and body["kind"] == "elected_representative"
    listed = factory.worker().get("/api/governance/representatives")
    assert listed.status_code == 200
    assert [r["name"] for r in listed.json()] == ["Data Workers Union", "Wanjiru K."]
    owner, _org = factory.owner()
    assert owner.get("/api/governance/representatives").status_code == 200
    assert factory.client.get("/api/governance/representatives").status_code == 401


def test_a_past_representative_is_listed_after_the_current_ones(operator: Account) -> None:
    ended = representative(
        operator, "Old Association", recognised_at=in_days(-400), ended_at=in_days(-30)
    )
    assert ended.status_code == 201 and ended.json()["current"] is False
    representative(operator, "New Association")
    names = [
        (r["name"], r["current"]) for r in operator.get("/api/governance/representatives").json()
    ]
    assert names == [("New Association", True), ("Old Association", False)]


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"name": ""}, "name", 422),
        ({"name": "  "}, "name", 422),
        ({"kind": "guild"}, "kind", 422),
        ({"contact": ""}, "contact", 422),
        ({"worker_id": 999_999}, "worker_id", 422),
        ({"worker_id": "someone"}, "worker_id", 422),
        ({"recognised_at": "soon"}, "recognised_at", 422),
        ({"extra": 1}, "extra", 422),
    ],
)
def test_bad_representatives_are_refused(
    factory: Factory, operator: Account, change: dict[str, Any], field: str, status: int
) -> None:
    response = representative(operator, **change)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert state(factory.database)["worker_representatives"] == []


def test_dates_and_duplicates_of_representatives(factory: Factory, operator: Account) -> None:
    assert representative(operator).status_code == 201
    before = state(factory.database)
    future = representative(operator, "Later Union", recognised_at=in_days(3))
    assert future.status_code == 422 and future.json()["error"]["field"] == "recognised_at"
    backwards = representative(
        operator, "Backwards", recognised_at=in_days(-10), ended_at=in_days(-20)
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "ended_at"
    twice = representative(operator, "kenya data workers")
    assert twice.status_code == 409 and twice.json()["error"]["field"] == "name"
    assert state(factory.database) == before


def test_only_operators_record(factory: Factory, operator: Account) -> None:
    worker = factory.worker()
    owner, _org = factory.owner()
    assert representative(worker).status_code == 403
    assert representative(owner).status_code == 403
    anonymous = factory.client.post(
        "/api/governance/representatives",
        json={"name": "X", "kind": "union", "contact": "x@example.org"},
    )
    assert anonymous.status_code == 401
    rep = representative(operator).json()
    before = state(factory.database)
    assert consultation(worker, [rep["id"]]).status_code == 403
    assert consultation(owner, [rep["id"]]).status_code == 403
    assert factory.client.post("/api/governance/consultations", json={}).status_code == 401
    assert state(factory.database) == before


def test_a_consultation_with_current_representatives(factory: Factory, operator: Account) -> None:
    first = representative(operator, recognised_at=in_days(-30)).json()
    second = representative(operator, "Data Workers Union", kind="union").json()
    held = consultation(operator, [second["id"], first["id"]], topic="terms")
    assert held.status_code == 201, held.text
    body = held.json()
    assert body["representative_ids"] == sorted([first["id"], second["id"]])
    assert (body["topic"], body["recorded_by_id"]) == ("terms", operator.user_id)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    older = consultation(operator, [first["id"]], held_on=yesterday)
    assert older.status_code == 201
    listed = factory.worker().get("/api/governance/consultations")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [body["id"], older.json()["id"]]
    assert listed.json()[1]["representative_ids"] == [first["id"]]


def test_bad_consultations_are_refused(factory: Factory, operator: Account) -> None:
    current = representative(operator, recognised_at=in_days(-30)).json()
    ended = representative(
        operator, "Old Association", recognised_at=in_days(-400), ended_at=in_days(-30)
    ).json()
    recent = representative(operator, "New Union").json()
    today = utcnow().date()
    before = state(factory.database)
    cases: list[tuple[dict[str, Any], str, Any]] = [
        ({"representative_ids": []}, "representative_ids", None),
        ({"representative_ids": [999_999]}, "representative_ids", 999_999),
        ({"representative_ids": [ended["id"]]}, "representative_ids", ended["id"]),
        ({"representative_ids": [current["id"], current["id"]]}, "representative_ids", None),
        (
            {
                "representative_ids": [recent["id"]],
                "held_on": (today - timedelta(days=3)).isoformat(),
            },
            "representative_ids",
            recent["id"],
        ),
        ({"held_on": (today + timedelta(days=1)).isoformat()}, "held_on", None),
        ({"held_on": "last tuesday"}, "held_on", None),
        ({"topic": "bonuses"}, "topic", None),
        ({"summary": " "}, "summary", None),
        ({"outcome": ""}, "outcome", None),
        ({"representative_ids": "all"}, "representative_ids", None),
    ]
    for change, field, value in cases:
        body: dict[str, Any] = {"representative_ids": [current["id"]], **change}
        response = consultation(operator, **body)
        assert response.status_code == 422, (change, response.text)
        error = response.json()["error"]
        assert error["field"] == field, (change, error)
        if value is not None:
            assert error["value"] == value, (change, error)
    assert state(factory.database) == before
