"""Pay: a project's escrow budget, the rate a lease locks, pay earned on submit and approved
on a verdict or after the review deadline, bonuses, fraud reversals, and the activation
check against the pay floors.

Decisions: a rejection approves the pay of the rejected work at once (pay for work done is
never removed; only a proven-fraud sanction reverses it); work that no review stage samples
is approved on submit; a reviewer's own pay is earned and approved with the verdict.
Earned pay is always recorded, even if a race left the budget short: the budget may then
fall below zero, which stops new work until the client funds it."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, bindparam, exists, func, select
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import Conflict, ValidationFailed
from fairlabel.models import (
    Assignment,
    AssignmentStatus,
    EntryKind,
    Project,
    QualificationAttempt,
)
from fairlabel.pay import floors, topups
from fairlabel.pay.ledger import (
    APPROVED,
    BUDGET,
    ENTRIES,
    PENDING,
    Leg,
    Payee,
    balance,
    budget_account,
    dialect,
    funding_account,
    move,
    post,
    transfer,
)
from fairlabel.queue.rows import Empty
from fairlabel.queue.schemas import EmptyReason
from fairlabel.review.stages import REWORK_STAGE

ASSIGNMENTS = cast(Table, Assignment.__table__)
ATTEMPTS = cast(Table, QualificationAttempt.__table__)
PROJECTS = cast(Table, Project.__table__)


class Priced(floors.PayPolicy, Protocol):
    @property
    def id(self) -> int: ...


# --- rates and leases ---------------------------------------------------------------------


def stage_rate(project: floors.PayPolicy, stage: str) -> int:
    """A stage's rate; rework is paid like labelling unless the project sets its own."""
    rates = project.rates
    if stage == REWORK_STAGE:
        return int(rates.get("rework", rates.get("label", 0)))
    return int(rates.get(stage, 0))


def lease_terms(project: floors.PayPolicy, stage: str = "label") -> dict[str, Any]:
    """What a lease locks at acceptance: its stage's rate and the project's currency."""
    return {"rate_minor": stage_rate(project, stage), "currency": project.currency}


def lease_cost(project: floors.PayPolicy, rate: int) -> int:
    """What one lease may cost the budget: the rate, or an hour's rate for the estimate."""
    if project.pay_basis == "hour":
        return -(-rate * project.estimated_seconds // 3600)
    return rate


COMMITTED = select(func.coalesce(func.sum(ASSIGNMENTS.c.rate_minor), 0)).where(
    ASSIGNMENTS.c.project_id == bindparam("p_project"),
    ASSIGNMENTS.c.status == AssignmentStatus.active,
    ASSIGNMENTS.c.expires_at > bindparam("p_now"),
)


class Budget(NamedTuple):
    currency: str
    balance_minor: int
    committed_minor: int

    @property
    def available_minor(self) -> int:
        return self.balance_minor - self.committed_minor


def budget(db: Session, project: Priced) -> Budget:
    """The escrow, and what leases out now may still draw from it."""
    rates = int(
        db.connection()
        .execute(COMMITTED, {"p_project": project.id, "p_now": utcnow()})
        .scalar_one()
    )
    committed = lease_cost(project, rates)
    return Budget(
        project.currency, balance(db, budget_account(project.id), project.currency), committed
    )


def budget_refusal(db: Session, project: Priced, stage: str = "label") -> Empty | None:
    """Refuse a new lease the budget cannot pay for; an unpaid stage costs no statement."""
    return cost_refusal(db, project, lease_cost(project, stage_rate(project, stage)))


def cost_refusal(db: Session, project: Priced, cost: int) -> Empty | None:
    """Refuse work that may cost more than the budget has free; free work costs no statement."""
    if cost == 0 or budget(db, project).available_minor >= cost:
        return None
    return Empty(EmptyReason.budget_exhausted)


# --- funding, bonuses ---------------------------------------------------------------------


def fund(db: Session, project: Project, amount_minor: int, currency: str, actor_id: int) -> Budget:
    """Escrow: the client's money moves into the project's budget, in its currency only."""
    if currency != project.currency:
        raise ValidationFailed(
            "a project is funded in its own currency",
            field="currency",
            value=currency,
            expected=project.currency,
        )
    legs = transfer(
        funding_account(project.organization_id),
        budget_account(project.id),
        currency,
        amount_minor,
        EntryKind.funded,
        project_id=project.id,
        memo="funded by the client",
    )
    post(db, legs, created_by_id=actor_id)
    return budget(db, project)


def refund(db: Session, project: Project, amount_minor: int | None, actor_id: int) -> Budget:
    """Unused escrow back to the client: never what leases out now may still earn (a
    worker's pay stays funded), all that is free when no amount is given."""
    free = budget(db, project).available_minor
    amount = free if amount_minor is None else amount_minor
    if free <= 0:
        raise Conflict(
            "nothing in this budget is unused: what is left is held for tasks in progress",
            field="amount_minor",
            value=amount_minor,
            expected="an unused budget above 0",
        )
    if amount > free:
        raise ValidationFailed(
            "more than the unused budget",
            field="amount_minor",
            value=amount_minor,
            expected=f"at most {free} (the funded balance less what tasks in progress may earn)",
        )
    legs = transfer(
        budget_account(project.id),
        funding_account(project.organization_id),
        project.currency,
        amount,
        EntryKind.refund,
        project_id=project.id,
        memo="unused budget returned to the client",
        no_overdraft=True,
    )
    post(db, legs, created_by_id=actor_id)
    return budget(db, project)


def bonus(
    db: Session, project: Project, worker_id: int, amount_minor: int, reason: str, actor_id: int
) -> None:
    """A bonus from the budget (never beyond it), approved at once, with the reason the
    worker sees."""
    worked = db.scalar(
        select(
            exists().where(
                ASSIGNMENTS.c.project_id == project.id, ASSIGNMENTS.c.worker_id == worker_id
            )
        )
    )
    if not worked:
        raise ValidationFailed(
            "this worker has not worked on the project",
            field="worker_id",
            value=worker_id,
            expected="a worker with an assignment in this project",
        )
    payee = Payee(worker_id, project.id, project.currency)
    legs = move(payee, BUDGET, APPROVED, amount_minor, EntryKind.bonus, reason, no_overdraft=True)
    post(db, legs, created_by_id=actor_id)


# --- earning and approving ----------------------------------------------------------------


class Work(NamedTuple):
    """An assignment as pay reads it (locked)."""

    id: int
    project_id: int
    worker_id: int
    stage: str
    rate_minor: int | None
    currency: str | None
    leased_at: datetime

    @property
    def payee(self) -> Payee:
        return Payee(self.worker_id, self.project_id, cast(str, self.currency), self.id)


WORK = (
    select(*(ASSIGNMENTS.c[name] for name in Work._fields))
    .where(ASSIGNMENTS.c.id == bindparam("p_assignment"))
    .with_for_update()
)
#: The worker legs of one assignment's pay: what was earned, approved, topped up, reversed.
PAY_LEGS = select(ENTRIES.c.kind, ENTRIES.c.account, ENTRIES.c.amount_minor).where(
    ENTRIES.c.assignment_id == bindparam("p_assignment"), ENTRIES.c.worker_id.is_not(None)
)


def _work(db: Session, assignment_id: int) -> Work | None:
    """The assignment, locked: concurrent verdicts, sweeps and appeals settle it one at a time."""
    row = db.connection().execute(WORK, {"p_assignment": assignment_id}).one_or_none()
    return None if row is None else Work(*row)


class PayState(NamedTuple):
    earned: int
    approved: bool
    reversed: bool
    topped_up: int


def _pay_state(db: Session, assignment_id: int) -> PayState:
    legs = db.connection().execute(PAY_LEGS, {"p_assignment": assignment_id}).all()
    kinds = {leg.kind for leg in legs}
    return PayState(
        earned=sum(leg.amount_minor for leg in legs if leg.kind == EntryKind.earned),
        approved=EntryKind.approved in kinds,
        reversed=EntryKind.reversal in kinds,
        topped_up=sum(leg.amount_minor for leg in legs if leg.kind == EntryKind.top_up),
    )


def _amount(basis: str, rate: int, seconds: float) -> int:
    """Per item: the rate; per hour: the rate for the measured time, rounded to the minor unit."""
    return rate if basis == "item" else round(rate * seconds / 3600)


def _earned_and_approved(
    payee: Payee, amount: int, memo: str, approve_memo: str | None, review_id: int | None = None
) -> list[Leg]:
    legs = move(payee, BUDGET, PENDING, amount, EntryKind.earned, memo, review_id)
    if approve_memo is not None:
        legs += move(payee, PENDING, APPROVED, amount, EntryKind.approved, approve_memo, review_id)
    return legs


def _earn(
    db: Session,
    work: Work,
    basis: str,
    seconds: float,
    *,
    approve_memo: str | None,
    review_id: int | None = None,
) -> None:
    """Earned pay for one assignment at its locked rate, once; approved too if a memo says why."""
    if not work.rate_minor or _pay_state(db, work.id).earned:
        return
    amount = _amount(basis, work.rate_minor, seconds)
    if amount > 0:
        memo = f"{work.stage} work submitted"
        legs = _earned_and_approved(work.payee, amount, memo, approve_memo, review_id)
        post(db, legs, created_by_id=work.worker_id)


def earn_on_submit(
    db: Session,
    project: floors.PayPolicy,
    assignment_id: int,
    time_spent_ms: int,
    *,
    reviewed: bool,
) -> None:
    """Called by submit: earned at the locked rate (per hour: for the time spent, never more
    than the lease was held); approved at once when no review stage samples the work."""
    work = _work(db, assignment_id)
    if work is None:
        return
    held = (utcnow() - work.leased_at).total_seconds()
    seconds = min(time_spent_ms / 1000, held)
    memo = None if reviewed else "approved: no review stage samples this work"
    _earn(db, work, project.pay_basis, seconds, approve_memo=memo)
    topups.maybe_enforce(db, work.project_id, work.id)


def _approve(
    db: Session, assignment_id: int, memo: str, *, review_id: int | None, actor_id: int | None
) -> bool:
    """Pending pay of an assignment to approved, once; False when there is nothing to do."""
    work = _work(db, assignment_id)
    if work is None:
        return False
    state = _pay_state(db, assignment_id)
    if not state.earned or state.approved or state.reversed:
        return False
    legs = move(work.payee, PENDING, APPROVED, state.earned, EntryKind.approved, memo, review_id)
    post(db, legs, created_by_id=actor_id)
    return True


def approve_work(db: Session, assignment_id: int, *, actor_id: int | None, reason: str) -> None:
    """Approve an assignment's pay (an appeal that overturns a rejection, an operator);
    idempotent: pay already approved stays as it is."""
    _approve(db, assignment_id, reason, review_id=None, actor_id=actor_id)


class VerdictLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def assignment_id(self) -> int: ...

    @property
    def verdict(self) -> str: ...

    @property
    def reason_code(self) -> str | None: ...

    @property
    def reviewer_id(self) -> int: ...


def settle_verdict(
    db: Session, project: floors.PayPolicy, review: VerdictLike, subject_id: int
) -> None:
    """Any verdict approves the judged work's pay (a rejection keeps pay for work done), and
    the reviewer earns the stage's locked rate, approved at once."""
    why = review.verdict
    if review.verdict == "reject":
        why = f"rejected ({review.reason_code}); pay for work done is kept"
    memo = f"approved on review: {why}"
    _approve(db, subject_id, memo, review_id=review.id, actor_id=review.reviewer_id)
    reviewer = _work(db, review.assignment_id)
    if reviewer is not None:
        held = (utcnow() - reviewer.leased_at).total_seconds()
        done = "review verdict given"
        _earn(db, reviewer, project.pay_basis, held, approve_memo=done, review_id=review.id)


#: A qualification test pays for at most this many times its items' estimated time: a
#: worker new to the task is slower than the estimate, but an attempt left open for a day
#: must not be paid for a day.
TEST_TIME_FACTOR = 2


def test_seconds_bound(project: floors.PayPolicy, items: int) -> int:
    """The most time an attempt at a test of `items` items is paid for."""
    return items * project.estimated_seconds * TEST_TIME_FACTOR


def test_pay_minor(project: floors.PayPolicy, seconds: float) -> int:
    """Time on a test at the project's labelling rate per hour (a per-item rate is first
    turned hourly with the estimated time per item)."""
    return round(floors.hourly_minor(project) * seconds / 3600)


def test_budget_refusal(db: Session, project: Priced, items: int) -> Empty | None:
    """Refuse an attempt the budget cannot pay for at its bound, as a lease is refused."""
    cost = test_pay_minor(project, test_seconds_bound(project, items))
    return cost_refusal(db, project, cost)


def earn_for_test(
    db: Session, project: Priced, worker_id: int, attempt_id: int, seconds: float
) -> None:
    """Pay for a finished attempt, earned pending like submitted work: nobody reviews a test
    (its score is its verdict), so the sweep approves it after the project's review deadline."""
    amount = test_pay_minor(project, seconds)
    if amount > 0:
        payee = Payee(worker_id, project.id, project.currency, attempt_id=attempt_id)
        memo = f"qualification test attempt {attempt_id}"
        post(db, _earned_and_approved(payee, amount, memo, None), created_by_id=worker_id)


def reverse_for_fraud(db: Session, assignment_id: int, sanction_id: int, actor_id: int) -> None:
    """The one way pay for work done is taken back: a sanction that proved fraud. The
    assignment's pay and top-ups go back to the budget from where they sit (approved pay
    already paid out leaves a negative balance, set off against later earnings). Once only."""
    work = _work(db, assignment_id)
    if work is None:
        return
    state = _pay_state(db, assignment_id)
    if state.reversed or not (state.earned or state.topped_up):
        return
    memo = f"reversed: fraud proven by sanction {sanction_id}"
    source = APPROVED if state.approved else PENDING
    legs = move(work.payee, source, BUDGET, state.earned, EntryKind.reversal, memo)
    if state.topped_up:
        legs += move(work.payee, APPROVED, BUDGET, state.topped_up, EntryKind.reversal, memo)
    post(db, [leg for leg in legs if leg.amount_minor], created_by_id=actor_id)


# --- approval after the review deadline ---------------------------------------------------

SETTLED = ENTRIES.alias("settled")


class PaidWork(NamedTuple):
    """A kind of work whose pay the sweep approves: the ledger column naming it, and the
    table whose rows are locked while it is settled."""

    column: str
    table: Table


PAID_WORK = (PaidWork("assignment_id", ASSIGNMENTS), PaidWork("attempt_id", ATTEMPTS))


def _unapproved(work: PaidWork, *conditions: Any) -> Any:
    """Earned worker legs of one kind of work with no approval or reversal yet, with their
    project's deadline."""
    column = ENTRIES.c[work.column]
    return (
        select(
            column.label("work_id"),
            ENTRIES.c.worker_id,
            ENTRIES.c.project_id,
            ENTRIES.c.currency,
            ENTRIES.c.amount_minor,
            ENTRIES.c.created_at,
            PROJECTS.c.review_deadline_hours,
        )
        .join(PROJECTS, PROJECTS.c.id == ENTRIES.c.project_id)
        .where(
            ENTRIES.c.kind == EntryKind.earned,
            ENTRIES.c.worker_id.is_not(None),
            column.is_not(None),
            ENTRIES.c.created_at <= bindparam("p_cutoff"),
            ~exists().where(
                SETTLED.c[work.column] == column,
                SETTLED.c.kind.in_([EntryKind.approved, EntryKind.reversal]),
            ),
            *conditions,
        )
    )


def _lock_work(work: PaidWork) -> Any:
    ids = work.table.c.id
    return (
        select(ids)
        .where(ids.in_(bindparam("p_ids", expanding=True)))
        .order_by(ids)
        .with_for_update()
    )


UNAPPROVED = {work: _unapproved(work) for work in PAID_WORK}
UNAPPROVED_AMONG = {
    work: _unapproved(work, ENTRIES.c[work.column].in_(bindparam("p_ids", expanding=True)))
    for work in PAID_WORK
}
LOCK_WORK = {work: _lock_work(work) for work in PAID_WORK}


def approve_due(db: Session, now: datetime | None = None) -> int:
    """Approve pending pay whose project's review deadline has passed since it was earned,
    in one transaction: the sweep that the background job, each payout run and `fairlabel
    pay approve-due` run. Answers how much work (assignments and test attempts) it approved."""
    now = now or utcnow()
    shortest = db.scalar(select(func.min(PROJECTS.c.review_deadline_hours))) or 0
    cutoff = now - timedelta(hours=shortest)
    due = [(work, row) for work in PAID_WORK for row in _due(db, work, cutoff, now)]
    legs = [leg for work, row in due for leg in _auto_approval(work, row)]
    if legs:
        post(db, legs, now=now)
    return len(due)


def _due(db: Session, work: PaidWork, cutoff: datetime, now: datetime) -> list[Any]:
    params: dict[str, Any] = {"p_cutoff": cutoff}
    due = _past_deadline(db.execute(UNAPPROVED[work], params).all(), now)
    if due and dialect(db) == "postgresql":
        # Lock, then look again: a verdict may have approved some while this one read.
        params["p_ids"] = [row.work_id for row in due]
        db.execute(LOCK_WORK[work], params)
        due = _past_deadline(db.execute(UNAPPROVED_AMONG[work], params).all(), now)
    return due


def _past_deadline(rows: Sequence[Any], now: datetime) -> list[Any]:
    return [r for r in rows if r.created_at + timedelta(hours=r.review_deadline_hours) <= now]


def _auto_approval(work: PaidWork, row: Any) -> list[Leg]:
    payee = Payee(row.worker_id, row.project_id, row.currency, **{work.column: row.work_id})
    hours = row.review_deadline_hours
    memo = f"approved automatically: no verdict within the review deadline ({hours} h)"
    return move(payee, PENDING, APPROVED, row.amount_minor, EntryKind.approved, memo)
