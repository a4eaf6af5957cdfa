"""A project's dashboard figures, each one SQL aggregate: a dashboard must stay fast when a
project holds millions of items, so nothing here loops over rows in Python."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from fairlabel.models import Annotation, Item, Project, User

#: Bars in the throughput chart; older buckets are summed into nothing (the chart says so).
MAX_BUCKETS = 60


@dataclass(frozen=True, slots=True)
class Bucket:
    """Annotations submitted in one hour or day (UTC)."""

    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What a client watches: how far the project is, who does the work (by pseudonym), how fast."""

    items: int
    new: int
    in_progress: int
    done: int
    annotations: int
    median_ms: int | None
    workers: list[tuple[str, int, int | None]]
    throughput: list[Bucket]
    bucket: str

    @property
    def progress(self) -> float:
        return self.done / self.items if self.items else 0.0


def item_counts(db: Session, project_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(items, done items) per project, for the project list, in one query."""
    if not project_ids:
        return {}
    rows = db.execute(
        select(Item.project_id, func.count(Item.id), func.sum(_done()))
        .join(Project, Project.id == Item.project_id)
        .where(Item.project_id.in_(project_ids))
        .group_by(Item.project_id)
    ).all()
    return {pid: (int(total), int(done or 0)) for pid, total, done in rows}


def _done() -> ColumnElement[int]:
    """exports.service.item_status's "done" as SQL: every requested label is in."""
    return case((Item.submitted >= Project.overlap, 1), else_=0)


def dashboard(db: Session, project: Project) -> Dashboard:
    total, done, in_progress = db.execute(
        select(
            func.count(Item.id),
            func.coalesce(func.sum(case((Item.submitted >= project.overlap, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case(((Item.submitted < project.overlap) & (Item.taken > 0), 1), else_=0)),
                0,
            ),
        ).where(Item.project_id == project.id)
    ).one()
    latest = (Annotation.project_id == project.id) & Annotation.is_latest
    annotations = db.scalar(select(func.count(Annotation.id)).where(latest)) or 0
    workers = [
        (pseudonym, int(count), int(ms) if ms is not None else None)
        for pseudonym, count, ms in db.execute(
            select(
                User.pseudonym,
                func.count(Annotation.id),
                func.cast(func.avg(Annotation.time_spent_ms), Integer),
            )
            .join(User, User.id == Annotation.worker_id)
            .where(latest)
            .group_by(User.pseudonym)
            .order_by(func.count(Annotation.id).desc(), User.pseudonym)
        )
    ]
    throughput, bucket = _throughput(db, project.id)
    return Dashboard(
        items=int(total),
        new=int(total) - int(done) - int(in_progress),
        in_progress=int(in_progress),
        done=int(done),
        annotations=int(annotations),
        median_ms=_median_ms(db, latest, int(annotations)),
        workers=workers,
        throughput=throughput,
        bucket=bucket,
    )


def _median_ms(db: Session, where: ColumnElement[bool], count: int) -> int | None:
    """The median by OFFSET, which SQLite and PostgreSQL both have (percentile_cont is
    PostgreSQL's only); for an even count, the mean of the two middle values."""
    if not count:
        return None
    middle = list(
        db.scalars(
            select(Annotation.time_spent_ms)
            .where(where)
            .order_by(Annotation.time_spent_ms)
            .offset((count - 1) // 2)
            .limit(2 - count % 2)
        )
    )
    return round(sum(middle) / len(middle))


def _throughput(db: Session, project_id: int) -> tuple[list[Bucket], str]:
    """Submissions per hour when the work so far spans under two days, else per day."""
    submitted = Annotation.project_id == project_id
    first, last = db.execute(
        select(func.min(Annotation.created_at), func.max(Annotation.created_at)).where(submitted)
    ).one()
    if first is None:
        return [], "day"
    span = _as_datetime(last) - _as_datetime(first)
    bucket = "hour" if span.total_seconds() < 2 * 86400 else "day"
    key = _bucket_key(db, bucket)
    rows = db.execute(
        select(key, func.count(Annotation.id))
        .where(submitted)
        .group_by(key)
        .order_by(key.desc())
        .limit(MAX_BUCKETS)
    ).all()
    return [Bucket(str(label), int(count)) for label, count in reversed(rows)], bucket


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _bucket_key(db: Session, bucket: str) -> ColumnElement[str]:
    """The UTC hour or day of a submission as text, in each dialect's words."""
    if db.get_bind().dialect.name == "postgresql":
        pattern = "YYYY-MM-DD HH24:00" if bucket == "hour" else "YYYY-MM-DD"
        return func.to_char(func.timezone("UTC", Annotation.created_at), pattern)
    pattern = "%Y-%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d"
    return func.strftime(pattern, Annotation.created_at)
