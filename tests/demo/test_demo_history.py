"""The demo's month of history at a small scale: lived through the services on the simulated
clock, it leaves records from which the Fairwork report judges all ten thresholds, and they
hold; the clock was honoured (payouts on their schedule across the month, pay approved
automatically only after its review deadline, appeals decided for workers only after theirs,
nothing dated outside the month); the report page shows it; seeding again changes nothing."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from fairlabel import models
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.history import OPENING, Scale, start_of
from fairlabel.demo.seed import DEMO_OPERATOR, DEMO_PASSWORD, seed_demo
from fairlabel.models import (
    Annotation,
    Appeal,
    AppealStatus,
    Assignment,
    EntryKind,
    LedgerEntry,
    Payout,
    Project,
    Review,
    TermsVersion,
    Worker,
)
from fairlabel.reports import fairwork
from tests.web.helpers import login_token

SCALE = Scale(workers=20, countries=4, tasks_per_session=4)


def test_a_simulated_month_holds_all_ten_fairwork_thresholds(
    database: Database, settings: Settings, client: TestClient
) -> None:
    with database.session() as db:
        seed_demo(db, settings, history_scale=SCALE)
    with database.session(write=False) as db:
        first_terms = select(TermsVersion.published_at).order_by(TermsVersion.number).limit(1)
        opening = db.scalars(first_terms).one()
        assert opening.time() == OPENING and abs(opening - start_of(SCALE)) <= timedelta(days=1)
        end = opening.replace(hour=0) + timedelta(days=SCALE.days)
        report = fairwork.report(db, settings)
        judged = {t.id: (t.holds, t.why) for t in report.thresholds}
        assert report.points == 10, judged
        assert all(t.holds is True for t in report.thresholds), judged
        _check_workforce(db)
        _check_payouts(db, settings, opening, end)
        _check_deadlines(db)
        _check_dates(db, opening, end)
    _check_report_page(client)
    before = _counts(database)
    with database.session() as db:
        seed_demo(db, settings, history_scale=SCALE)
    assert _counts(database) == before, "seeding twice changes nothing"


def _check_workforce(db: Session) -> None:
    countries = Counter(db.scalars(select(Worker.country)))
    assert countries == {"KE": 5, "IN": 5, "PH": 5, "GB": 5}
    verdicts = Counter(db.scalars(select(Review.verdict)))
    assert verdicts["accept"] > 10 and verdicts["reject"] >= 1, verdicts
    rejected = db.execute(
        select(Review.reason_code, Review.guideline_ref).where(Review.verdict == "reject")
    ).all()
    assert {ref for _code, ref in rejected} == {"Category"}
    assert (db.scalar(select(func.count()).select_from(Appeal)) or 0) >= 1
    [_first, second] = db.scalars(select(TermsVersion).order_by(TermsVersion.number))
    assert second.effective_at - second.published_at >= timedelta(days=30)


def _check_payouts(db: Session, settings: Settings, opening: datetime, end: datetime) -> None:
    """Run by the schedule, about weekly from the first pay due to the month's end."""
    runs = list(db.scalars(select(Payout.created_at).order_by(Payout.id)))
    assert len(runs) >= 4, runs
    assert runs[0] - opening < timedelta(days=2) and end - runs[-1] < timedelta(days=8)
    every = timedelta(days=settings.payout_every_days)
    assert all(later - earlier >= every for earlier, later in pairwise(runs))


def _check_deadlines(db: Session) -> None:
    """Pay approved automatically only once its project's review deadline had passed, and
    appeals decided by the deadline only once theirs had."""
    earned, approved = aliased(LedgerEntry), aliased(LedgerEntry)
    automatic = db.execute(
        select(earned.created_at, approved.created_at, Project.review_deadline_hours)
        .join(approved, approved.assignment_id == earned.assignment_id)
        .join(Project, Project.id == earned.project_id)
        .where(
            earned.kind == EntryKind.earned,
            earned.worker_id.is_not(None),
            approved.kind == EntryKind.approved,
            approved.worker_id.is_not(None),
            approved.memo.startswith("approved automatically"),
        )
    ).all()
    assert automatic, "some sampled work waited past its review deadline"
    for earned_at, approved_at, hours in automatic:
        assert approved_at - earned_at >= timedelta(hours=hours)
    by_deadline = db.execute(
        select(Appeal.due_at, Appeal.decided_at).where(
            Appeal.status == AppealStatus.upheld, Appeal.decided_by_id.is_(None)
        )
    ).all()
    assert all(decided is not None and decided >= due for due, decided in by_deadline)
    heard = db.execute(
        select(Appeal.decided_by_id, Appeal.worker_id, Review.reviewer_id)
        .join(Review, Review.id == Appeal.subject_id)
        .where(Appeal.decided_by_id.is_not(None))
    ).all()
    assert all(hearer not in (worker, reviewer) for hearer, worker, reviewer in heard)


def _check_dates(db: Session, opening: datetime, end: datetime) -> None:
    """Every record falls within the month: the clock moved only forward, from the opening
    to midnight today, never past the real time."""
    assert end <= datetime.now(UTC)
    for column in (
        Annotation.created_at,
        Assignment.leased_at,
        LedgerEntry.created_at,
        Review.created_at,
        Appeal.created_at,
    ):
        first, last = db.execute(select(func.min(column), func.max(column))).one()
        assert opening <= _aware(first) and _aware(last) <= end, column


def _aware(value: datetime) -> datetime:
    """MIN() and MAX() skip the column's type on SQLite, so their values come back naive."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_report_page(client: TestClient) -> None:
    token = login_token(client)
    signed_in = client.post(
        "/login",
        data={"email": DEMO_OPERATOR[0], "password": DEMO_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = client.get("/reports/fairwork")
    assert page.status_code == 200
    assert "Fairwork thresholds: 10/10 hold" in page.text
    assert re.findall(r'data-holds="(\w+)"', page.text) == ["True"] * 10


def _counts(database: Database) -> dict[str, int]:
    with database.session(write=False) as db:
        return {
            table.name: db.scalar(select(func.count()).select_from(table)) or 0
            for table in models.Base.metadata.sorted_tables
        }
