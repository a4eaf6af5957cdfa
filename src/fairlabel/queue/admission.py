"""Whether a worker may be handed a new item of a project now, and what the lease locks.

Each rule that can hold a worker back (gold accuracy, eligibility, budget, exposure caps,
…) is one function here taking (db, project, worker_id) and answering None (go on) or an
`Empty` that tells the worker why, and the lease values it adds (the locked rate). The
queue calls `refusal` before claiming and `lease_terms` when leasing; a rule whose project
setting is off must cost no statement, since this runs on every next-task call."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.dueprocess import standing
from fairlabel.errors import Conflict, FairlabelError, Forbidden
from fairlabel.gold import serving as gold
from fairlabel.pay import service as pay
from fairlabel.queue.rows import Empty, ProjectRow
from fairlabel.queue.schemas import EmptyReason
from fairlabel.wellness import service as wellness
from fairlabel.wellness.schemas import ExposureCapReached, MissingOptIns
from fairlabel.workforce import eligibility

Rule = Callable[[Session, ProjectRow, int], Empty | None]


def _gold_accuracy(db: Session, project: ProjectRow, worker_id: int) -> Empty | None:
    below = gold.below_bar(db, project, worker_id)
    return None if below is None else Empty(EmptyReason.below_gold_accuracy, detail=below)


def _sanctions(db: Session, project: ProjectRow, worker_id: int) -> Empty | None:
    """A suspension or deactivation after its notice: one index probe that normally finds
    nothing (sanctions are per worker, so no project setting can spare it)."""
    found = standing.sanctioned(db, project.id, worker_id, utcnow())
    return None if found is None else Empty(EmptyReason.sanctioned, detail=found)


def _eligibility(db: Session, project: ProjectRow, worker_id: int) -> Empty | None:
    unmet = eligibility.check(db, project.eligibility, worker_id, utcnow())
    return None if unmet is None else Empty(EmptyReason.not_eligible, detail=unmet)


def _content_risk_opt_in(db: Session, project: ProjectRow, worker_id: int) -> Empty | None:
    missing = wellness.missing_opt_ins(db, project.content_risks, worker_id)
    return None if missing is None else Empty(EmptyReason.content_risk_opt_in, detail=missing)


def _exposure_cap(db: Session, project: ProjectRow, worker_id: int) -> Empty | None:
    reached = wellness.cap_reached(
        db, project.content_risks, project.exposure_caps, worker_id, utcnow()
    )
    return None if reached is None else Empty(EmptyReason.exposure_cap_reached, detail=reached)


def _budget(db: Session, project: ProjectRow, worker_id: int) -> Empty | None:
    return pay.budget_refusal(db, project)


#: In order: the first refusal is the one the worker is told.
RULES: list[Rule] = [
    _sanctions,
    _eligibility,
    _content_risk_opt_in,
    _exposure_cap,
    _gold_accuracy,
    _budget,
]


#: What a reviewer must also pass: they see the same content (eligibility, standing and
#: budget are checked by the review service itself).
CONTENT_RULES: list[Rule] = [_content_risk_opt_in, _exposure_cap]


#: Sitting a qualification test shows a project's items as a lease does, so it passes the
#: same rules; the budget is checked for the test's own cost by the test itself.
TEST_RULES: list[Rule] = [rule for rule in RULES if rule is not _budget]


def refusal(
    db: Session, project: ProjectRow, worker_id: int, rules: list[Rule] = RULES
) -> Empty | None:
    for rule in rules:
        refused = rule(db, project, worker_id)
        if refused is not None:
            return refused
    return None


def lease_terms(project: ProjectRow) -> dict[str, Any]:
    """Columns a new label lease locks at acceptance: the pay rate and its currency."""
    return pay.lease_terms(project)


def refusal_error(refused: Empty) -> FairlabelError:
    """A refusal as an error, where no queue answer carries it (a qualification test): the
    reason is the code, the message says what to do. The budget is the client's to fix."""
    error: FairlabelError
    if refused.reason == EmptyReason.budget_exhausted:
        error = Conflict(
            "the project's budget cannot pay for this now; try again once the client funds it",
            field="budget",
            value=None,
            expected="a funded project",
        )
    else:
        error = Forbidden(
            _refusal_message(refused), field=refused.reason.value, value=_value(refused)
        )
    error.code = refused.reason.value
    return error


def _refusal_message(refused: Empty) -> str:
    detail = refused.detail
    message = getattr(detail, "message", None)
    if message is not None:
        return str(message)
    if isinstance(detail, MissingOptIns):
        return (
            f"this project shows content you have not opted into ({', '.join(detail.missing)}); "
            "opt in on your profile if you choose to see it"
        )
    if isinstance(detail, ExposureCapReached):
        return (
            f"you reached today's cap on {', '.join(detail.categories)} content; "
            f"it starts again at {detail.resets_at:%Y-%m-%d %H:%M} UTC"
        )
    return f"not open to you now: {refused.reason.value}"


def _value(refused: Empty) -> object:
    return None if refused.detail is None else refused.detail.model_dump(mode="json")
