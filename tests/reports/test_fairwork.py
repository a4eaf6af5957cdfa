"""The Fairwork report: each threshold's figures from a known set of records, through the
API (operators only) and the CLI. Work, exposures and ratings go through the real API;
money and due-process records, whose services other modules own, are written as rows."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from fairlabel.cli import app
from fairlabel.config import Settings
from fairlabel.models import (
    Annotation,
    Appeal,
    Assignment,
    ExchangeRate,
    Feedback,
    LedgerEntry,
    Notice,
    PayFloor,
    Review,
    Sanction,
    Worker,
)
from tests.factories import Account, Factory
from tests.queue.helpers import lease, setup_project, submit

HALF_HOUR_MS = 1_800_000
NOW = datetime.now(UTC)


def opt_in(worker: Account) -> None:
    assert worker.put("/api/me/risk-opt-ins/violence").status_code == 200


def work(
    factory: Factory, project_id: int, country: str, languages: list[str]
) -> tuple[Account, int]:
    """A worker from `country` who submits one item (half an hour) and rates the project."""
    worker = factory.worker()
    with factory.database.session() as db:
        profile = db.get_one(Worker, worker.user_id)
        profile.country, profile.languages = country, languages
    opt_in(worker)
    assignment = lease(worker, project_id)
    assert submit(worker, assignment["id"], time_spent_ms=HALF_HOUR_MS).status_code == 201
    rating = {"instructions": 4, "pay": 4, "reviews": 4}
    assert worker.put(f"/api/projects/{project_id}/rating", json=rating).status_code == 200
    return worker, assignment["id"]


def pay(db: Any, worker_id: int, assignment_id: int, amount: int, paid_after: timedelta) -> None:
    """Earned, approved and paid legs on the worker's accounts (the credits only)."""
    legs = [
        ("pending", "earned", NOW),
        ("approved", "approved", NOW),
        ("paid", "paid", NOW + paid_after),
    ]
    for n, (state, kind, at) in enumerate(legs):
        db.add(
            LedgerEntry(
                txn_id=assignment_id * 10 + n,
                account=f"worker:{worker_id}:{state}",
                currency="USD",
                amount_minor=amount,
                kind=kind,
                worker_id=worker_id,
                assignment_id=assignment_id if kind != "paid" else None,
                created_at=at,
            )
        )


def seed(factory: Factory) -> dict[str, Any]:
    owner, created, _ids = setup_project(factory, 3, content_risks=["violence"])
    project_id = created["id"]
    kenyan, ke_assignment = work(factory, project_id, "KE", ["en", "sw"])
    indian, in_assignment = work(factory, project_id, "IN", ["en"])
    reviewer = factory.worker()
    with factory.database.session() as db:
        db.execute(
            update(Assignment)
            .where(Assignment.project_id == project_id)
            .values(rate_minor=100, currency="USD")
        )
        pay(db, kenyan.user_id, ke_assignment, 90, timedelta(days=2))  # 90 earned: rate changed
        pay(db, indian.user_id, in_assignment, 100, timedelta(days=4))
        db.add_all(
            [
                PayFloor(country="KE", name="Kenya", currency="KES", hourly_minor=7151),
                PayFloor(country="IN", name="India", currency="INR", hourly_minor=50_000),
                ExchangeRate(currency="KES", per_usd=129.0, as_of=NOW.date()),
                ExchangeRate(currency="INR", per_usd=83.0, as_of=NOW.date()),
            ]
        )
        annotation = db.query(Annotation).filter_by(assignment_id=in_assignment).one()
        db.add(
            Review(
                project_id=project_id,
                annotation_id=annotation.id,
                assignment_id=in_assignment,
                worker_id=indian.user_id,
                reviewer_id=reviewer.user_id,
                stage="review",
                verdict="reject",
                reason_code="wrong_answer",
                guideline_ref="2.1",
            )
        )
        db.add_all(
            [
                Appeal(
                    worker_id=indian.user_id,
                    subject_kind="review",
                    subject_id=1,
                    statement="It was right.",
                    status="denied",
                    decided_by_id=reviewer.user_id,
                    due_at=NOW + timedelta(days=1),
                    decided_at=NOW,
                ),
                Appeal(
                    worker_id=kenyan.user_id,
                    subject_kind="review",
                    subject_id=2,
                    statement="Please look again.",
                    due_at=NOW - timedelta(hours=1),
                ),
                Sanction(
                    worker_id=indian.user_id,
                    kind="warning",
                    reason_code="low_quality",
                    evidence="10 rejections",
                    effective_at=NOW + timedelta(days=7),
                    created_at=NOW,
                ),
                Notice(
                    project_id=project_id,
                    country="KE",
                    effective_at=NOW + timedelta(days=3),
                    message="Ends for KE.",
                    created_at=NOW,
                ),
                Feedback(
                    worker_id=kenyan.user_id,
                    body="Pay is late.",
                    created_at=NOW - timedelta(days=20),
                ),
                Feedback(
                    worker_id=indian.user_id,
                    body="Thanks.",
                    answer="Noted.",
                    answered_at=NOW,
                    created_at=NOW - timedelta(days=1),
                ),
            ]
        )
    return {"owner": owner, "project_id": project_id}


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in report["thresholds"]}


@pytest.fixture
def operator(factory: Factory) -> Account:
    return factory.user(operator=True)


def test_each_threshold_from_recorded_data(factory: Factory, operator: Account) -> None:
    seeded = seed(factory)
    response = operator.get("/api/reports/fairwork")
    assert response.status_code == 200, response.text
    report = response.json()
    t = by_id(report)
    assert list(t) == ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2"]

    paid = t["1.1"]["figures"]
    assert paid["submitted_paid_work"] == 2 and paid["share_earned"] == 1.0
    assert paid["share_paid_out"] == 1.0
    assert paid["median_days_submit_to_paid"] == pytest.approx(3, abs=0.1)
    assert paid["p95_days_submit_to_paid"] == pytest.approx(4, abs=0.1)
    assert paid["rejections"] == 1 and paid["share_rejections_with_reason_and_guideline"] == 1.0
    assert t["1.1"]["holds"] is True

    wage = t["1.2"]["figures"]
    assert wage["measured_hours"] == 1.0
    # KE: $1.80/h against $0.55; IN: $2.00/h against 500 INR = $6.02 an hour.
    assert wage["by_country"] == {"IN": 0.0, "KE": 1.0}
    assert wage["share_hours_at_or_above_floor"] == 0.5
    assert t["1.2"]["holds"] is False

    risk = t["2.1"]["figures"]
    assert (risk["exposures"], risk["worker_days_over_cap"], risk["share_exposures_opted_in"]) == (
        2,
        0,
        1.0,
    )
    assert t["2.1"]["holds"] is True

    overwork = t["2.2"]["figures"]
    assert overwork["worker_weeks"] == 2 and overwork["median_hours_per_worker_week"] == 0.5
    assert overwork["notices_shorter_than_required"] == 1
    assert t["2.2"]["holds"] is False

    assert t["3.1"]["holds"] is False
    assert t["3.1"]["figures"]["terms_versions"] == 0
    assert t["3.1"]["figures"]["current_terms_version"] is None
    assert t["3.1"]["why"] == (
        "no version of the platform terms is in effect; "
        "project terms are incomplete on 1 of 1 active project(s)"
    )

    assert t["3.2"]["figures"] == {
        "paid_assignments_checked": 2,
        "rate_changes_after_acceptance": 1,
    }
    assert t["3.2"]["holds"] is False

    due = t["4.1"]["figures"]
    assert (due["appeals_due"], due["share_answered_in_time"], due["open_past_deadline"]) == (
        2,
        0.5,
        1,
    )
    assert due["share_sanctions_with_reason_evidence_notice"] == 1.0
    assert t["4.1"]["holds"] is False

    equity = t["4.2"]["figures"]
    assert equity["by_country"]["IN"]["acceptance_rate"] == 0.0
    assert equity["acceptance_rate_ratio_by_country"] is None, "KE had no reviews: one group"
    assert equity["hourly_usd_ratio_by_country"] == 0.9
    assert equity["unsanctioned_rate_ratio_by_language"] == 0.5
    assert t["4.2"]["holds"] is False

    voice = t["5.1"]["figures"]
    assert (voice["ratings"], voice["feedback"], voice["unanswered_after_14_days"]) == (2, 2, 1)
    assert t["5.1"]["holds"] is False

    assert t["5.2"]["figures"] == {
        "representatives": 0,
        "consultations": 0,
        "policy_changes": 0,
        "changes_consulted_beforehand": 0,
    }
    assert t["5.2"]["holds"] is False
    assert report["points"] == 2
    assert seeded["project_id"]


def test_since_leaves_older_records_out(factory: Factory, operator: Account) -> None:
    seed(factory)
    # From the real clock, not NOW: records made through the API carry the time they were
    # made, which is past midnight when the suite runs across it.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    t = by_id(operator.get("/api/reports/fairwork", params={"since": tomorrow}).json())
    assert (
        t["1.1"]["holds"] is None and t["1.1"]["why"] == "no paid work was submitted in the period"
    )
    assert t["2.1"]["figures"]["exposures"] == 0


def test_empty_database_has_no_data_not_a_pass(operator: Account) -> None:
    t = by_id(operator.get("/api/reports/fairwork").json())
    assert {k for k, v in t.items() if v["holds"] is None} == {
        "1.1",
        "1.2",
        "2.1",
        "2.2",
        "3.2",
        "4.1",
        "4.2",
        "5.1",
    }
    assert t["3.1"]["holds"] is False and t["5.2"]["holds"] is False


def test_only_operators_and_bad_since(factory: Factory, operator: Account) -> None:
    owner, _org = factory.owner()
    assert owner.get("/api/reports/fairwork").status_code == 403
    assert factory.worker().get("/api/reports/fairwork").status_code == 403
    bad = operator.get("/api/reports/fairwork", params={"since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "since"


def test_cli_prints_every_threshold(
    factory: Factory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(factory)
    monkeypatch.setenv("FAIRLABEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAIRLABEL_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(app, ["report", "fairwork", "--since", "2020-01-01"])
    assert result.exit_code == 0, result.output
    for threshold in ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2"):
        assert threshold in result.output
    assert "2/10 hold" in result.output and "does not hold" in result.output
    bad = CliRunner().invoke(app, ["report", "fairwork", "--since", "01/02/2020"])
    assert bad.exit_code == 2
