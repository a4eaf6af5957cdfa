"""Payouts on a schedule: the pay sweep runs one in each currency whose last run is
`payout_every_days` old and that has pay due, and workers see by when they will be paid."""

from datetime import datetime, timedelta

from fairlabel.config import Settings
from fairlabel.db import utcnow
from fairlabel.pay import jobs
from tests.factories import Factory
from tests.pay.helpers import balances, paid_project
from tests.pay.test_pay import labelled
from tests.web.helpers import sign_in


def every(settings: Settings, days: int) -> Settings:
    return settings.model_copy(update={"payout_every_days": days})


def test_the_sweep_pays_out_when_the_schedule_comes_round(
    factory: Factory, settings: Settings
) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    worker, _assignment = labelled(factory, project)  # approved at once: no review stage
    weekly = every(settings, 7)
    assert jobs.sweep(factory.database, weekly).payouts == 1  # never paid: due at once
    assert balances(factory.database, worker.user_id) == {"pending": 0, "approved": 0, "paid": 150}
    labelled(factory, project, worker=worker)
    assert jobs.sweep(factory.database, weekly).payouts == 0  # not a week yet
    operator = factory.user(operator=True)
    (first,) = operator.get("/api/payouts").json()
    usd = worker.get("/api/me/earnings").json()["totals"]["USD"]
    assert usd["approved_minor"] == 150
    promised = datetime.fromisoformat(usd["next_payout_by"])
    assert promised == datetime.fromisoformat(first["created_at"]) + timedelta(days=7)
    swept = jobs.sweep(factory.database, weekly, now=promised)
    assert swept.payouts == 1
    assert balances(factory.database, worker.user_id)["paid"] == 300
    assert [run["total_minor"] for run in operator.get("/api/payouts").json()] == [150, 150]
    sign_in(factory.client, operator.email)
    page = factory.client.get("/pay/payouts").text
    assert "The schedule runs one by itself in each currency with pay due every 7 days" in page
    assert page.count("<td>schedule</td>") == 2


def test_nothing_runs_below_the_minimum_or_when_payouts_are_by_hand(
    factory: Factory, settings: Settings
) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 60})
    worker, _assignment = labelled(factory, project)  # 60 approved: under the 100 minimum
    later = utcnow() + timedelta(days=30)
    assert jobs.sweep(factory.database, every(settings, 7), now=later).payouts == 0
    labelled(factory, project, worker=worker)  # 120 approved
    assert jobs.sweep(factory.database, every(settings, 0), now=later).payouts == 0
    assert balances(factory.database, worker.user_id)["approved"] == 120
    assert worker.get("/api/me/earnings").json()["totals"]["USD"]["next_payout_by"] is not None


def test_the_earnings_page_says_by_when_pay_comes(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    worker, _assignment = labelled(factory, project)
    sign_in(factory.client, worker.email)
    days = {utcnow().strftime("%Y-%m-%d")}  # never paid: due now (the day may turn meanwhile)
    page = factory.client.get("/earnings").text
    days.add(utcnow().strftime("%Y-%m-%d"))
    assert any(f"Next payout: by {day} (every 7 days)" in page for day in days), page
    assert "when it comes to at least 1.00 USD" in page
