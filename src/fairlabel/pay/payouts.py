"""Payout runs: every approved balance of at least the deployment's minimum, in one
currency, moves to paid as one transaction under one Payout row, and the batch (worker
pseudonym, payout reference, amount, entry count) goes to the operator's payment provider.

The run first approves what is past its review deadline. Each paid leg refuses to leave an
approved balance below zero: a run that would is refused whole, nothing changed."""

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from fairlabel.models import EntryKind, Payout, User, Worker
from fairlabel.pay import floors, service, topups
from fairlabel.pay.ledger import (
    APPROVED,
    BALANCES,
    ENTRIES,
    PAID,
    post,
    transfer,
    worker_account,
    worker_of,
)


class PayoutLine(NamedTuple):
    """One worker's payment in a batch."""

    worker_id: int
    pseudonym: str
    payout_reference: str | None
    amount_minor: int
    currency: str
    entries: int


def _due_balances() -> Select[Any]:
    """Approved balances at or above the minimum, with how many credits each pays: those
    since the worker's last payout (one index range per worker)."""
    credits, paid = ENTRIES.alias("credits"), ENTRIES.alias("last_paid")
    same_account = (BALANCES.c.account, BALANCES.c.currency)
    last_paid = (
        select(func.coalesce(func.max(paid.c.id), 0))
        .where(
            paid.c.account == same_account[0],
            paid.c.currency == same_account[1],
            paid.c.kind == EntryKind.paid,
        )
        .scalar_subquery()
    )
    count = (
        select(func.count())
        .where(
            credits.c.account == same_account[0],
            credits.c.currency == same_account[1],
            credits.c.amount_minor > 0,
            credits.c.id > last_paid,
        )
        .scalar_subquery()
    )
    return (
        select(BALANCES.c.account, BALANCES.c.balance_minor, count.label("entries"))
        .where(
            BALANCES.c.currency == bindparam("p_currency"),
            BALANCES.c.account.like("worker:%:approved"),
            BALANCES.c.balance_minor >= bindparam("p_minimum"),
        )
        .order_by(BALANCES.c.account)
    )


DUE_BALANCES = _due_balances()
PAYEES = (
    select(User.id, User.pseudonym, Worker.payout_reference)
    .outerjoin(Worker, Worker.user_id == User.id)
    .where(User.id.in_(bindparam("p_ids", expanding=True)))
)


def payees(db: Session, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Each worker's pseudonym and payout reference, for the lines of a batch."""
    if not ids:
        return {}
    return {
        row.id: (row.pseudonym, row.payout_reference) for row in db.execute(PAYEES, {"p_ids": ids})
    }


def due_lines(db: Session, currency: str, minimum: int) -> list[PayoutLine]:
    """What a run would pay now, worker by worker."""
    rows = db.execute(DUE_BALANCES, {"p_currency": currency, "p_minimum": minimum}).all()
    ids = [worker_of(row.account) for row in rows]
    found = payees(db, ids)
    return [
        PayoutLine(worker_id, *found[worker_id], row.balance_minor, currency, row.entries)
        for worker_id, row in zip(ids, rows, strict=True)
    ]


def run_payout(
    db: Session, currency: str, *, minimum: int, actor_id: int | None
) -> tuple[Payout, list[PayoutLine]]:
    """Top up what the floors require and approve what is due, then pay every approved
    balance of at least `minimum`."""
    topups.enforce_all(db)
    service.approve_due(db)
    lines = due_lines(db, currency, minimum)
    return pay_out(db, currency, lines, actor_id), lines


def pay_out(
    db: Session, currency: str, lines: Sequence[PayoutLine], actor_id: int | None
) -> Payout:
    """One Payout and one transaction moving each line from approved to paid."""
    payout = Payout(
        currency=currency,
        workers=len(lines),
        entries=sum(line.entries for line in lines),
        total_minor=sum(line.amount_minor for line in lines),
        created_by_id=actor_id,
    )
    db.add(payout)
    db.flush()
    legs = [
        leg
        for line in lines
        for leg in transfer(
            worker_account(line.worker_id, APPROVED),
            worker_account(line.worker_id, PAID),
            currency,
            line.amount_minor,
            EntryKind.paid,
            worker_id=line.worker_id,
            payout_id=payout.id,
            memo=f"payout {payout.id}",
            no_overdraft=True,
        )
    ]
    if legs:
        post(db, legs, created_by_id=actor_id)
    return payout


# --- the schedule ---------------------------------------------------------------------------

DUE_CURRENCIES = (
    select(BALANCES.c.currency)
    .where(
        BALANCES.c.account.like("worker:%:approved"),
        BALANCES.c.balance_minor >= bindparam("p_minimum"),
    )
    .distinct()
)


def last_run_at(db: Session, currency: str) -> datetime | None:
    """The newest run's time (read through the column's type: a MAX() is not, on SQLite)."""
    newest = select(Payout.created_at).where(Payout.currency == currency)
    return db.scalar(newest.order_by(Payout.id.desc()).limit(1))


def next_run_by(db: Session, currency: str, every_days: int, now: datetime) -> datetime | None:
    """The latest the schedule pays this currency next (the first sweep from then on); None
    when payouts are run by hand only."""
    if every_days <= 0:
        return None
    last = last_run_at(db, currency)
    return now if last is None else max(now, last + timedelta(days=every_days))


def run_scheduled(db: Session, *, every_days: int, minimum: int, now: datetime) -> list[Payout]:
    """What the sweep promises workers: a run in every currency with pay due whose last run
    is `every_days` old (or that never had one). The batches wait for the operator to send.
    The sweep has just topped up and approved what was due, so unlike `run_payout` this
    does not do it again for each currency."""
    currencies = sorted(db.scalars(DUE_CURRENCIES, {"p_minimum": minimum}))
    return [
        pay_out(db, currency, due_lines(db, currency, minimum), actor_id=None)
        for currency in currencies
        if next_run_by(db, currency, every_days, now) == now
    ]


# --- the batch for the payment provider ---------------------------------------------------

BATCH_COLUMNS = (
    "payout_id",
    "worker",
    "payout_reference",
    "amount",
    "amount_minor",
    "currency",
    "entries",
)


def batch_rows(payout: Payout, lines: Sequence[PayoutLine]) -> list[dict[str, Any]]:
    return [
        {
            "payout_id": payout.id,
            "worker": line.pseudonym,
            "payout_reference": line.payout_reference,
            "amount": floors.major_units(line.amount_minor, line.currency),
            "amount_minor": line.amount_minor,
            "currency": line.currency,
            "entries": line.entries,
        }
        for line in lines
    ]


def batch_csv(payout: Payout, lines: Sequence[PayoutLine]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, BATCH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(batch_rows(payout, lines))
    return out.getvalue()
