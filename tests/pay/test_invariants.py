"""Money invariants under random sequences of funding, leases, submissions, verdicts,
sweeps, bonuses, fraud reversals and payouts (hypothesis): every transaction balances, the
kept balances equal the sums of the entries, no money is created or lost, a project's budget
covers what its active leases have committed, and workers' balances never go below zero
(approved only after a fraud reversal of pay already paid out)."""

from collections import defaultdict
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import Conflict
from fairlabel.models import Assignment, AssignmentStatus, LedgerBalance, LedgerEntry, Project
from fairlabel.pay import payouts, service
from fairlabel.pay.ledger import budget_account
from tests.factories import Factory
from tests.queue.helpers import add_items

WORKERS = 3
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("fund"), st.integers(1, 300)),
        st.tuples(st.just("lease"), st.integers(0, WORKERS - 1)),
        st.tuples(st.just("submit"), st.integers(0, WORKERS - 1), st.booleans()),
        st.tuples(st.just("approve"), st.integers(0, WORKERS - 1)),
        st.tuples(st.just("sweep")),
        st.tuples(st.just("bonus"), st.integers(0, WORKERS - 1), st.integers(1, 200)),
        st.tuples(st.just("reverse"), st.integers(0, WORKERS - 1)),
        st.tuples(st.just("payout"), st.integers(1, 100)),
    ),
    max_size=25,
)


class World:
    """One example's state: the project, its workers and items, in a session rolled back
    at the end so that examples do not see each other."""

    def __init__(self, db: Session, project: Project, workers: list[int], items: list[int]):
        self.db, self.project, self.workers, self.items = db, project, workers, items
        self.used: set[tuple[int, int]] = set()
        self.reversed_after_payout = False

    def run(self, operation: tuple[Any, ...]) -> None:
        name, *args = operation
        with self.db.begin_nested() as savepoint:
            try:
                getattr(self, name)(*args)
            except Conflict:  # a bonus beyond the budget: refused whole
                savepoint.rollback()

    def fund(self, amount: int) -> None:
        service.fund(self.db, self.project, amount, "USD", self.workers[0])

    def lease(self, w: int) -> None:
        item = next((i for i in self.items if (i, w) not in self.used), None)
        if item is None or service.budget_refusal(self.db, self.project) is not None:
            return
        self.used.add((item, w))
        now = utcnow()
        values = {
            "project_id": self.project.id,
            "item_id": item,
            "worker_id": self.workers[w],
            "stage": "label",
            "status": AssignmentStatus.active,
            "leased_at": now,
            "expires_at": now + timedelta(hours=1),
            **service.lease_terms(self.project),
        }
        self.db.execute(insert(Assignment).values(values))

    def _oldest(self, w: int, status: AssignmentStatus) -> int | None:
        return self.db.scalar(
            select(func.min(Assignment.id)).where(
                Assignment.worker_id == self.workers[w], Assignment.status == status
            )
        )

    def submit(self, w: int, reviewed: bool) -> None:
        assignment_id = self._oldest(w, AssignmentStatus.active)
        if assignment_id is None:
            return
        self.db.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id)
            .values(status=AssignmentStatus.submitted, ended_at=utcnow())
        )
        service.earn_on_submit(self.db, self.project, assignment_id, 5000, reviewed=reviewed)

    def approve(self, w: int) -> None:
        assignment_id = self._oldest(w, AssignmentStatus.submitted)
        if assignment_id is not None:
            service.approve_work(self.db, assignment_id, actor_id=None, reason="accepted")

    def sweep(self) -> None:
        service.approve_due(self.db, utcnow() + timedelta(hours=2))

    def bonus(self, w: int, amount: int) -> None:
        if self._oldest(w, AssignmentStatus.submitted) is not None:
            service.bonus(self.db, self.project, self.workers[w], amount, "thanks", self.workers[0])

    def reverse(self, w: int) -> None:
        assignment_id = self._oldest(w, AssignmentStatus.submitted)
        if assignment_id is None:
            return
        paid_before = self._balance(f"worker:{self.workers[w]}:paid")
        service.reverse_for_fraud(self.db, assignment_id, 1, self.workers[0])
        self.reversed_after_payout |= paid_before > 0

    def payout(self, minimum: int) -> None:
        payouts.run_payout(self.db, "USD", minimum=minimum, actor_id=None)

    def _balance(self, account: str) -> int:
        return (
            self.db.scalar(
                select(LedgerBalance.balance_minor).where(LedgerBalance.account == account)
            )
            or 0
        )

    def check(self) -> None:
        entries = self.db.execute(
            select(
                LedgerEntry.txn_id,
                LedgerEntry.account,
                LedgerEntry.currency,
                LedgerEntry.amount_minor,
            )
        ).all()
        txns: dict[tuple[int, str], int] = defaultdict(int)
        sums: dict[tuple[str, str], int] = defaultdict(int)
        for txn_id, account, currency, amount in entries:
            txns[(txn_id, currency)] += amount
            sums[(account, currency)] += amount
        assert not any(txns.values()), "a transaction does not balance"
        balances = select(LedgerBalance.account, LedgerBalance.balance_minor)
        kept = {row.account: row.balance_minor for row in self.db.execute(balances)}
        assert {a: b for (a, _c), b in sums.items() if b} == {a: b for a, b in kept.items() if b}
        assert sum(sums.values()) == 0, "money was created or lost"
        committed = service.budget(self.db, self.project)
        assert committed.balance_minor == self._balance(budget_account(self.project.id))
        assert committed.available_minor >= 0, "the budget does not cover active leases"
        for account, amount in kept.items():
            state = account.rsplit(":", 1)[1]
            if state in ("pending", "paid") or (
                state == "approved" and not self.reversed_after_payout
            ):
                assert amount >= 0, account


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_money_is_neither_created_nor_lost(factory: Factory, operations: list[Any]) -> None:
    setup = _setup(factory)
    db = factory.database.new_session()
    try:
        world = World(db, db.get_one(Project, setup["project"]), setup["workers"], setup["items"])
        for operation in operations:
            world.run(operation)
            world.check()
    finally:
        db.rollback()
        db.close()


_SETUPS: dict[int, dict[str, Any]] = {}


def _setup(factory: Factory) -> dict[str, Any]:
    """Once per test (the tables are emptied after it): an org's project paying 40 cents an
    item with a one-hour review deadline, three workers and twelve items."""
    key = id(factory)
    if key not in _SETUPS:
        workers = [factory.worker().user_id for _ in range(WORKERS)]
        with factory.database.session() as db:
            project = Project(
                organization_id=factory.organization(),
                name="paid",
                rates={"label": 40},
                review_deadline_hours=1,
            )
            db.add(project)
            db.flush()
            project_id = project.id
        items = add_items(factory.database, project_id, 12)
        _SETUPS[key] = {"project": project_id, "workers": workers, "items": items}
    return _SETUPS[key]
