"""Wellness and voice: content risks a project declares, workers' opt-ins, exposures counted
against daily caps, break prompts, and workers' ratings of projects.

An exposure is recorded when a risky item is leased, not when it is revealed: the count
then never depends on the browser reporting back, and a prefetched or returned item
counts too, so a cap can only err towards showing less. An item's categories are those
its `meta.content_risks` names among the project's, or all the project's when it names
none."""

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from fairlabel.db import settings_of
from fairlabel.errors import Forbidden, NotFound, ValidationFailed
from fairlabel.models import Assignment, AssignmentStatus, Exposure, ProjectRating, RiskOptIn
from fairlabel.wellness import risks
from fairlabel.wellness.schemas import (
    ContentNotice,
    ContentRisks,
    ExposureCapReached,
    MissingOptIns,
    RatingIn,
    RatingSummary,
    RiskCategory,
    SupportResource,
)

EXPOSURES = cast(Table, Exposure.__table__)
OPT_INS = cast(Table, RiskOptIn.__table__)
#: Fewer ratings than this and comments are not shown: a client could guess who wrote one.
COMMENTS_FROM = 3
#: How far back a stretch of risky items is looked for; a stretch longer is still a stretch.
STRETCH_LOOKBACK = 1000

# --- the published list ------------------------------------------------------------------


def published(operator_cap: int) -> ContentRisks:
    return ContentRisks(
        note=risks.SUPPORT_NOTE,
        categories=risks.CATEGORIES,
        general_support=risks.GENERAL_SUPPORT,
        operator_cap_per_day=operator_cap,
    )


def category(name: str) -> RiskCategory:
    """A published category by name; an unknown one answers 404."""
    found = risks.BY_NAME.get(name)
    if found is None:
        raise NotFound(
            "no such content-risk category",
            field="category",
            value=name,
            expected=f"one of {', '.join(risks.BY_NAME)}",
        )
    return found


def support_for(categories: Iterable[RiskCategory]) -> list[SupportResource]:
    """The general resources, then each category's own."""
    return [*risks.GENERAL_SUPPORT, *(s for c in categories for s in c.support)]


def validated_settings(
    content_risks: list[str], exposure_caps: dict[str, int], operator_cap: int
) -> tuple[list[str], dict[str, int]]:
    """A project's risks and caps, checked: known categories, each once; a cap only for a
    declared risk, at least 1 and never above the operator's default."""
    unknown = [name for name in content_risks if name not in risks.BY_NAME]
    if unknown:
        raise ValidationFailed(
            "unknown content-risk category",
            field="content_risks",
            value=unknown,
            expected=f"categories from GET /api/content-risks: {', '.join(risks.BY_NAME)}",
        )
    declared = list(dict.fromkeys(content_risks))
    for name, cap in exposure_caps.items():
        if name not in declared:
            raise ValidationFailed(
                "an exposure cap for a risk the project does not declare",
                field=f"exposure_caps.{name}",
                value=cap,
                expected=f"a category in content_risks: {', '.join(declared) or '(none)'}",
            )
        if not 1 <= cap <= operator_cap:
            raise ValidationFailed(
                "a project may only lower the operator's daily exposure cap",
                field=f"exposure_caps.{name}",
                value=cap,
                expected=f"1 to {operator_cap} items a day",
            )
    return declared, dict(exposure_caps)


def daily_caps(
    content_risks: Sequence[str], exposure_caps: dict[str, int], operator_cap: int
) -> dict[str, int]:
    """Each declared risk's cap: the project's when it set one, never above the operator's."""
    return {
        name: min(exposure_caps.get(name, operator_cap), operator_cap) for name in content_risks
    }


def item_risks(project_risks: Sequence[str], meta: dict[str, Any]) -> list[str]:
    named = meta.get("content_risks")
    if isinstance(named, list) and named:
        return [name for name in project_risks if name in named]
    return list(project_risks)


# --- opt-ins ------------------------------------------------------------------------------


def require_worker(is_worker: bool) -> None:
    if not is_worker:
        raise Forbidden(
            "only workers opt into content or rate projects",
            field="role",
            value="member",
            expected="a worker account",
        )


def list_opt_ins(db: Session, worker_id: int) -> list[RiskOptIn]:
    query = select(RiskOptIn).where(RiskOptIn.worker_id == worker_id).order_by(RiskOptIn.category)
    return list(db.scalars(query))


def opt_in(db: Session, worker_id: int, name: str) -> RiskOptIn:
    """Idempotent: opting in twice keeps the first consent's date."""
    category(name)
    found = db.get(RiskOptIn, (worker_id, name))
    if found is None:
        found = RiskOptIn(worker_id=worker_id, category=name)
        db.add(found)
        db.flush()
    return found


def opt_out(db: Session, worker_id: int, name: str) -> None:
    """Withdrawing consent takes effect on the next task; leases already held stay."""
    category(name)
    found = db.get(RiskOptIn, (worker_id, name))
    if found is not None:
        db.delete(found)
        db.flush()


def missing_opt_ins(
    db: Session, project_risks: Sequence[str], worker_id: int
) -> MissingOptIns | None:
    """The project's risks this worker has not opted into; None when every one is covered."""
    if not project_risks:
        return None
    opted = set(
        db.scalars(
            select(OPT_INS.c.category).where(
                OPT_INS.c.worker_id == worker_id, OPT_INS.c.category.in_(list(project_risks))
            )
        )
    )
    missing = [name for name in project_risks if name not in opted]
    return MissingOptIns(missing=missing) if missing else None


# --- exposures and caps ---------------------------------------------------------------------


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day `now` falls in: caps count from midnight to midnight UTC."""
    start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    return start, start + timedelta(days=1)


def exposures_today(
    db: Session, worker_id: int, categories: Sequence[str], now: datetime
) -> dict[str, int]:
    start, end = day_bounds(now)
    rows = db.execute(
        select(EXPOSURES.c.category, func.count())
        .where(
            EXPOSURES.c.worker_id == worker_id,
            EXPOSURES.c.category.in_(list(categories)),
            EXPOSURES.c.exposed_at >= start,
            EXPOSURES.c.exposed_at < end,
        )
        .group_by(EXPOSURES.c.category)
    ).all()
    return {name: count for name, count in rows}


def cap_reached(
    db: Session,
    project_risks: Sequence[str],
    exposure_caps: dict[str, int],
    worker_id: int,
    now: datetime,
) -> ExposureCapReached | None:
    """The project's risks at today's cap for this worker: any one of them holds the
    worker back, since the next item may carry it."""
    if not project_risks:
        return None
    caps = daily_caps(project_risks, exposure_caps, settings_of(db).exposure_cap_per_day)
    counts = exposures_today(db, worker_id, project_risks, now)
    reached = [name for name, cap in caps.items() if counts.get(name, 0) >= cap]
    if not reached:
        return None
    return ExposureCapReached(categories=reached, resets_at=day_bounds(now)[1])


def record_exposures(
    db: Session,
    worker_id: int,
    project_id: int,
    item_id: int,
    categories: Sequence[str],
    now: datetime,
) -> None:
    rows = [
        {
            "worker_id": worker_id,
            "project_id": project_id,
            "item_id": item_id,
            "category": name,
            "exposed_at": now,
        }
        for name in categories
    ]
    if rows:
        db.connection().execute(insert(EXPOSURES), rows)


def risky_in_a_row(db: Session, worker_id: int, pause: timedelta) -> int:
    """Risky items leased to this worker since their last pause of at least `pause`."""
    leased = db.scalars(
        select(func.max(EXPOSURES.c.exposed_at))
        .where(EXPOSURES.c.worker_id == worker_id)
        .group_by(EXPOSURES.c.item_id)
        .order_by(func.max(EXPOSURES.c.exposed_at).desc())
        .limit(STRETCH_LOOKBACK)
    ).all()
    count = 0
    for later, earlier in zip(leased, [*leased[1:], None], strict=True):
        count += 1
        if earlier is None or later - earlier >= pause:
            break
    return count


def content_notice(
    db: Session,
    project_risks: Sequence[str],
    meta: dict[str, Any],
    lease: tuple[int, int, int] | None,
    now: datetime,
) -> ContentNotice | None:
    """What the workspace must show before a risky item; None for an item without risk.

    `lease` is (worker, project, item) for an item leased just now: its exposures are
    recorded and the stretch counted, which decides the break prompt."""
    names = item_risks(project_risks, meta)
    if not names:
        return None
    categories = [risks.BY_NAME[name] for name in names if name in risks.BY_NAME]
    in_a_row, break_due = 0, False
    if lease is not None:
        worker_id, project_id, item_id = lease
        record_exposures(db, worker_id, project_id, item_id, names, now)
        settings = settings_of(db)
        in_a_row = risky_in_a_row(db, worker_id, timedelta(minutes=settings.break_pause_minutes))
        every = settings.break_after_risky_items
        break_due = every > 0 and in_a_row > 1 and (in_a_row - 1) % every == 0
    return ContentNotice(
        categories=categories,
        support=support_for(categories),
        warning=True,
        risky_in_a_row=in_a_row,
        break_due=break_due,
    )


# --- ratings ------------------------------------------------------------------------------


def has_worked_on(db: Session, project_id: int, worker_id: int) -> bool:
    """Submitted at least one assignment there (labelling, rework or a review)."""
    found = db.scalar(
        select(Assignment.id)
        .where(
            Assignment.project_id == project_id,
            Assignment.worker_id == worker_id,
            Assignment.status == AssignmentStatus.submitted,
        )
        .limit(1)
    )
    return found is not None


def rate(
    db: Session, project_id: int, worker_id: int, body: RatingIn, now: datetime
) -> ProjectRating:
    """One rating per worker and project; rating again replaces it."""
    if not has_worked_on(db, project_id, worker_id):
        raise Forbidden(
            "only workers who submitted work on this project may rate it",
            field="project_id",
            value=project_id,
            expected="a project you have submitted work on",
        )
    rating = db.get(ProjectRating, (project_id, worker_id))
    if rating is None:
        rating = ProjectRating(project_id=project_id, worker_id=worker_id)
        db.add(rating)
    for name, value in body.model_dump().items():
        setattr(rating, name, value)
    rating.updated_at = now
    db.flush()
    return rating


def own_rating(db: Session, project_id: int, worker_id: int) -> ProjectRating | None:
    return db.get(ProjectRating, (project_id, worker_id))


def summaries(
    db: Session, project_ids: Sequence[int], *, with_comments: bool
) -> dict[int, RatingSummary]:
    """Each project's means and count in one statement; comments (for clients) only where
    at least COMMENTS_FROM workers rated, in text order so that order tells nothing."""
    rows = db.execute(
        select(
            ProjectRating.project_id,
            func.count(),
            func.avg(ProjectRating.instructions),
            func.avg(ProjectRating.pay),
            func.avg(ProjectRating.reviews),
        )
        .where(ProjectRating.project_id.in_(list(project_ids)))
        .group_by(ProjectRating.project_id)
    ).all()
    found = {row[0]: _summary(*row) for row in rows}
    result = {pid: found.get(pid) or _summary(pid, 0, None, None, None) for pid in project_ids}
    if with_comments:
        _add_comments(db, [s for s in result.values() if s.count >= COMMENTS_FROM])
    return result


def _summary(project_id: int, count: int, *means: Any) -> RatingSummary:
    instructions, pay, reviews = (None if m is None else round(float(m), 2) for m in means)
    return RatingSummary(
        project_id=project_id, count=count, instructions=instructions, pay=pay, reviews=reviews
    )


def _add_comments(db: Session, summaries: list[RatingSummary]) -> None:
    by_project = {s.project_id: s for s in summaries}
    for summary in summaries:
        summary.comments = []
    if not by_project:
        return
    rows = db.execute(
        select(ProjectRating.project_id, ProjectRating.comment)
        .where(ProjectRating.project_id.in_(list(by_project)), ProjectRating.comment != "")
        .order_by(ProjectRating.comment)
    )
    for project_id, comment in rows:
        cast(list[str], by_project[project_id].comments).append(comment)
