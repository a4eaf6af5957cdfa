"""Pay through the real API: activation against floors and funding, pay earned on submit
and approved on any verdict or after the deadline, budgets, bonuses, payouts, earnings,
and bad input refused with nothing changed."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from fairlabel.db import utcnow
from fairlabel.errors import Conflict
from fairlabel.models import Assignment, AuditEvent, Item, LedgerEntry, Project
from fairlabel.pay import payouts, service, topups
from tests.factories import Factory
from tests.pay.helpers import (
    add_floor,
    add_rate,
    balances,
    budget,
    paid_project,
    pay_snapshot,
)
from tests.queue.helpers import SENTIMENT, lease, next_task, submit
from tests.review.test_review import REJECT, review_task, verdict
from tests.web.helpers import sign_in


def labelled(
    factory: Factory, project: dict[str, Any], time_ms: int = 30_000, worker: Any = None
) -> Any:
    worker = worker or factory.worker()
    assignment = lease(worker, project["id"])
    assert submit(worker, assignment["id"], time_spent_ms=time_ms).status_code == 201
    return worker, assignment


# --- activation ---------------------------------------------------------------------------


def test_activation_needs_funding_and_pay_at_the_floor(factory: Factory) -> None:
    add_floor(factory.database, "KE", "KES", 7151)
    add_floor(factory.database, "US", "USD", 725)
    add_rate(factory.database, "KES", 129.0)
    owner, org_id = factory.owner()
    body = {"questions": [SENTIMENT], "status": "draft", "rates": {"label": 5}}
    project = factory.project(owner, org_id, estimated_seconds=60, **body)
    url = f"/api/projects/{project['id']}"
    before = pay_snapshot(factory.database)
    refused = owner.patch(url, json={"status": "active"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    failing = {d["country"]: d for d in error["details"] if "country" in d}
    assert set(failing) == {"US"}  # 5 cents a minute is $3/h: above KES 71.51 (55 cents)
    assert failing["US"]["floor_in_project_currency"] == 725
    assert failing["US"]["project_hourly_minor"] == 300
    assert "budget is unfunded" in error["message"]
    assert pay_snapshot(factory.database) == before
    assert owner.patch(url, json={"rates": {"label": 15}}).status_code == 200
    funded = owner.post(f"{url}/funding", json={"amount_minor": 15, "currency": "USD"})
    assert funded.status_code == 201
    assert owner.patch(url, json={"status": "active"}).status_code == 200


def test_a_floor_in_a_currency_without_a_rate_is_a_clear_422(factory: Factory) -> None:
    add_floor(factory.database, "PH", "PHP", 8688)
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, status="draft", rates={"label": 100})
    refused = owner.patch(f"/api/projects/{project['id']}", json={"status": "active"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["value"] == "PHP" and "exchange-rates/PHP" in error["expected"]


def test_only_the_countries_a_project_is_open_to_count(factory: Factory) -> None:
    add_floor(factory.database, "GB", "GBP", 1271)
    add_floor(factory.database, "KE", "KES", 7151)
    add_rate(factory.database, "KES", 129.0)
    with factory.database.session() as db:
        db.add(Project(organization_id=factory.organization(), name="x"))
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, status="draft", rates={"label": 2})
    with factory.database.session() as db:  # open to Kenya only: 2 cents a minute is KES 155/h
        db.execute(
            update(Project)
            .where(Project.id == project["id"])
            .values(eligibility={"countries": ["KE"]})
        )
    owner.post(
        f"/api/projects/{project['id']}/funding", json={"amount_minor": 10, "currency": "USD"}
    )
    assert (
        owner.patch(f"/api/projects/{project['id']}", json={"status": "active"}).status_code == 200
    )


def test_workers_see_the_pay_before_accepting_and_the_lease_locks_it(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 40})
    worker = factory.worker()
    seen = worker.get(f"/api/projects/{project['id']}").json()["pay"]
    assert seen == {
        "currency": "USD",
        "basis": "item",
        "rate_minor": 40,
        "rates": {"label": 40},
        "estimated_seconds": 60,
        "effective_hourly_minor": 2400,
        "review_deadline_hours": 72,
    }
    assignment = lease(worker, project["id"])
    assert (assignment["rate_minor"], assignment["currency"]) == (40, "USD")


# --- funding and budget -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"amount_minor": 100, "currency": "EUR"},
        {"amount_minor": -100, "currency": "USD"},
        {"amount_minor": 0, "currency": "USD"},
        {"amount_minor": 100, "currency": "usd"},
    ],
)
def test_bad_funding_is_refused_and_changes_nothing(factory: Factory, body: dict[str, Any]) -> None:
    owner, project, _items = paid_project(factory)
    before = pay_snapshot(factory.database)
    response = owner.post(f"/api/projects/{project['id']}/funding", json=body)
    assert response.status_code == 422, response.text
    assert pay_snapshot(factory.database) == before


def test_only_managers_fund_and_members_see_the_budget(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=500)
    worker = factory.worker()
    url = f"/api/projects/{project['id']}"
    assert (
        worker.post(f"{url}/funding", json={"amount_minor": 1, "currency": "USD"}).status_code
        == 404
    )
    assert worker.get(f"{url}/budget").status_code == 404
    assert budget(owner, project["id"])["balance_minor"] == 500


def test_a_spent_budget_stops_new_work_until_funded(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=50, rates={"label": 50})
    first = factory.worker()
    lease(first, project["id"])
    assert budget(owner, project["id"])["available_minor"] == 0
    refused = next_task(factory.worker(), project["id"])
    assert refused == {**refused, "assignment": None, "reason": "budget_exhausted"}
    owner.post(
        f"/api/projects/{project['id']}/funding", json={"amount_minor": 50, "currency": "USD"}
    )
    assert next_task(factory.worker(), project["id"])["assignment"] is not None


def test_rework_the_budget_cannot_pay_for_goes_back_to_the_queue(factory: Factory) -> None:
    owner, project, (item_id, _other) = paid_project(
        factory,
        items=2,
        fund=70,
        rates={"label": 50, "review": 20},
        workflow=[{"stage": "review"}],
    )
    worker, reviewer = factory.worker(), factory.worker()
    assert submit(worker, lease(worker, project["id"])["id"]).status_code == 201
    rejected = verdict(reviewer, review_task(reviewer, project["id"]), **REJECT).json()
    assert rejected["rework_assignment_id"] is None
    assert budget(owner, project["id"])["available_minor"] == 0
    with factory.database.session(write=False) as db:
        taken = db.scalar(select(Item.taken).where(Item.id == item_id))
    assert taken == 0  # the place is back on the queue, held there by the budget rule


# --- earning and approval -----------------------------------------------------------------


def test_work_no_review_samples_is_approved_on_submit(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=1000)
    worker, _assignment = labelled(factory, project)
    assert balances(factory.database, worker.user_id) == {"pending": 0, "approved": 50, "paid": 0}
    assert budget(owner, project["id"])["balance_minor"] == 950


def test_a_rejection_keeps_the_pay_and_the_reviewer_is_paid(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, workflow=[{"stage": "review"}])
    worker, _assignment = labelled(factory, project)
    assert balances(factory.database, worker.user_id)["pending"] == 50
    reviewer = factory.worker()
    task = review_task(reviewer, project["id"])
    assert task["assignment"]["rate_minor"] == 20
    assert verdict(reviewer, task, **REJECT).status_code == 201
    assert balances(factory.database, worker.user_id) == {"pending": 0, "approved": 50, "paid": 0}
    assert balances(factory.database, reviewer.user_id)["approved"] == 20
    page = worker.get("/api/me/earnings").json()
    approval = page["entries"][0]
    assert approval["kind"] == "approved" and approval["verdict"] == "reject"
    assert "pay for work done is kept" in approval["memo"]
    assert page["entries"][1]["kind"] == "earned"
    assert page["entries"][1]["item_external_id"].startswith("ext-")


def test_unreviewed_pay_is_approved_after_the_deadline_once(factory: Factory) -> None:
    _owner, project, _items = paid_project(
        factory, workflow=[{"stage": "review"}], review_deadline_hours=24
    )
    worker, assignment = labelled(factory, project)
    with factory.database.session() as db:
        assert service.approve_due(db) == 0
        assert service.approve_due(db, utcnow() + timedelta(hours=25)) == 1
        assert service.approve_due(db, utcnow() + timedelta(hours=26)) == 0
        service.approve_work(db, assignment["id"], actor_id=None, reason="appeal upheld")
    assert balances(factory.database, worker.user_id)["approved"] == 50
    memo = worker.get("/api/me/earnings").json()["entries"][0]["memo"]
    assert "review deadline (24 h)" in memo


def test_approve_work_and_fraud_reversal(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, workflow=[{"stage": "review"}])
    worker, assignment = labelled(factory, project)
    with factory.database.session() as db:
        service.approve_work(db, assignment["id"], actor_id=None, reason="appeal upheld")
        service.approve_work(db, assignment["id"], actor_id=None, reason="again")
    assert balances(factory.database, worker.user_id)["approved"] == 50
    with factory.database.session() as db:
        service.reverse_for_fraud(db, assignment["id"], 1, worker.user_id)
        service.reverse_for_fraud(db, assignment["id"], 1, worker.user_id)
    assert balances(factory.database, worker.user_id)["approved"] == 0
    entry = worker.get("/api/me/earnings").json()["entries"][0]
    assert entry["kind"] == "reversal" and entry["amount_minor"] == -50


def test_pay_per_hour_is_for_the_time_spent(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 3600}, pay_basis="hour")
    worker = factory.worker()
    assignment = lease(worker, project["id"])
    with factory.database.session() as db:  # held for two minutes so far
        db.execute(
            update(Assignment)
            .where(Assignment.id == assignment["id"])
            .values(leased_at=utcnow() - timedelta(minutes=2))
        )
    assert submit(worker, assignment["id"], time_spent_ms=90_000).status_code == 201
    assert balances(factory.database, worker.user_id)["approved"] == 90


def test_bonuses_carry_a_reason_and_never_exceed_the_budget(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=100)
    worker, _assignment = labelled(factory, project)
    url = f"/api/projects/{project['id']}/bonuses"
    given = owner.post(
        url, json={"worker_id": worker.user_id, "amount_minor": 30, "reason": "Great"}
    )
    assert given.status_code == 204
    assert worker.get("/api/me/earnings").json()["entries"][0]["memo"] == "Great"
    before = pay_snapshot(factory.database)
    too_much = owner.post(
        url, json={"worker_id": worker.user_id, "amount_minor": 21, "reason": "x"}
    )
    assert too_much.status_code == 409
    stranger = owner.post(url, json={"worker_id": owner.user_id, "amount_minor": 1, "reason": "x"})
    assert stranger.status_code == 422
    assert pay_snapshot(factory.database) == before


# --- the floor in operation ---------------------------------------------------------------


def test_measured_time_below_the_floor_raises_the_rate_and_tops_up(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The submit hook checks on every 50th assignment id; PostgreSQL's ids run on across
    # tests, so it is turned off here to check enforce_floor itself (the hook has its own test).
    monkeypatch.setattr(topups, "FLOOR_CHECK_EVERY", 10**9)
    add_floor(factory.database, "US", "USD", 725)
    _owner, project, _items = paid_project(factory, items=21, fund=10_000, rates={"label": 15})
    workers = [labelled(factory, project, time_ms=180_000) for _ in range(20)]  # 3 min each
    with factory.database.session() as db:
        assert topups.enforce_floor(db, db.get_one(Project, project["id"])) == 37
        assert topups.enforce_floor(db, db.get_one(Project, project["id"])) is None
    assert balances(factory.database, workers[0][0].user_id)["approved"] == 37
    entry = workers[0][0].get("/api/me/earnings").json()["entries"][0]
    assert entry["kind"] == "top_up" and "raised from 15 to 37" in entry["memo"]
    assert next_task(factory.worker(), project["id"])["assignment"]["rate_minor"] == 37
    with factory.database.session(write=False) as db:
        raised = db.execute(
            select(AuditEvent.kind, AuditEvent.data).where(AuditEvent.worker_id.is_(None))
        ).all()
    assert [(kind, data["from"], data["to"]) for kind, data in raised] == [
        ("pay_rate_raised", 15, 37)
    ]
    # Each worker is told in their own audit trail, with what their past work was topped up by.
    told = workers[0][0].get("/api/me/audit").json()["events"]
    assert [(e["kind"], e["data"]["to"], e["data"]["topped_up_minor"]) for e in told] == [
        ("pay_rate_raised", 37, 22)
    ]
    assert told[0]["summary"].startswith("Pay rate raised to meet the pay floor. The pay per item")
    assert "went from 0.15 USD to 0.37 USD" in told[0]["summary"]
    assert "topped up by 0.22 USD" in told[0]["summary"]


def test_the_submit_hook_raises_the_rate_on_its_own(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topups, "FLOOR_CHECK_EVERY", 1)  # every submission checks
    add_floor(factory.database, "US", "USD", 725)
    _owner, project, _items = paid_project(factory, items=21, fund=10_000, rates={"label": 15})
    workers = [labelled(factory, project, time_ms=180_000) for _ in range(20)]
    with factory.database.session(write=False) as db:
        assert db.get_one(Project, project["id"]).rates["label"] == 37
    assert balances(factory.database, workers[0][0].user_id)["approved"] == 37


# --- payouts ------------------------------------------------------------------------------


def test_a_payout_pays_approved_balances_above_the_minimum(factory: Factory) -> None:
    operator = factory.user(operator=True)
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    worker, _assignment = labelled(factory, project)
    response = operator.post("/api/payouts", params={"currency": "USD", "format": "csv"})
    assert response.status_code == 201, response.text
    header, line = response.text.strip().splitlines()
    assert header == "payout_id,worker,payout_reference,amount,amount_minor,currency,entries"
    assert line.endswith(",,1.50,150,USD,1")
    assert balances(factory.database, worker.user_id) == {"pending": 0, "approved": 0, "paid": 150}
    profile = {"country": "KE", "payout_reference": "M-PESA +254 700 000 000"}
    assert worker.put("/api/me/profile", json=profile).json()["payout_reference"] == (
        "M-PESA +254 700 000 000"
    )
    labelled(factory, project, worker=worker)
    batch = operator.post("/api/payouts", params={"currency": "USD"}).json()
    assert [line["payout_reference"] for line in batch["lines"]] == ["M-PESA +254 700 000 000"]
    again = operator.post("/api/payouts", params={"currency": "USD"}).json()
    assert again["lines"] == [] and again["payout"]["total_minor"] == 0
    usd = worker.get("/api/me/earnings").json()["totals"]["USD"]
    assert (usd["pending_minor"], usd["approved_minor"], usd["paid_minor"]) == (0, 0, 300)


def test_a_payout_that_would_overdraw_is_refused_whole(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    worker, _assignment = labelled(factory, project)
    before = pay_snapshot(factory.database)
    line = payouts.PayoutLine(worker.user_id, "w", None, 151, "USD", 1)
    with pytest.raises(Conflict), factory.database.session() as db:
        payouts.pay_out(db, "USD", [line], None)
    assert pay_snapshot(factory.database) == before


def test_only_operators_run_payouts(factory: Factory) -> None:
    owner, _project, _items = paid_project(factory)
    assert owner.post("/api/payouts", params={"currency": "USD"}).status_code == 403
    assert owner.get("/api/payouts").status_code == 403


def test_a_past_batch_comes_back_line_for_line(factory: Factory) -> None:
    operator = factory.user(operator=True)
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    labelled(factory, project)
    labelled(factory, project)
    ran = operator.post("/api/payouts", params={"currency": "USD", "format": "csv"})
    (listed,) = operator.get("/api/payouts").json()
    again = operator.get(f"/api/payouts/{listed['id']}", params={"format": "csv"})
    assert again.status_code == 200 and again.text == ran.text
    as_json = operator.get(f"/api/payouts/{listed['id']}").json()
    assert sum(line["amount_minor"] for line in as_json["lines"]) == 300
    assert operator.get("/api/payouts/999999").status_code == 404


# --- earnings and the ledger's guarantees -------------------------------------------------


def test_a_worker_reads_only_their_own_earnings(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory)
    worker, _assignment = labelled(factory, project)
    other = factory.worker()
    assert other.get(f"/api/workers/{worker.user_id}/earnings").status_code == 404
    assert other.get("/api/me/earnings").json() == {"totals": {}, "entries": [], "older": None}
    own = worker.get(f"/api/workers/{worker.user_id}/earnings")
    assert own.status_code == 200 and own.json()["totals"]["USD"]["approved_minor"] == 50


def test_earnings_are_paged_by_entry(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, items=3)
    worker = factory.worker()
    for _ in range(3):
        assert submit(worker, lease(worker, project["id"])["id"]).status_code == 201
    first = worker.get("/api/me/earnings", params={"limit": 4}).json()
    rest = worker.get("/api/me/earnings", params={"before": first["older"]}).json()
    assert len(first["entries"]) == 4 and len(rest["entries"]) == 2 and rest["older"] is None


def test_the_database_refuses_to_change_a_ledger_entry(factory: Factory) -> None:
    paid_project(factory)
    before = pay_snapshot(factory.database)
    refused = pytest.raises(DBAPIError, match="never updated or deleted")
    for statement in (update(LedgerEntry).values(amount_minor=1), delete(LedgerEntry)):
        with refused, factory.database.session() as db:
            db.execute(statement)
    with pytest.raises(DBAPIError), factory.database.session() as db:
        entry = db.scalars(select(LedgerEntry)).first()
        assert entry is not None
        entry.memo = "changed"
    assert pay_snapshot(factory.database) == before


def test_the_earnings_page_shows_totals_and_entries(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory)
    worker, _assignment = labelled(factory, project)
    sign_in(factory.client, worker.email)
    page = factory.client.get("/earnings")
    assert page.status_code == 200
    assert "0.50" in page.text and project["name"] in page.text


def test_the_operator_edits_floors_and_reloads_the_shipped_ones(factory: Factory) -> None:
    operator = factory.user(operator=True)
    worker = factory.worker()
    body = {"name": "Kenya", "currency": "KES", "hourly_minor": 8000}
    assert worker.put("/api/pay/floors/KE", json=body).status_code == 403
    assert operator.put("/api/pay/floors/KE", json=body).json()["hourly_minor"] == 8000
    assert operator.put("/api/pay/floors/kenya", json=body).status_code == 422
    reloaded = operator.post("/api/pay/floors/reload").json()["floors"]
    floors = {f["country"]: f for f in worker.get("/api/pay/floors").json()}
    assert len(floors) == reloaded > 30
    assert floors["KE"]["hourly_minor"] == 7151 and floors["VN"]["hourly_minor"] == 25500
    rate = {"per_usd": 129.5, "as_of": "2026-01-01", "source": "central bank"}
    assert operator.put("/api/pay/exchange-rates/KES", json=rate).status_code == 200


def test_the_home_page_shows_the_pay_before_accepting(factory: Factory) -> None:
    paid_project(factory, rates={"label": 30})
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    page = factory.client.get("/").text
    assert "0.30 USD per item, about 60 s each: 18.00 USD an hour" in page
