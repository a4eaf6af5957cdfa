"""Payout batches for the operator's payouts page: what a run would pay now per currency,
the past runs, and a past run's batch rebuilt from its ledger entries.

Nothing stores a batch when it is handed out; the ledger keeps every paid leg with its
payout id and is append-only, so the batch rebuilt from it is the one the run answered,
line for line; only the payout reference is the worker's current one."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from fairlabel.errors import NotFound
from fairlabel.models import EntryKind, Payout
from fairlabel.pay.ledger import BALANCES, ENTRIES, worker_of
from fairlabel.pay.payouts import PayoutLine, batch_rows, payees
from fairlabel.pay.schemas import PayoutBatchOut, PayoutLineOut, PayoutOut

APPROVED_ACCOUNTS = "worker:%:approved"


class Due(NamedTuple):
    """What a payout run in one currency would pay now."""

    currency: str
    workers: int
    total_minor: int


DUE_BY_CURRENCY = (
    select(BALANCES.c.currency, func.count(), func.sum(BALANCES.c.balance_minor))
    .where(
        BALANCES.c.account.like(APPROVED_ACCOUNTS),
        BALANCES.c.balance_minor >= bindparam("p_minimum"),
    )
    .group_by(BALANCES.c.currency)
    .order_by(BALANCES.c.currency)
)


def due_now(db: Session, minimum: int) -> list[Due]:
    """Per currency, the approved balances of at least `minimum`: the same balances
    `payouts.due_lines` pays, counted without naming anyone."""
    rows = db.execute(DUE_BY_CURRENCY, {"p_minimum": minimum}).all()
    return [Due(currency, workers, int(total)) for currency, workers, total in rows]


def recent(db: Session, limit: int = 50) -> Sequence[Payout]:
    """Past payout runs, newest first."""
    return db.scalars(select(Payout).order_by(Payout.id.desc()).limit(limit)).all()


def get_payout(db: Session, payout_id: int) -> Payout:
    payout = db.get(Payout, payout_id)
    if payout is None:
        raise NotFound(
            "no such payout", field="payout_id", value=payout_id, expected="a past payout's id"
        )
    return payout


def _paid_legs() -> Select[Any]:
    """A payout's debits of approved accounts, each with how many credits it paid: those
    since the account's previous payout, as `payouts.due_lines` counted them at the run."""
    leg, credit, earlier = ENTRIES.alias("leg"), ENTRIES.alias("credit"), ENTRIES.alias("earlier")
    previous_payout = (
        select(func.coalesce(func.max(earlier.c.id), 0))
        .where(
            earlier.c.account == leg.c.account,
            earlier.c.currency == leg.c.currency,
            earlier.c.kind == EntryKind.paid,
            earlier.c.id < leg.c.id,
        )
        .correlate(leg)  # two levels down: not correlated by itself
        .scalar_subquery()
    )
    credits = (
        select(func.count())
        .where(
            credit.c.account == leg.c.account,
            credit.c.currency == leg.c.currency,
            credit.c.amount_minor > 0,
            credit.c.id > previous_payout,
            credit.c.id < leg.c.id,
        )
        .scalar_subquery()
    )
    return (
        select(leg.c.account, leg.c.currency, leg.c.amount_minor, credits.label("entries"))
        .where(
            leg.c.payout_id == bindparam("p_payout"),
            leg.c.kind == EntryKind.paid,
            leg.c.account.like(APPROVED_ACCOUNTS),
        )
        .order_by(leg.c.account)
    )


PAID_LEGS = _paid_legs()


def lines_of(db: Session, payout: Payout) -> list[PayoutLine]:
    """The batch of a past payout, in the order the run wrote it."""
    rows = db.execute(PAID_LEGS, {"p_payout": payout.id}).all()
    ids = [worker_of(row.account) for row in rows]
    found = payees(db, ids)
    return [
        PayoutLine(worker_id, *found[worker_id], -row.amount_minor, row.currency, row.entries)
        for worker_id, row in zip(ids, rows, strict=True)
    ]


def batch_out(payout: Payout, lines: Sequence[PayoutLine]) -> PayoutBatchOut:
    """The batch as the API's payout run answers it in JSON."""
    return PayoutBatchOut(
        payout=PayoutOut.model_validate(payout),
        lines=[PayoutLineOut(**row) for row in batch_rows(payout, lines)],
    )
