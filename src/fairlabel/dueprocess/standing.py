"""A worker's standing on the next-task hot path: a suspension from the project, or a
deactivation, that has taken effect after its notice. One index probe on the worker's
sanctions (normally finding nothing); a deactivation in effect also makes the account
inactive here, lazily, if the sweep has not done so yet."""

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from fairlabel.dueprocess.schemas import Sanctioned
from fairlabel.models import Sanction, SanctionKind, User

SANCTIONS = cast(Table, Sanction.__table__)

IN_EFFECT = (
    select(
        SANCTIONS.c.id,
        SANCTIONS.c.kind,
        SANCTIONS.c.reason_code,
        SANCTIONS.c.effective_at,
    )
    .where(
        SANCTIONS.c.worker_id == bindparam("p_worker"),
        SANCTIONS.c.withdrawn_at.is_(None),
        SANCTIONS.c.effective_at <= bindparam("p_now"),
        or_(
            SANCTIONS.c.kind == SanctionKind.deactivation,
            (SANCTIONS.c.kind == SanctionKind.suspension)
            & (SANCTIONS.c.project_id == bindparam("p_project")),
        ),
    )
    .order_by(SANCTIONS.c.effective_at)
    .limit(1)
)


def sanctioned(db: Session, project_id: int, worker_id: int, now: datetime) -> Sanctioned | None:
    """The sanction that keeps this worker off this project now, if any."""
    params = {"p_worker": worker_id, "p_project": project_id, "p_now": now}
    row = db.connection().execute(IN_EFFECT, params).one_or_none()
    if row is None:
        return None
    sanction_id, kind, reason_code, effective_at = row
    if kind == SanctionKind.deactivation:
        deactivate(db, worker_id)
    what = "suspended from this project" if kind == SanctionKind.suspension else "deactivated"
    return Sanctioned(
        message=(
            f"You are {what} (reason {reason_code}) since {effective_at:%Y-%m-%d %H:%M} UTC, "
            f"after notice. Your earned pay is not affected. You can appeal it at "
            f"/api/appeals (subject_kind sanction, subject_id {sanction_id})."
        ),
        sanction_id=sanction_id,
        kind=kind,
        reason_code=reason_code,
        effective_at=effective_at,
    )


def deactivate(db: Session, worker_id: int) -> None:
    """Through the session, so that cached sign-ins of the account are forgotten."""
    db.execute(update(User).where(User.id == worker_id, User.is_active).values(is_active=False))
