"""The pay floor in operation: once a per-item project runs, the median of the measured
time of its last labelling submissions replaces the estimate. If the effective hourly rate
(rate / median time) falls below the floor of a country the project is open to, the label
rate is raised to reach every floor for new work, and each past labelling assignment paid
less is topped up to the new rate (top_up entries, approved at once, with a memo saying why;
the memo records the rate change, for the audit trail).

It runs after every FLOOR_CHECK_EVERY-th submission (picked by assignment id, so the check
costs a submit nothing in between), in the background job, and before each payout run."""

import logging
import statistics
from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, select
from sqlalchemy.orm import Session

from fairlabel.dueprocess import audit
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.errors import ValidationFailed
from fairlabel.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    EntryKind,
    Project,
    ProjectStatus,
)
from fairlabel.pay import floors
from fairlabel.pay.ledger import APPROVED, BUDGET, ENTRIES, Payee, move, post

log = logging.getLogger("fairlabel.pay")
ANNOTATIONS = cast(Table, Annotation.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
FLOOR_CHECK_EVERY = 50
#: The median of this many recent labelling submissions, once there are MIN_SAMPLE of them.
SAMPLE, MIN_SAMPLE = 1000, 20

MEASURED = (
    select(ANNOTATIONS.c.time_spent_ms)
    .join(ASSIGNMENTS, ASSIGNMENTS.c.id == ANNOTATIONS.c.assignment_id)
    .where(
        ANNOTATIONS.c.project_id == bindparam("p_project"),
        ANNOTATIONS.c.version == 1,
        ANNOTATIONS.c.time_spent_ms > 0,
        ASSIGNMENTS.c.stage == "label",
    )
    .order_by(ANNOTATIONS.c.id.desc())
    .limit(SAMPLE)
)


def measured_seconds(db: Session, project_id: int) -> float | None:
    """Median measured time per item of the recent labelling work, or None with too few."""
    times = db.execute(MEASURED, {"p_project": project_id}).scalars().all()
    return statistics.median(times) / 1000 if len(times) >= MIN_SAMPLE else None


def _toppable(rate: int) -> Any:
    """Past labelling work of the project paid below `rate`, with what top-ups it had."""
    topped = (
        select(func.coalesce(func.sum(ENTRIES.c.amount_minor), 0))
        .where(
            ENTRIES.c.assignment_id == ASSIGNMENTS.c.id,
            ENTRIES.c.kind == EntryKind.top_up,
            ENTRIES.c.worker_id.is_not(None),
        )
        .scalar_subquery()
    )
    reversed_ = exists().where(
        ENTRIES.c.assignment_id == ASSIGNMENTS.c.id, ENTRIES.c.kind == EntryKind.reversal
    )
    return select(
        ASSIGNMENTS.c.id,
        ASSIGNMENTS.c.worker_id,
        ASSIGNMENTS.c.currency,
        (rate - ASSIGNMENTS.c.rate_minor - topped).label("owed"),
    ).where(
        ASSIGNMENTS.c.project_id == bindparam("p_project"),
        ASSIGNMENTS.c.stage == "label",
        ASSIGNMENTS.c.status == AssignmentStatus.submitted,
        ASSIGNMENTS.c.rate_minor > 0,
        ASSIGNMENTS.c.rate_minor < rate,
        ~reversed_,
    )


def enforce_floor(db: Session, project: Project) -> int | None:
    """Raise the label rate and top up past work if measured time puts the project below a
    floor; answers the new rate, or None when nothing was needed (or cannot be judged)."""
    rate = floors.label_rate(project)
    seconds = measured_seconds(db, project.id) if project.pay_basis == "item" and rate else None
    if seconds is None:
        return None
    hourly = floors.hourly_minor(project, seconds)
    try:
        gaps = floors.shortfalls(db, project, project.eligibility, hourly)
    except ValidationFailed as missing:  # no exchange rate: the operator is told at activation
        log.warning("pay floor of project %s not checked: %s", project.id, missing.message)
        return None
    if not gaps:
        return None
    new_rate = floors.rate_for_floor(gaps, seconds)
    memo = (
        f"pay floor top-up: measured median {seconds:.0f} s per item makes "
        f"{hourly:.0f} {project.currency} minor units per hour, below the floor of "
        f"{', '.join(g.country for g in gaps)}; label rate raised from {rate} to {new_rate}"
    )
    project.rates = {**project.rates, "label": new_rate}
    change = {
        "from": rate,
        "to": new_rate,
        "currency": project.currency,
        "median_seconds": round(seconds, 1),
        "countries": [g.country for g in gaps],
    }
    audit.record(
        db, worker_id=None, kind=AuditKind.pay_rate_raised, project_id=project.id, data=change
    )
    for worker_id, owed in _top_up(db, project.id, new_rate, memo).items():
        audit.record(
            db,
            worker_id=worker_id,
            kind=AuditKind.pay_rate_raised,
            project_id=project.id,
            data={**change, "topped_up_minor": owed},
        )
    return new_rate


def _top_up(db: Session, project_id: int, rate: int, memo: str) -> dict[int, int]:
    """Post the top-ups; answers what each worker was owed, so each is told in their own
    audit trail as well as by the entries' memo."""
    rows = [row for row in db.execute(_toppable(rate), {"p_project": project_id}) if row.owed > 0]
    legs = [
        leg
        for row in rows
        for leg in move(
            Payee(row.worker_id, project_id, row.currency, row.id),
            BUDGET,
            APPROVED,
            row.owed,
            EntryKind.top_up,
            memo,
        )
    ]
    if legs:
        post(db, legs)
    owed: dict[int, int] = defaultdict(int)
    for row in rows:
        owed[row.worker_id] += int(row.owed)
    return dict(owed)


def maybe_enforce(db: Session, project_id: int, assignment_id: int) -> None:
    """The cheap hook on submit: a check every FLOOR_CHECK_EVERY-th assignment."""
    if assignment_id % FLOOR_CHECK_EVERY == 0:
        enforce_floor(db, cast(Project, db.get(Project, project_id)))


def enforce_all(db: Session) -> int:
    """Every active project: for the background job and payout runs. Answers how many
    projects had their rate raised."""
    active = db.scalars(select(Project).where(Project.status == ProjectStatus.active))
    return sum(enforce_floor(db, project) is not None for project in active)
