"""Pay test helpers: a paid project funded and activated through the API, floors and
exchange rates put straight in the tables, and a snapshot of every pay table."""

from datetime import date
from typing import Any

from sqlalchemy import func, select

from fairlabel.db import Database
from fairlabel.models import (
    ExchangeRate,
    LedgerBalance,
    LedgerEntry,
    PayFloor,
    Payout,
    Project,
)
from tests.factories import Account, Factory
from tests.queue.helpers import NOTE, SENTIMENT, add_items

GUIDELINES = "# Guidelines\n## Sarcasm\nSarcasm is negative."


def add_floor(database: Database, country: str, currency: str, hourly_minor: int) -> None:
    with database.session() as db:
        db.add(
            PayFloor(country=country, name=country, currency=currency, hourly_minor=hourly_minor)
        )


def add_rate(database: Database, currency: str, per_usd: float) -> None:
    with database.session() as db:
        db.add(ExchangeRate(currency=currency, per_usd=per_usd, as_of=date(2026, 1, 1)))


def paid_project(
    factory: Factory,
    *,
    items: int = 3,
    fund: int = 10_000,
    rates: dict[str, int] | None = None,
    **extra: Any,
) -> tuple[Account, dict[str, Any], list[int]]:
    """A draft project with pay, funded with `fund` cents, then activated."""
    owner, org_id = factory.owner()
    body = {"rates": rates or {"label": 50, "review": 20}, "estimated_seconds": 60, **extra}
    project = factory.project(
        owner, org_id, questions=[SENTIMENT, NOTE], status="draft", guidelines=GUIDELINES, **body
    )
    if fund:
        funded = owner.post(
            f"/api/projects/{project['id']}/funding",
            json={"amount_minor": fund, "currency": project["currency"]},
        )
        assert funded.status_code == 201, funded.text
    activated = owner.patch(f"/api/projects/{project['id']}", json={"status": "active"})
    assert activated.status_code == 200, activated.text
    return owner, activated.json(), add_items(factory.database, project["id"], items)


def pay_snapshot(database: Database) -> dict[str, Any]:
    """Everything money: entries, balances, payouts, floors, rates, and project pay."""
    with database.session(write=False) as db:
        return {
            "entries": db.scalar(select(func.count(LedgerEntry.id))),
            "balances": sorted(
                tuple(r)
                for r in db.execute(
                    select(
                        LedgerBalance.account, LedgerBalance.currency, LedgerBalance.balance_minor
                    )
                )
            ),
            "payouts": db.scalar(select(func.count(Payout.id))),
            "floors": sorted(
                tuple(r) for r in db.execute(select(PayFloor.country, PayFloor.hourly_minor))
            ),
            "projects": sorted(
                tuple(r)
                for r in db.execute(
                    select(Project.id, Project.status, Project.rates, Project.currency)
                )
            ),
        }


def balances(database: Database, worker_id: int) -> dict[str, int]:
    """A worker's pending, approved and paid, in USD."""
    with database.session(write=False) as db:
        rows = db.execute(
            select(LedgerBalance.account, LedgerBalance.balance_minor).where(
                LedgerBalance.account.like(f"worker:{worker_id}:%"),
                LedgerBalance.currency == "USD",
            )
        )
        found = {account.rsplit(":", 1)[1]: amount for account, amount in rows}
    return {state: found.get(state, 0) for state in ("pending", "approved", "paid")}


def budget(owner: Account, project_id: int) -> dict[str, Any]:
    response = owner.get(f"/api/projects/{project_id}/budget")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
