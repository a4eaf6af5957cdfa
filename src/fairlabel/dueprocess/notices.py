"""Notice before work ends: ending a project, or its work in a country, while workers hold
or recently did work there takes a dated notice, shown to them in advance; the change
itself takes effect on that date (an eligibility ending the queue checks). Abrupt changes
through the project settings are refused, pointing here."""

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.dueprocess import audit
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.dueprocess.schemas import NoticeIn
from fairlabel.errors import Conflict, ValidationFailed
from fairlabel.models import (
    Assignment,
    AssignmentStatus,
    Notice,
    Project,
    ProjectStatus,
    Worker,
)
from fairlabel.workforce.eligibility import ProjectEligibility

ASSIGNMENTS = cast(Table, Assignment.__table__)
WORKERS = cast(Table, Worker.__table__)
#: Work this recent makes a worker affected by an ending.
RECENT_WORK_DAYS = 30


def affected_workers(
    db: Session, project_id: int, countries: list[str] | None, now: datetime
) -> list[int]:
    """Workers who hold, or recently did, work on the project; `countries` narrows to those
    based there (None: everyone)."""
    query = (
        select(ASSIGNMENTS.c.worker_id)
        .distinct()
        .join(WORKERS, WORKERS.c.user_id == ASSIGNMENTS.c.worker_id)
        .where(
            ASSIGNMENTS.c.project_id == project_id,
            or_(
                ASSIGNMENTS.c.status == AssignmentStatus.active,
                ASSIGNMENTS.c.leased_at >= now - timedelta(days=RECENT_WORK_DAYS),
            ),
        )
    )
    if countries is not None:
        query = query.where(WORKERS.c.country.in_(countries))
    return sorted(db.scalars(query))


def check_no_abrupt_end(
    db: Session, project: Project, status: str | None, eligibility: dict[str, Any] | None
) -> None:
    """Refuse (409) ending the project, or closing it to a country, that workers are
    affected by; those changes go through a notice."""
    now = utcnow()
    ending = status == ProjectStatus.done and project.status != ProjectStatus.done
    if ending and affected_workers(db, project.id, None, now):
        raise _abrupt("status", status, "ending the project")
    if eligibility is None:
        return
    closed = _closed_countries(db, project, eligibility.get("countries") or [], now)
    if closed:
        raise _abrupt("eligibility.countries", closed, f"closing it to {', '.join(closed)}")


def _closed_countries(
    db: Session, project: Project, countries: list[str], now: datetime
) -> list[str]:
    """Countries of affected workers that the new list turns away and the old one did not."""
    before = (project.eligibility or {}).get("countries") or []
    if not countries:
        return []
    worked = db.scalars(
        select(WORKERS.c.country)
        .distinct()
        .where(
            WORKERS.c.user_id.in_(affected_workers(db, project.id, None, now)),
            WORKERS.c.country.is_not(None),
        )
    )
    return sorted(c for c in worked if c not in countries and (not before or c in before))


def _abrupt(field: str, value: Any, what: str) -> Conflict:
    return Conflict(
        f"{what} would cut off workers who hold or recently did its work without notice",
        field=field,
        value=value,
        expected="a notice first: POST /api/projects/{id}/notices with a date at least the "
        "minimum notice ahead; the change takes effect on that date",
    )


def create_notice(
    db: Session, project: Project, body: NoticeIn, actor_id: int, min_days: int
) -> Notice:
    """Record the notice, add its ending to the project's eligibility, and tell each
    affected worker (their audit trail)."""
    now = utcnow()
    earliest = now + timedelta(days=min_days)
    if body.effective_at < earliest:
        raise ValidationFailed(
            f"work may end no sooner than {min_days} days after notice",
            field="effective_at",
            value=body.effective_at.isoformat(),
            expected=f"{earliest:%Y-%m-%dT%H:%M}Z or later",
        )
    _check_open_to(project, body.country)
    notice = Notice(
        project_id=project.id,
        country=body.country,
        effective_at=body.effective_at,
        message=body.message,
        created_by_id=actor_id,
    )
    db.add(notice)
    db.flush()
    settings = ProjectEligibility.model_validate(project.eligibility or {})
    ending = {
        "notice_id": notice.id,
        "country": body.country,
        "effective_at": body.effective_at.isoformat(),
    }
    project.eligibility = {
        **(project.eligibility or {}),
        "ending": [*[e.model_dump(mode="json") for e in settings.ending], ending],
    }
    countries = None if body.country is None else [body.country]
    for worker_id in affected_workers(db, project.id, countries, now):
        audit.record(
            db,
            worker_id=worker_id,
            actor_id=actor_id,
            kind=AuditKind.notice,
            subject_kind="notice",
            subject_id=notice.id,
            project_id=project.id,
            data={
                "country": body.country,
                "effective_at": body.effective_at.isoformat(),
                "message": body.message,
            },
        )
    db.flush()
    return notice


def _check_open_to(project: Project, country: str | None) -> None:
    countries = (project.eligibility or {}).get("countries") or []
    if country is not None and countries and country not in countries:
        raise ValidationFailed(
            "the project is not open to that country",
            field="country",
            value=country,
            expected=f"one of {', '.join(countries)}",
        )


def list_notices(db: Session, project_id: int) -> list[Notice]:
    query = select(Notice).where(Notice.project_id == project_id)
    return list(db.scalars(query.order_by(Notice.effective_at)))


def notices_for(db: Session, worker_id: int, country: str | None) -> list[Notice]:
    """Notices of projects the worker holds or recently did work on, for their country or all."""
    now = utcnow()
    worked = (
        select(ASSIGNMENTS.c.project_id)
        .where(
            ASSIGNMENTS.c.worker_id == worker_id,
            ASSIGNMENTS.c.leased_at >= now - timedelta(days=RECENT_WORK_DAYS),
        )
        .distinct()
    )
    query = select(Notice).where(
        Notice.project_id.in_(worked),
        or_(Notice.country.is_(None), Notice.country == country),
    )
    return list(db.scalars(query.order_by(Notice.effective_at)))


def end_due_projects(db: Session, now: datetime) -> int:
    """Projects whose notice of ending has come: status done (the queue already stopped)."""
    due = select(Notice.project_id).where(Notice.country.is_(None), Notice.effective_at <= now)
    result = db.execute(
        update(Project)
        .where(Project.id.in_(due), Project.status != ProjectStatus.done)
        .values(status=ProjectStatus.done, updated_at=now)
    )
    return cast(int, getattr(result, "rowcount", 0))
