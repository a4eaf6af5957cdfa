"""The Fairwork report: each of the ten cloudwork thresholds (/work/shared/fairwork.md),
measured from what the platform recorded, with its figures, the rule and whether it holds.

Every figure reads the tables directly, so the report judges the records, not the code
that wrote them. `since` limits each record by its own date (work by when it ended,
money by when it moved, appeals by when they were made). A threshold with nothing to
judge it by says "no data" rather than holding by default."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, Executable, case, func, select
from sqlalchemy.orm import Session

from fairlabel.config import Settings
from fairlabel.db import utcnow
from fairlabel.governance.service import CONSULTATION_WINDOW_DAYS, TERMS_NOTICE_DAYS
from fairlabel.models import (
    Annotation,
    Appeal,
    AppealStatus,
    Assignment,
    AssignmentStatus,
    Consultation,
    Draft,
    EntryKind,
    ExchangeRate,
    Exposure,
    Feedback,
    LedgerEntry,
    Notice,
    PayFloor,
    Project,
    ProjectRating,
    ProjectStatus,
    QualificationAttempt,
    Review,
    RiskOptIn,
    Sanction,
    TermsAcceptance,
    TermsVersion,
    User,
    Verdict,
    Worker,
    WorkerRepresentative,
)
from fairlabel.pay.floors import convert
from fairlabel.reports.schemas import FairworkReport, Threshold
from fairlabel.wellness.service import daily_caps

#: Pay later than this after submission is not "within an agreed time".
PAY_WITHIN_DAYS = 14
#: A worker week above this many measured hours counts as overwork.
WEEK_HOURS_LIMIT = 48
#: Feedback older than this must have an answer.
FEEDBACK_ANSWER_DAYS = 14
#: Groups whose favourable rates differ by more than this ratio fail the equity check
#: (the "four-fifths rule" of adverse-impact analysis).
EQUITY_RATIO = 0.8
#: Ledger kinds that make up what a worker earned (a reversal is negative).
EARNING_KINDS = (EntryKind.earned, EntryKind.bonus, EntryKind.top_up, EntryKind.reversal)


@dataclass(frozen=True, slots=True)
class Context:
    db: Session
    settings: Settings
    since: datetime | None
    now: datetime

    def after(self, column: Any) -> ColumnElement[bool]:
        """Records on or after `since` (all records when it is None)."""
        return column >= self.since if self.since is not None else column.is_not(None)


def report(db: Session, settings: Settings, since: date | None = None) -> FairworkReport:
    start = datetime.combine(since, datetime.min.time(), tzinfo=UTC) if since else None
    ctx = Context(db, settings, start, utcnow())
    thresholds = [measure(ctx) for measure in MEASURES]
    return FairworkReport(
        since=since,
        generated_at=ctx.now,
        points=sum(1 for t in thresholds if t.holds),
        thresholds=thresholds,
    )


# --- helpers ------------------------------------------------------------------------------


def share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else round(part / whole, 4)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return round(ordered[int(rank) - 1], 2)


def days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def rows(ctx: Context, query: Executable) -> list[Any]:
    return list(ctx.db.execute(query).all())


# --- 1.1 paid on time and for all completed work -------------------------------------------


def paid_on_time(ctx: Context) -> Threshold:
    submitted = _submitted_paid_work(ctx)
    earned = _first_entry(ctx, EntryKind.earned)
    approved = _first_entry(ctx, EntryKind.approved)
    payouts = _payouts_by_worker(ctx)
    waits = []
    for assignment_id, worker_id, ended_at in submitted:
        paid_at = _paid_after(payouts.get(worker_id, []), approved.get(assignment_id))
        if paid_at is not None:
            waits.append(days(paid_at - ended_at))
    rejections, cited = _rejections(ctx)
    unearned = sum(1 for a in submitted if a[0] not in earned)
    p95 = percentile(waits, 95)
    figures = {
        "submitted_paid_work": len(submitted),
        "share_earned": share(len(submitted) - unearned, len(submitted)),
        "share_approved": share(sum(1 for a in submitted if a[0] in approved), len(submitted)),
        "share_paid_out": share(len(waits), len(submitted)),
        "median_days_submit_to_paid": round(median(waits), 2) if waits else None,
        "p95_days_submit_to_paid": p95,
        "rejections": rejections,
        "share_rejections_with_reason_and_guideline": share(cited, rejections),
    }
    holds = None
    if submitted:
        holds = unearned == 0 and cited == rejections and (p95 is None or p95 <= PAY_WITHIN_DAYS)
    return Threshold(
        id="1.1",
        title="Paid on time and for all completed work",
        figures=figures,
        target=f"all submitted work earns its pay; every rejection cites a reason and a "
        f"guideline section; p95 submit→paid ≤ {PAY_WITHIN_DAYS} days",
        **_why(
            holds,
            "every submitted task earned its pay and rejections cite their reasons",
            f"{unearned} submitted task(s) without earned pay, {rejections - cited} "
            f"rejection(s) without a citation, or p95 above {PAY_WITHIN_DAYS} days",
            "no paid work was submitted in the period",
        ),
    )


def _submitted_paid_work(ctx: Context) -> list[tuple[int, int, datetime]]:
    return rows(
        ctx,
        select(Assignment.id, Assignment.worker_id, Assignment.ended_at).where(
            Assignment.status == AssignmentStatus.submitted,
            Assignment.rate_minor > 0,
            ctx.after(Assignment.ended_at),
        ),
    )


def _first_entry(ctx: Context, kind: EntryKind) -> dict[int, datetime]:
    """When each assignment's pay first reached `kind`."""
    found = rows(
        ctx,
        select(LedgerEntry.assignment_id, func.min(LedgerEntry.created_at))
        .where(LedgerEntry.kind == kind, LedgerEntry.assignment_id.is_not(None))
        .group_by(LedgerEntry.assignment_id),
    )
    return {assignment_id: at for assignment_id, at in found}


def _payouts_by_worker(ctx: Context) -> dict[int, list[datetime]]:
    """Each worker's payout times, oldest first: a payout pays every approved balance."""
    found = rows(
        ctx,
        select(LedgerEntry.worker_id, LedgerEntry.created_at)
        .where(LedgerEntry.kind == EntryKind.paid, LedgerEntry.amount_minor > 0)
        .order_by(LedgerEntry.created_at),
    )
    by_worker: dict[int, list[datetime]] = defaultdict(list)
    for worker_id, at in found:
        by_worker[worker_id].append(at)
    return by_worker


def _paid_after(payouts: Iterable[datetime], approved_at: datetime | None) -> datetime | None:
    if approved_at is None:
        return None
    return next((at for at in payouts if at >= approved_at), None)


def _rejections(ctx: Context) -> tuple[int, int]:
    found = rows(
        ctx,
        select(Review.reason_code, Review.guideline_ref).where(
            Review.verdict == Verdict.reject, ctx.after(Review.created_at)
        ),
    )
    return len(found), sum(1 for code, ref in found if code and ref)


def _why(holds: bool | None, good: str, bad: str, empty: str) -> dict[str, Any]:
    """The verdict fields of a Threshold."""
    return {"holds": holds, "why": empty if holds is None else good if holds else bad}


# --- 1.2 at least the local minimum wage ------------------------------------------------------


def minimum_wage(ctx: Context) -> Threshold:
    hours = _worker_hours(ctx)
    earnings = _worker_earnings_usd(ctx)
    floors = _floors_usd(ctx)
    countries = _countries(ctx)
    total: dict[str, float] = defaultdict(float)
    at_floor: dict[str, float] = defaultdict(float)
    for worker_id, worked in hours.items():
        country = countries.get(worker_id) or "unknown"
        total[country] += worked
        floor = floors.get(country)
        if floor is not None and earnings.get(worker_id, 0.0) / worked >= floor - 1e-9:
            at_floor[country] += worked
    without_floor = sorted(c for c in total if c not in floors)
    all_hours = sum(total.values())
    figures = {
        "measured_hours": round(all_hours, 2),
        "share_hours_at_or_above_floor": share(sum(at_floor.values()), all_hours),
        "by_country": {c: share(at_floor[c], total[c]) for c in sorted(total)},
        "countries_without_floor_or_rate": without_floor,
    }
    holds = (
        None if not total else (not without_floor and sum(at_floor.values()) >= all_hours - 1e-9)
    )
    return Threshold(
        id="1.2",
        title="Paid at least the local minimum wage",
        figures=figures,
        target="every measured hour (paid work, returned and expired tasks, tests) earns at "
        "least the floor of the worker's country",
        **_why(
            holds,
            "every measured hour reached its country's floor",
            "some hours fell below the floor, or a country has no floor or exchange rate",
            "no measured working time in the period",
        ),
    )


def _worker_hours(ctx: Context) -> dict[int, float]:
    """Measured time per worker, paid or not: submitted annotations, the drafts of tasks
    returned or left to expire, and qualification tests."""
    queries = [
        select(Annotation.worker_id, func.sum(Annotation.time_spent_ms))
        .where(Annotation.source == "worker", ctx.after(Annotation.created_at))
        .group_by(Annotation.worker_id),
        select(Assignment.worker_id, func.sum(Draft.time_spent_ms))
        .join(Draft, Draft.assignment_id == Assignment.id)
        .where(
            Assignment.status.in_([AssignmentStatus.returned, AssignmentStatus.expired]),
            ctx.after(Assignment.ended_at),
        )
        .group_by(Assignment.worker_id),
        select(QualificationAttempt.worker_id, func.sum(QualificationAttempt.time_spent_ms))
        .where(ctx.after(QualificationAttempt.started_at))
        .group_by(QualificationAttempt.worker_id),
    ]
    hours: dict[int, float] = defaultdict(float)
    for query in queries:
        for worker_id, ms in rows(ctx, query):
            hours[worker_id] += (ms or 0) / 3_600_000
    return {worker_id: h for worker_id, h in hours.items() if h > 0}


def _rates(ctx: Context) -> dict[str, float]:
    return {"USD": 1.0, **dict(rows(ctx, select(ExchangeRate.currency, ExchangeRate.per_usd)))}


def _worker_earnings_usd(ctx: Context) -> dict[int, float]:
    """What each worker earned (less reversals), in US dollars."""
    found = rows(
        ctx,
        select(LedgerEntry.worker_id, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
        .where(
            LedgerEntry.kind.in_(EARNING_KINDS),
            LedgerEntry.worker_id.is_not(None),
            (LedgerEntry.amount_minor > 0) | (LedgerEntry.kind == EntryKind.reversal),
            ctx.after(LedgerEntry.created_at),
        )
        .group_by(LedgerEntry.worker_id, LedgerEntry.currency),
    )
    rates = _rates(ctx)
    earned: dict[int, float] = defaultdict(float)
    for worker_id, currency, amount in found:
        if currency in rates:
            earned[worker_id] += convert(int(amount), currency, "USD", rates) / 100
    return earned


def _floors_usd(ctx: Context) -> dict[str, float]:
    """Each country's hourly floor in US dollars, where the operator set its currency's rate."""
    rates = _rates(ctx)
    found = rows(ctx, select(PayFloor.country, PayFloor.currency, PayFloor.hourly_minor))
    return {
        country: convert(minor, currency, "USD", rates) / 100
        for country, currency, minor in found
        if currency in rates
    }


def _countries(ctx: Context) -> dict[int, str | None]:
    return dict(rows(ctx, select(Worker.user_id, Worker.country)))


# --- 2.1 task-specific risks ----------------------------------------------------------------


def risks_mitigated(ctx: Context) -> Threshold:
    operator_cap = ctx.settings.exposure_cap_per_day
    projects = {
        pid: daily_caps(risks, caps or {}, operator_cap)
        for pid, risks, caps in rows(
            ctx, select(Project.id, Project.content_risks, Project.exposure_caps)
        )
        if risks
    }
    exposures = rows(
        ctx,
        select(
            Exposure.worker_id, Exposure.project_id, Exposure.category, Exposure.exposed_at
        ).where(ctx.after(Exposure.exposed_at)),
    )
    opted = {
        (w, c): at
        for w, c, at in rows(
            ctx, select(RiskOptIn.worker_id, RiskOptIn.category, RiskOptIn.created_at)
        )
    }
    per_day: dict[tuple[int, str, date], int] = defaultdict(int)
    covered = 0
    for worker_id, _project, category, at in exposures:
        per_day[(worker_id, category, at.date())] += 1
        consent = opted.get((worker_id, category))
        covered += consent is not None and consent <= at
    strictest = _strictest_caps(projects.values())
    over = sum(1 for (_w, c, _d), n in per_day.items() if n > strictest.get(c, operator_cap))
    figures = {
        "projects_declaring_risks": len(projects),
        "exposures": len(exposures),
        "highest_per_worker_day": max(per_day.values(), default=0),
        "operator_cap_per_day": operator_cap,
        "worker_days_over_cap": over,
        "share_exposures_opted_in": share(covered, len(exposures)),
    }
    holds = None if not exposures else over == 0 and covered == len(exposures)
    return Threshold(
        id="2.1",
        title="Task-specific risks mitigated",
        figures=figures,
        target="every exposure to a declared risk was opted into beforehand, and no worker "
        "passed a category's daily cap",
        **_why(
            holds,
            "all exposures were consented to and within the daily caps",
            f"{over} worker-day(s) over a cap or {len(exposures) - covered} exposure(s) "
            "without an opt-in",
            "no risky items were shown in the period",
        ),
    )


def _strictest_caps(caps: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The highest cap any project allows per category: a worker-day above it is over
    every project's cap. (A day's items may span projects with different caps.)"""
    strictest: dict[str, int] = {}
    for project_caps in caps:
        for category, cap in project_caps.items():
            strictest[category] = max(cap, strictest.get(category, 0))
    return strictest


# --- 2.2 overwork and precarity --------------------------------------------------------------


def overwork(ctx: Context) -> Threshold:
    weeks: dict[tuple[int, int, int], float] = defaultdict(float)
    found = rows(
        ctx,
        select(Annotation.worker_id, Annotation.created_at, Annotation.time_spent_ms).where(
            Annotation.source == "worker", ctx.after(Annotation.created_at)
        ),
    )
    for worker_id, at, ms in found:
        year, week, _day = at.isocalendar()
        weeks[(worker_id, year, week)] += ms / 3_600_000
    notice_days = [
        days(effective - created)
        for effective, created in rows(
            ctx, select(Notice.effective_at, Notice.created_at).where(ctx.after(Notice.created_at))
        )
    ]
    required = ctx.settings.work_end_notice_days
    hours = list(weeks.values())
    short = sum(1 for d in notice_days if d < required)
    over = sum(1 for h in hours if h > WEEK_HOURS_LIMIT)
    figures = {
        "worker_weeks": len(hours),
        "median_hours_per_worker_week": round(median(hours), 2) if hours else None,
        "p95_hours_per_worker_week": percentile(hours, 95),
        "worker_weeks_over_limit": over,
        "notices": len(notice_days),
        "min_notice_days": round(min(notice_days), 2) if notice_days else None,
        "notices_shorter_than_required": short,
    }
    holds = None if not hours and not notice_days else over == 0 and short == 0
    return Threshold(
        id="2.2",
        title="Overwork and precarity mitigated",
        figures=figures,
        target=f"no worker week above {WEEK_HOURS_LIMIT} measured hours; every end of work "
        f"announced at least {required} days ahead",
        **_why(
            holds,
            "no overlong weeks and every ending came with its notice",
            f"{over} overlong worker week(s), {short} notice(s) shorter than required",
            "no work and no notices in the period",
        ),
    )


# --- 3.1 clear terms ------------------------------------------------------------------------


def clear_terms(ctx: Context) -> Threshold:
    with_terms, active = _complete_projects(ctx)
    published = rows(
        ctx,
        select(TermsVersion.number, TermsVersion.published_at, TermsVersion.effective_at)
        .where(ctx.after(TermsVersion.published_at))
        .order_by(TermsVersion.number),
    )
    current = ctx.db.scalar(
        select(func.max(TermsVersion.number)).where(TermsVersion.effective_at <= ctx.now)
    )
    notice = timedelta(days=TERMS_NOTICE_DAYS)
    short = [
        n for n, published_at, effective in published if n > 1 and effective - published_at < notice
    ]
    figures = {
        "terms_versions": len(published),
        "current_terms_version": current,
        "versions_with_short_notice": len(short),
        "share_active_workers_acknowledged_current": _acknowledged_share(ctx, current),
        "active_projects": active,
        "share_with_guidelines_pay_and_review_rules": share(with_terms, active),
    }
    problems = []
    if current is None:
        problems.append("no version of the platform terms is in effect")
    if short:
        listed = ", ".join(str(n) for n in short)
        problems.append(f"version(s) {listed} gave less than {TERMS_NOTICE_DAYS} days' notice")
    if with_terms < active:
        problems.append(
            f"project terms are incomplete on {active - with_terms} of {active} active project(s)"
        )
    return Threshold(
        id="3.1",
        title="Clear terms available",
        figures=figures,
        target=f"versioned platform terms in effect, every version after the first announced "
        f"at least {TERMS_NOTICE_DAYS} days ahead, and every active project's guidelines, "
        "pay and review rules shown before acceptance",
        holds=not problems,
        why="; ".join(problems)
        if problems
        else f"terms version {current} is in effect, later versions were announced "
        f"{TERMS_NOTICE_DAYS} days ahead, and all {active} active project(s) show their "
        "guidelines, pay and review rules",
    )


def _complete_projects(ctx: Context) -> tuple[int, int]:
    """(active projects with guidelines, a label rate and review reasons, active projects)."""
    active = rows(
        ctx,
        select(
            Project.guideline_version, Project.rates, Project.workflow, Project.rejection_reasons
        ).where(Project.status == ProjectStatus.active),
    )
    complete = sum(
        1
        for version, rates, workflow, reasons in active
        if version > 0 and (rates or {}).get("label", 0) > 0 and (reasons or not workflow)
    )
    return complete, len(active)


def _acknowledged_share(ctx: Context, current: int | None) -> float | None:
    """Of the active workers, the share who acknowledged the version in effect."""
    if current is None:
        return None
    workers = (
        select(Worker.user_id).join(User, User.id == Worker.user_id).where(User.is_active.is_(True))
    )
    total = ctx.db.scalar(select(func.count()).select_from(workers.subquery())) or 0
    acknowledged = ctx.db.scalar(
        select(func.count())
        .select_from(TermsAcceptance)
        .where(TermsAcceptance.number == current, TermsAcceptance.worker_id.in_(workers))
    )
    return share(acknowledged or 0, total)


# --- 3.2 contracts consistent with terms ---------------------------------------------------


def rates_kept(ctx: Context) -> Threshold:
    locked = rows(
        ctx,
        select(
            Assignment.id,
            Assignment.rate_minor,
            Assignment.currency,
            Project.pay_basis,
            LedgerEntry.amount_minor,
            LedgerEntry.currency,
        )
        .join(Project, Project.id == Assignment.project_id)
        .join(LedgerEntry, LedgerEntry.assignment_id == Assignment.id)
        .where(
            LedgerEntry.kind == EntryKind.earned,
            LedgerEntry.amount_minor > 0,
            Assignment.rate_minor.is_not(None),
            ctx.after(LedgerEntry.created_at),
        ),
    )
    changed = sum(
        1
        for _id, rate, currency, basis, amount, paid_currency in locked
        if paid_currency != currency or (basis == "item" and amount != rate)
    )
    figures = {"paid_assignments_checked": len(locked), "rate_changes_after_acceptance": changed}
    holds = None if not locked else changed == 0
    return Threshold(
        id="3.2",
        title="Contracts consistent with terms",
        figures=figures,
        target="0 rate changes after acceptance (pay earned = rate locked on the assignment)",
        **_why(
            holds,
            "every task earned exactly the rate locked when it was accepted",
            f"{changed} task(s) earned other than their locked rate",
            "no paid work in the period",
        ),
    )


# --- 4.1 due process ------------------------------------------------------------------------


def due_process(ctx: Context) -> Threshold:
    appeals = rows(
        ctx,
        select(Appeal.status, Appeal.due_at, Appeal.decided_at, Appeal.decided_by_id).where(
            ctx.after(Appeal.created_at)
        ),
    )
    due = [a for a in appeals if a.decided_at is not None or a.due_at <= ctx.now]
    in_time = sum(1 for a in due if a.decided_at is not None and a.decided_at <= a.due_at)
    overdue_open = sum(1 for a in due if a.status == AppealStatus.open)
    sanctions = rows(
        ctx,
        select(
            Sanction.reason_code,
            Sanction.evidence,
            Sanction.fraud_proven,
            Sanction.effective_at,
            Sanction.created_at,
        ).where(ctx.after(Sanction.created_at)),
    )
    notice = timedelta(days=ctx.settings.sanction_notice_days)
    full = sum(
        1
        for code, evidence, fraud, effective, created in sanctions
        if code and evidence.strip() and (fraud or effective - created >= notice)
    )
    figures = {
        "appeals_due": len(due),
        "share_answered_in_time": share(in_time, len(due)),
        "decided_for_worker_after_deadline": sum(
            1
            for a in due
            if a.status == AppealStatus.upheld and a.decided_at and a.decided_at > a.due_at
        ),
        "open_past_deadline": overdue_open,
        "sanctions": len(sanctions),
        "share_sanctions_with_reason_evidence_notice": share(full, len(sanctions)),
    }
    holds = None if not due and not sanctions else overdue_open == 0 and full == len(sanctions)
    return Threshold(
        id="4.1",
        title="Due process for decisions affecting workers",
        figures=figures,
        target="no appeal left open past its deadline (late ones are decided for the worker); "
        "every sanction with reason code, evidence and notice (none only for proven fraud)",
        **_why(
            holds,
            "appeals were settled by their deadline and sanctions followed due process",
            f"{overdue_open} appeal(s) open past the deadline or "
            f"{len(sanctions) - full} sanction(s) without full due process",
            "no appeals due and no sanctions in the period",
        ),
    )


# --- 4.2 equity ----------------------------------------------------------------------------


def equity(ctx: Context) -> Threshold:
    profiles = rows(ctx, select(Worker.user_id, Worker.country, Worker.languages))
    hours = _worker_hours(ctx)
    earnings = _worker_earnings_usd(ctx)
    reviewed = _reviews_by_worker(ctx)
    sanctioned = {
        w for (w,) in rows(ctx, select(Sanction.worker_id).where(ctx.after(Sanction.created_at)))
    }
    groups = {
        "country": {u: [c or "unknown"] for u, c, _l in profiles},
        "language": {u: list(langs or []) or ["unknown"] for u, _c, langs in profiles},
    }
    figures: dict[str, Any] = {}
    ratios: list[float] = []
    for by, membership in groups.items():
        rates = _group_rates(membership, hours, earnings, reviewed, sanctioned)
        figures[f"by_{by}"] = rates
        for measure in ("hourly_usd", "acceptance_rate", "unsanctioned_rate"):
            ratio = _ratio([float(v) for r in rates.values() if (v := r[measure]) is not None])
            figures[f"{measure}_ratio_by_{by}"] = ratio
            if ratio is not None:
                ratios.append(ratio)
    holds = None if not ratios else min(ratios) >= EQUITY_RATIO
    return Threshold(
        id="4.2",
        title="Equity in management",
        figures=figures,
        target=f"between countries and between languages, the lowest group's pay per hour, "
        f"acceptance and unsanctioned rates are at least {EQUITY_RATIO:.0%} of the highest's",
        **_why(
            holds,
            "no group's pay, acceptance or sanction rate falls behind the others",
            f"a group falls below {EQUITY_RATIO:.0%} of the best-off group (lowest ratio "
            f"{min(ratios, default=0):.2f})",
            "fewer than two groups with data to compare",
        ),
    )


def _reviews_by_worker(ctx: Context) -> dict[int, tuple[int, int]]:
    """(reviews, rejections) of each worker's work."""
    found = rows(
        ctx,
        select(
            Review.worker_id,
            func.count(),
            func.sum(case((Review.verdict == Verdict.reject, 1), else_=0)),
        )
        .where(ctx.after(Review.created_at))
        .group_by(Review.worker_id),
    )
    return {w: (n, int(rejected or 0)) for w, n, rejected in found}


def _group_rates(
    membership: Mapping[int, list[str]],
    hours: Mapping[int, float],
    earnings: Mapping[int, float],
    reviewed: Mapping[int, tuple[int, int]],
    sanctioned: set[int],
) -> dict[str, dict[str, float | int | None]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0, 0])
    for worker_id, names in membership.items():
        n, rejected = reviewed.get(worker_id, (0, 0))
        for name in names:
            t = totals[name]
            t[0] += 1
            t[1] += hours.get(worker_id, 0.0)
            t[2] += earnings.get(worker_id, 0.0)
            t[3] += n
            t[4] += rejected
            t[5] += worker_id in sanctioned
    return {
        name: {
            "workers": int(t[0]),
            "hourly_usd": round(t[2] / t[1], 2) if t[1] > 0 else None,
            "acceptance_rate": share(int(t[3] - t[4]), int(t[3])),
            "unsanctioned_rate": share(int(t[0] - t[5]), int(t[0])),
        }
        for name, t in sorted(totals.items())
    }


def _ratio(values: list[float]) -> float | None:
    """Lowest over highest, for two groups or more."""
    if len(values) < 2 or max(values) <= 0:
        return None
    return round(min(values) / max(values), 4)


# --- 5.1 voice ----------------------------------------------------------------------------


def voice(ctx: Context) -> Threshold:
    ratings = rows(
        ctx,
        select(ProjectRating.project_id).where(ctx.after(ProjectRating.updated_at)),
    )
    feedback = rows(
        ctx,
        select(Feedback.created_at, Feedback.answered_at).where(ctx.after(Feedback.created_at)),
    )
    old_enough = ctx.now - timedelta(days=FEEDBACK_ANSWER_DAYS)
    owed = [f for f in feedback if f.created_at <= old_enough]
    unanswered = sum(1 for f in owed if f.answered_at is None)
    waits = [days(f.answered_at - f.created_at) for f in feedback if f.answered_at is not None]
    figures = {
        "ratings": len(ratings),
        "projects_rated": len({r.project_id for r in ratings}),
        "feedback": len(feedback),
        "share_feedback_answered": share(sum(1 for f in feedback if f.answered_at), len(feedback)),
        "median_days_to_answer": round(median(waits), 2) if waits else None,
        f"unanswered_after_{FEEDBACK_ANSWER_DAYS}_days": unanswered,
    }
    holds = None if not ratings and not feedback else unanswered == 0
    return Threshold(
        id="5.1",
        title="Worker voice and freedom of association",
        figures=figures,
        target=f"workers rate projects (anonymously to clients) and every feedback gets an "
        f"answer within {FEEDBACK_ANSWER_DAYS} days",
        **_why(
            holds,
            "workers use the channels and every feedback was answered in time",
            f"{unanswered} feedback item(s) unanswered after {FEEDBACK_ANSWER_DAYS} days",
            "no ratings and no feedback in the period",
        ),
    )


# --- 5.2 collective governance ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyChange:
    topic: str
    at: datetime
    what: str


def governance(ctx: Context) -> Threshold:
    representatives = sum(
        1
        for recognised, ended in rows(
            ctx, select(WorkerRepresentative.recognised_at, WorkerRepresentative.ended_at)
        )
        if recognised <= ctx.now and (ended is None or ended > ctx.now)
    )
    held = rows(ctx, select(Consultation.topic, Consultation.held_on))
    since = ctx.since.date() if ctx.since is not None else None
    in_period = sum(1 for _topic, on in held if since is None or on >= since)
    changes = _policy_changes(ctx)
    window = timedelta(days=CONSULTATION_WINDOW_DAYS)
    missing = [
        change
        for change in changes
        if not any(
            topic == change.topic and change.at.date() - window <= on <= change.at.date()
            for topic, on in held
        )
    ]
    figures = {
        "representatives": representatives,
        "consultations": in_period,
        "policy_changes": len(changes),
        "changes_consulted_beforehand": len(changes) - len(missing),
    }
    problems = []
    if not representatives:
        problems.append("no worker representative is recognised")
    if missing:
        listed = "; ".join(c.what for c in missing[:3]) + ("; …" if len(missing) > 3 else "")
        problems.append(
            f"{len(missing)} policy change(s) without a consultation on their topic in the "
            f"{CONSULTATION_WINDOW_DAYS} days before: {listed}"
        )
    if not changes and not in_period:
        problems.append("no consultation was held in the period")
    consulted = (
        f"all {len(changes)} policy change(s) were consulted on beforehand"
        if changes
        else f"no policy changes, {in_period} consultation(s) held"
    )
    return Threshold(
        id="5.2",
        title="Collective governance or bargaining",
        figures=figures,
        target=f"worker representatives recognised, and every policy change (terms, pay "
        f"floors) preceded by a consultation with them on its topic within "
        f"{CONSULTATION_WINDOW_DAYS} days; without changes, at least one consultation",
        holds=not problems,
        why="; ".join(problems)
        if problems
        else f"{representatives} representative(s) recognised; {consulted}",
    )


def _policy_changes(ctx: Context) -> list[PolicyChange]:
    """New terms after the first version, and operators' changes to pay floors (a reload
    of every floor is one change). The shipped floors loaded at installation, by nobody,
    are not a change; a floor keeps only its latest edit, so earlier ones are not seen."""
    terms = [
        PolicyChange("terms", at, f"terms version {number} published {at:%Y-%m-%d}")
        for number, at in rows(
            ctx,
            select(TermsVersion.number, TermsVersion.published_at).where(
                TermsVersion.number > 1, ctx.after(TermsVersion.published_at)
            ),
        )
    ]
    edited: dict[datetime, list[str]] = defaultdict(list)
    for country, at in rows(
        ctx,
        select(PayFloor.country, PayFloor.updated_at).where(
            PayFloor.updated_by_id.is_not(None), ctx.after(PayFloor.updated_at)
        ),
    ):
        edited[at].append(country)
    floors = [
        PolicyChange(
            "pay_floor",
            at,
            f"pay floor of {', '.join(sorted(countries)[:3])}"
            f"{' and others' if len(countries) > 3 else ''} changed {at:%Y-%m-%d}",
        )
        for at, countries in edited.items()
    ]
    return sorted(terms + floors, key=lambda change: change.at)


MEASURES = [
    paid_on_time,
    minimum_wage,
    risks_mitigated,
    overwork,
    clear_terms,
    rates_kept,
    due_process,
    equity,
    voice,
    governance,
]
