"""A worker's earnings: pending, approved and paid per currency (three kept balances), and
their entries newest first, each with the task (project, item, stage) and the verdict
(review) it comes from. Paged by entry id, so a page costs the same at any depth."""

from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select
from sqlalchemy.orm import Session

from fairlabel.models import Assignment, EntryKind, Item, Project, Review
from fairlabel.pay.ledger import APPROVED, ENTRIES, PAID, PENDING, balances_of, worker_account

ASSIGNMENTS = cast(Table, Assignment.__table__)
ITEMS = cast(Table, Item.__table__)
PROJECTS = cast(Table, Project.__table__)
REVIEWS = cast(Table, Review.__table__)
STATES = (PENDING, APPROVED, PAID)

#: The legs a worker is shown: where money arrived in one of their accounts, and reversals.
ENTRY_PAGE = (
    select(
        ENTRIES.c.id,
        ENTRIES.c.created_at,
        ENTRIES.c.kind,
        ENTRIES.c.account,
        ENTRIES.c.amount_minor,
        ENTRIES.c.currency,
        ENTRIES.c.memo,
        ENTRIES.c.project_id,
        PROJECTS.c.name.label("project_name"),
        ENTRIES.c.assignment_id,
        ASSIGNMENTS.c.stage,
        ASSIGNMENTS.c.item_id,
        ITEMS.c.external_id.label("item_external_id"),
        ENTRIES.c.review_id,
        REVIEWS.c.verdict,
        REVIEWS.c.reason_code,
        ENTRIES.c.payout_id,
    )
    .outerjoin(PROJECTS, PROJECTS.c.id == ENTRIES.c.project_id)
    .outerjoin(ASSIGNMENTS, ASSIGNMENTS.c.id == ENTRIES.c.assignment_id)
    .outerjoin(ITEMS, ITEMS.c.id == ASSIGNMENTS.c.item_id)
    .outerjoin(REVIEWS, REVIEWS.c.id == ENTRIES.c.review_id)
    .where(
        ENTRIES.c.worker_id == bindparam("p_worker"),
        ENTRIES.c.id < bindparam("p_before"),
        or_(ENTRIES.c.amount_minor > 0, ENTRIES.c.kind == EntryKind.reversal),
    )
    .order_by(ENTRIES.c.id.desc())
    .limit(bindparam("p_limit"))
)
NO_CURSOR = 2**62


def totals(db: Session, worker_id: int) -> dict[str, dict[str, int]]:
    """{currency: {pending, approved, paid}} from the kept balances."""
    accounts = {worker_account(worker_id, state): state for state in STATES}
    found: dict[str, dict[str, int]] = {}
    for (account, currency), amount in balances_of(db, list(accounts)).items():
        found.setdefault(currency, dict.fromkeys(STATES, 0))[accounts[account]] = amount
    return found


def entries(
    db: Session, worker_id: int, *, before: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """A page of the worker's entries, newest first, older than entry `before`."""
    params = {"p_worker": worker_id, "p_before": before or NO_CURSOR, "p_limit": limit}
    rows = db.connection().execute(ENTRY_PAGE, params)
    return [{**row._asdict(), "state": row.account.rsplit(":", 1)[1]} for row in rows]
