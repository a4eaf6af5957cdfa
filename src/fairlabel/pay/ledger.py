"""The double-entry ledger: every movement of money is a transaction of legs that sum to
zero per currency, appended to `ledger_entries` (never updated or deleted) with the kept
balances of its accounts upserted in the same database transaction.

Accounts (one balance per account and currency):

- `client:{org_id}:funding`: where a client's money comes from; it goes negative by what
  the client has put in (the one account outside the platform).
- `project:{id}:budget`: the escrow of a project, funded before work is published; earned
  pay, bonuses and top-ups are drawn from it.
- `worker:{id}:pending`: earned on submit, waiting for a verdict or the review deadline.
- `worker:{id}:approved`: owed to the worker, waiting for the next payout run.
- `worker:{id}:paid`: what payout runs have handed to the payment provider.

A worker leg carries `worker_id`; the leg the worker is shown (where money arrives, or a
reversal's debit) is the one with a positive amount or kind `reversal`."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Executable, Table, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import Conflict
from fairlabel.models import EntryKind, LedgerBalance, LedgerEntry

ENTRIES = cast(Table, LedgerEntry.__table__)
BALANCES = cast(Table, LedgerBalance.__table__)


def budget_account(project_id: int) -> str:
    return f"project:{project_id}:budget"


def funding_account(organization_id: int) -> str:
    return f"client:{organization_id}:funding"


def worker_account(worker_id: int, state: str) -> str:
    """`state` is pending, approved or paid."""
    return f"worker:{worker_id}:{state}"


def worker_of(account: str) -> int:
    """The worker id in a `worker:{id}:…` account name."""
    return int(account.split(":")[1])


@dataclass(frozen=True, slots=True)
class Leg:
    """One entry of a transaction; `no_overdraft` refuses the transaction if this leg
    leaves its account below zero (payouts, refunds)."""

    account: str
    currency: str
    amount_minor: int
    kind: EntryKind
    project_id: int | None = None
    worker_id: int | None = None
    assignment_id: int | None = None
    review_id: int | None = None
    payout_id: int | None = None
    attempt_id: int | None = None
    memo: str = ""
    no_overdraft: bool = field(default=False, compare=False)


def transfer(
    source: str, target: str, currency: str, amount: int, kind: EntryKind, **refs: Any
) -> list[Leg]:
    """Two legs moving `amount` from `source` to `target`; a worker account's leg (and only
    that one) names the worker, so a worker's entries are their own accounts' entries."""
    worker_id = refs.pop("worker_id", None)
    no_overdraft = refs.pop("no_overdraft", False)
    return [
        Leg(
            source,
            currency,
            -amount,
            kind,
            worker_id=worker_id if source.startswith("worker:") else None,
            no_overdraft=no_overdraft,
            **refs,
        ),
        Leg(
            target,
            currency,
            amount,
            kind,
            worker_id=worker_id if target.startswith("worker:") else None,
            **refs,
        ),
    ]


PENDING, APPROVED, PAID, BUDGET = "pending", "approved", "paid", "budget"


class Payee(NamedTuple):
    """Whose pay, from which project's budget, in which currency, for which work: an
    assignment, or a qualification-test attempt."""

    worker_id: int
    project_id: int
    currency: str
    assignment_id: int | None = None
    attempt_id: int | None = None


def move(
    payee: Payee,
    source: str,
    target: str,
    amount: int,
    kind: EntryKind,
    memo: str,
    review_id: int | None = None,
    *,
    no_overdraft: bool = False,
) -> list[Leg]:
    """Legs of one payment to or between a worker's accounts; `source` and `target` are a
    worker account state (pending, approved, paid) or "budget"."""
    return transfer(
        _payee_account(payee, source),
        _payee_account(payee, target),
        payee.currency,
        amount,
        kind,
        project_id=payee.project_id,
        worker_id=payee.worker_id,
        assignment_id=payee.assignment_id,
        attempt_id=payee.attempt_id,
        review_id=review_id,
        memo=memo,
        no_overdraft=no_overdraft,
    )


def _payee_account(payee: Payee, state: str) -> str:
    if state == BUDGET:
        return budget_account(payee.project_id)
    return worker_account(payee.worker_id, state)


class Unbalanced(ValueError):
    """A programming error: the legs of a transaction must sum to zero per currency."""


def _check_balanced(legs: Sequence[Leg]) -> dict[tuple[str, str], int]:
    """The change to each (account, currency), after checking the legs sum to zero."""
    totals: dict[str, int] = defaultdict(int)
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for leg in legs:
        totals[leg.currency] += leg.amount_minor
        deltas[(leg.account, leg.currency)] += leg.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced or not legs:
        raise Unbalanced(f"a transaction's legs must sum to zero per currency: {unbalanced}")
    return deltas


def _balance_upsert(dialect_insert: Any) -> Any:
    statement = dialect_insert(BALANCES).values(
        account=bindparam("account"),
        currency=bindparam("currency"),
        balance_minor=bindparam("delta"),
        updated_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=[BALANCES.c.account, BALANCES.c.currency],
        set_={
            "balance_minor": BALANCES.c.balance_minor + statement.excluded.balance_minor,
            "updated_at": statement.excluded.updated_at,
        },
    )


ADD_TO_BALANCE = {
    "postgresql": _balance_upsert(postgresql.insert),
    "sqlite": _balance_upsert(sqlite.insert),
}
NEXT_TXN: dict[str, Executable] = {
    "postgresql": text("SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id'))"),
    "sqlite": select(func.coalesce(func.max(ENTRIES.c.id), 0) + 1),
}
BALANCE = select(BALANCES.c.balance_minor).where(
    BALANCES.c.account == bindparam("account"), BALANCES.c.currency == bindparam("currency")
)


def dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def post(
    db: Session,
    legs: Sequence[Leg],
    *,
    created_by_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Append one balanced transaction and move its accounts' balances; answers its txn id.
    A `no_overdraft` leg that ends below zero raises Conflict: the caller's transaction
    rolls back, so nothing is changed."""
    deltas = _check_balanced(legs)
    now = now or utcnow()
    conn = db.connection()
    txn_id = int(conn.execute(NEXT_TXN[dialect(db)]).scalar_one())
    rows = [_entry_row(leg, txn_id, created_by_id, now) for leg in legs]
    conn.execute(insert(ENTRIES), rows)
    changes = [
        {"account": account, "currency": currency, "delta": delta, "now": now}
        for (account, currency), delta in sorted(deltas.items())  # one lock order: no deadlock
    ]
    conn.execute(ADD_TO_BALANCE[dialect(db)], changes)
    _refuse_overdraft(db, [leg for leg in legs if leg.no_overdraft])
    return txn_id


def _entry_row(leg: Leg, txn_id: int, created_by_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "txn_id": txn_id,
        "account": leg.account,
        "currency": leg.currency,
        "amount_minor": leg.amount_minor,
        "kind": leg.kind.value,
        "project_id": leg.project_id,
        "worker_id": leg.worker_id,
        "assignment_id": leg.assignment_id,
        "review_id": leg.review_id,
        "payout_id": leg.payout_id,
        "attempt_id": leg.attempt_id,
        "memo": leg.memo,
        "created_by_id": created_by_id,
        "created_at": now,
    }


def _refuse_overdraft(db: Session, guarded: Iterable[Leg]) -> None:
    by_currency: dict[str, set[str]] = defaultdict(set)
    for leg in guarded:
        by_currency[leg.currency].add(leg.account)
    for currency, accounts in by_currency.items():
        overdrawn = db.execute(
            select(BALANCES.c.account, BALANCES.c.balance_minor).where(
                BALANCES.c.currency == currency,
                BALANCES.c.account.in_(sorted(accounts)),
                BALANCES.c.balance_minor < 0,
            )
        ).first()
        if overdrawn is not None:
            raise Conflict(
                "this would leave a balance below zero; nothing was changed",
                field="account",
                value=overdrawn.account,
                expected=f"at most its balance ({overdrawn.balance_minor} {currency} after it)",
            )


def balance(db: Session, account: str, currency: str) -> int:
    """The kept balance: one row read."""
    found = db.connection().execute(BALANCE, {"account": account, "currency": currency})
    return int(found.scalar() or 0)


def balances_of(db: Session, accounts: Sequence[str]) -> dict[tuple[str, str], int]:
    """Kept balances of several accounts, in every currency they hold."""
    rows = db.execute(
        select(BALANCES.c.account, BALANCES.c.currency, BALANCES.c.balance_minor).where(
            BALANCES.c.account.in_(list(accounts))
        )
    )
    return {(row.account, row.currency): int(row.balance_minor) for row in rows}
