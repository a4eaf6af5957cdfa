"""Platform terms and collective governance.

Terms are versioned and never edited: a change is a new version, announced at least
TERMS_NOTICE_DAYS before it takes effect (the first may take effect at once), which workers
acknowledge. Acknowledging is not a condition of work: the queue never asks for it.

Representatives (unions, associations, elected people) are recorded by the operator, and
each consultation with them on a policy topic is logged; the Fairwork report checks that
every policy change was preceded by one."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import Conflict, NotFound, ValidationFailed
from fairlabel.governance.schemas import (
    ConsultationIn,
    ConsultationOut,
    RepresentativeIn,
    RepresentativeOut,
    TermsIn,
    TermsOut,
    TermsStatus,
)
from fairlabel.models import (
    Consultation,
    Consultee,
    TermsAcceptance,
    TermsVersion,
    Worker,
    WorkerRepresentative,
)

#: A new version of the terms takes effect no sooner than this after it is published.
TERMS_NOTICE_DAYS = 30
#: A policy change counts as consulted on when a consultation on its topic was held this
#: many days before it, at most (or on the same day).
CONSULTATION_WINDOW_DAYS = 90
#: How far in the past a first version's `effective_at` may be: a client's clock, not a
#: back-dated version (it is stored as taking effect on publication).
CLOCK_SKEW = timedelta(minutes=1)
ACCEPTANCES = cast(Table, TermsAcceptance.__table__)


# --- terms --------------------------------------------------------------------------------


def list_versions(db: Session) -> list[TermsVersion]:
    """Newest first."""
    return list(db.scalars(select(TermsVersion).order_by(TermsVersion.number.desc())))


def get_version(db: Session, number: int) -> TermsVersion:
    version = db.get(TermsVersion, number)
    if version is None:
        raise NotFound(
            "no such version of the terms",
            field="number",
            value=number,
            expected="the number of a published version (GET /api/terms)",
        )
    return version


def latest_version(db: Session) -> TermsVersion | None:
    return db.scalars(select(TermsVersion).order_by(TermsVersion.number.desc()).limit(1)).first()


def current_version(db: Session, now: datetime | None = None) -> TermsVersion | None:
    """The version in effect: later versions take effect later, so the newest one whose
    date has come."""
    query = (
        select(TermsVersion)
        .where(TermsVersion.effective_at <= (now or utcnow()))
        .order_by(TermsVersion.number.desc())
        .limit(1)
    )
    return db.scalars(query).first()


def status_of(version: TermsVersion, current: TermsVersion | None, now: datetime) -> TermsStatus:
    if version.effective_at > now:
        return "upcoming"
    return "current" if current is not None and version.number == current.number else "superseded"


def acknowledged(db: Session, worker_id: int) -> dict[int, datetime]:
    """When the worker acknowledged each version, by number."""
    found = db.execute(
        select(TermsAcceptance.number, TermsAcceptance.accepted_at).where(
            TermsAcceptance.worker_id == worker_id
        )
    )
    return {number: at for number, at in found}


def describe(
    versions: list[TermsVersion],
    current: TermsVersion | None,
    now: datetime,
    acknowledgements: dict[int, datetime] | None = None,
) -> list[TermsOut]:
    seen = acknowledgements or {}
    return [
        TermsOut(
            number=v.number,
            title=v.title,
            body=v.body,
            summary=v.summary,
            published_at=v.published_at,
            effective_at=v.effective_at,
            published_by_id=v.published_by_id,
            status=status_of(v, current, now),
            notice_days=round((v.effective_at - v.published_at).total_seconds() / 86400, 2),
            acknowledged_at=seen.get(v.number),
        )
        for v in versions
    ]


def earliest_effective(now: datetime) -> datetime:
    """The soonest a version published now, after the first, may take effect."""
    return now + timedelta(days=TERMS_NOTICE_DAYS)


def publish(db: Session, body: TermsIn, actor_id: int) -> TermsVersion:
    """The next version, checked in full before it is written: the first may take effect
    at once; every later one says what changes and gives the notice period, and takes
    effect after the version before it."""
    now = utcnow()
    latest = latest_version(db)
    effective_at = (
        _first_effective(body, now) if latest is None else _later_effective(body, latest, now)
    )
    version = TermsVersion(
        number=1 if latest is None else latest.number + 1,
        title=body.title.strip(),
        body=body.body,
        summary=body.summary.strip(),
        published_at=now,
        effective_at=effective_at,
        published_by_id=actor_id,
    )
    db.add(version)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            "another version of the terms was published at the same moment",
            field="number",
            value=version.number,
            expected="a retry: the new version will take the next number",
        ) from None
    return version


def _first_effective(body: TermsIn, now: datetime) -> datetime:
    given = body.effective_at
    if given is None:
        return now
    if given < now - CLOCK_SKEW:
        raise ValidationFailed(
            "the terms cannot take effect before they are published",
            field="effective_at",
            value=given.isoformat(),
            expected=f"{now:%Y-%m-%dT%H:%M}Z or later, or none to take effect at once",
        )
    return max(given, now)


def _later_effective(body: TermsIn, latest: TermsVersion, now: datetime) -> datetime:
    if not body.summary.strip():
        raise ValidationFailed(
            "say what changes: workers read the summary before the new terms take effect",
            field="summary",
            value=body.summary,
            expected=f"a summary of what changes from version {latest.number}",
        )
    earliest = earliest_effective(now)
    given = body.effective_at or earliest
    if given < earliest:
        raise ValidationFailed(
            f"new terms must be announced at least {TERMS_NOTICE_DAYS} days ahead: these may "
            f"take effect on {earliest:%Y-%m-%d %H:%M} UTC at the earliest",
            field="effective_at",
            value=given.isoformat(),
            expected=f"{earliest:%Y-%m-%dT%H:%M}Z or later",
        )
    if given <= latest.effective_at:
        raise ValidationFailed(
            f"version {latest.number + 1} must take effect after version {latest.number}, "
            f"which takes effect on {latest.effective_at:%Y-%m-%d %H:%M} UTC",
            field="effective_at",
            value=given.isoformat(),
            expected=f"later than {latest.effective_at:%Y-%m-%dT%H:%M}Z",
        )
    return given


def acknowledge(db: Session, worker_id: int, number: int) -> tuple[TermsAcceptance, bool]:
    """Record that the worker read this version; a second time keeps the first record.
    Answers the record and whether it is new. Safe against a double click on both
    databases: the insert does nothing when the row exists."""
    get_version(db, number)
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(ACCEPTANCES).values(worker_id=worker_id, number=number, accepted_at=utcnow())
    inserted = statement.on_conflict_do_nothing().returning(ACCEPTANCES.c.number)
    created = db.execute(inserted).first() is not None
    found = db.get_one(TermsAcceptance, (worker_id, number), populate_existing=True)
    return found, created


@dataclass(frozen=True, slots=True)
class TermsNotice:
    """What a worker's home page says about terms they have not acknowledged."""

    number: int
    effective_at: datetime
    upcoming: bool
    first: bool


def notice_for(db: Session, worker_id: int, now: datetime | None = None) -> TermsNotice | None:
    """The newest version, if the worker has not acknowledged it."""
    latest = latest_version(db)
    if latest is None or latest.number in acknowledged(db, worker_id):
        return None
    upcoming = latest.effective_at > (now or utcnow())
    return TermsNotice(latest.number, latest.effective_at, upcoming, latest.number == 1)


# --- representatives ----------------------------------------------------------------------


def is_current(representative: WorkerRepresentative, now: datetime) -> bool:
    ended = representative.ended_at
    return representative.recognised_at <= now and (ended is None or ended > now)


def list_representatives(db: Session) -> list[RepresentativeOut]:
    """Current ones first, then by name."""
    now = utcnow()
    found = db.scalars(select(WorkerRepresentative).order_by(WorkerRepresentative.name))
    listed = [representative_out(r, now) for r in found]
    return sorted(listed, key=lambda r: not r.current)


def representative_out(representative: WorkerRepresentative, now: datetime) -> RepresentativeOut:
    out = RepresentativeOut.model_validate(representative)
    out.current = is_current(representative, now)
    return out


def record_representative(
    db: Session, body: RepresentativeIn, actor_id: int
) -> WorkerRepresentative:
    now = utcnow()
    recognised_at = body.recognised_at or now
    if recognised_at > now + CLOCK_SKEW:
        raise ValidationFailed(
            "record a representative once recognised",
            field="recognised_at",
            value=recognised_at.isoformat(),
            expected=f"{now:%Y-%m-%dT%H:%M}Z or earlier",
        )
    if body.ended_at is not None and body.ended_at <= recognised_at:
        raise ValidationFailed(
            "the recognition cannot end before it began",
            field="ended_at",
            value=body.ended_at.isoformat(),
            expected=f"later than recognised_at ({recognised_at:%Y-%m-%dT%H:%M}Z), or none",
        )
    if body.worker_id is not None and db.get(Worker, body.worker_id) is None:
        raise ValidationFailed(
            "no worker has that id",
            field="worker_id",
            value=body.worker_id,
            expected="the user id of a worker account, or none",
        )
    name = body.name.strip()
    if body.ended_at is None and _current_named(db, name, now):
        raise Conflict(
            "a current representative of that name is already recorded",
            field="name",
            value=name,
            expected="another name, or the one listed (GET /api/governance/representatives)",
        )
    representative = WorkerRepresentative(
        name=name,
        kind=body.kind,
        contact=body.contact.strip(),
        worker_id=body.worker_id,
        recognised_at=min(recognised_at, now),
        ended_at=body.ended_at,
        recorded_by_id=actor_id,
    )
    db.add(representative)
    db.flush()
    return representative


def _current_named(db: Session, name: str, now: datetime) -> bool:
    query = select(WorkerRepresentative).where(
        func.lower(WorkerRepresentative.name) == name.lower()
    )
    return any(is_current(r, now) for r in db.scalars(query))


# --- consultations ------------------------------------------------------------------------


def list_consultations(db: Session) -> list[ConsultationOut]:
    """Newest first, each with the representatives consulted."""
    newest = (Consultation.held_on.desc(), Consultation.id.desc())
    found = list(db.scalars(select(Consultation).order_by(*newest)))
    consulted: dict[int, list[int]] = {c.id: [] for c in found}
    pairs = db.execute(
        select(Consultee.consultation_id, Consultee.representative_id).order_by(
            Consultee.representative_id
        )
    )
    for consultation_id, representative_id in pairs:
        if consultation_id in consulted:
            consulted[consultation_id].append(representative_id)
    return [_consultation_out(c, consulted[c.id]) for c in found]


def _consultation_out(consultation: Consultation, representative_ids: list[int]) -> ConsultationOut:
    return ConsultationOut(
        id=consultation.id,
        topic=consultation.topic,
        held_on=consultation.held_on,
        summary=consultation.summary,
        outcome=consultation.outcome,
        representative_ids=representative_ids,
        recorded_by_id=consultation.recorded_by_id,
        created_at=consultation.created_at,
    )


def record_consultation(db: Session, body: ConsultationIn, actor_id: int) -> ConsultationOut:
    """Checked in full before anything is written: held already, and with representatives
    who are recorded, still recognised, and were recognised by that day."""
    now = utcnow()
    if body.held_on > now.date():
        raise ValidationFailed(
            "record a consultation once it has been held",
            field="held_on",
            value=body.held_on.isoformat(),
            expected=f"{now.date().isoformat()} or earlier",
        )
    _check_consulted(db, body.representative_ids, body.held_on, now)
    consultation = Consultation(
        topic=body.topic,
        held_on=body.held_on,
        summary=body.summary.strip(),
        outcome=body.outcome.strip(),
        recorded_by_id=actor_id,
    )
    db.add(consultation)
    db.flush()
    ids = sorted(body.representative_ids)
    db.add_all(Consultee(consultation_id=consultation.id, representative_id=i) for i in ids)
    db.flush()
    return _consultation_out(consultation, ids)


def _check_consulted(db: Session, ids: list[int], held_on: date, now: datetime) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise _bad_representative(repeated[0], "a representative is named twice", "each id once")
    found = {
        r.id: r
        for r in db.scalars(select(WorkerRepresentative).where(WorkerRepresentative.id.in_(ids)))
    }
    for representative_id in ids:
        representative = found.get(representative_id)
        if representative is None:
            raise _bad_representative(
                representative_id,
                "no representative has that id",
                "the id of a recorded representative (GET /api/governance/representatives)",
            )
        if not is_current(representative, now):
            raise _bad_representative(
                representative_id,
                f"{representative.name} is no longer a recognised representative",
                "the id of a current representative",
            )
        if representative.recognised_at.date() > held_on:
            raise _bad_representative(
                representative_id,
                f"{representative.name} was recognised only on "
                f"{representative.recognised_at:%Y-%m-%d}, after the consultation",
                f"a representative recognised on or before {held_on.isoformat()}",
            )


def _bad_representative(value: Any, message: str, expected: str) -> ValidationFailed:
    return ValidationFailed(message, field="representative_ids", value=value, expected=expected)
