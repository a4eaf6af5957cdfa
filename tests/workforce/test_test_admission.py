"""A qualification test shows a project's items and is paid from its escrow, so it obeys
what a lease obeys: every admission rule of the queue, each tested here on the attempt
route, the budget for the test's own bounded cost, and paid time that a worker cannot
stretch by leaving an attempt open."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from fairlabel.db import utcnow
from fairlabel.models import GoldScore, LedgerEntry, QualificationAttempt, WithheldGold
from fairlabel.pay import service as pay
from tests.dueprocess.test_sanctions import sanction
from tests.factories import Account, Factory
from tests.gold.helpers import mark
from tests.pay.helpers import balances, paid_project
from tests.queue.helpers import lease, submit
from tests.wellness.test_content_risk import opt_in
from tests.workforce.helpers import move_back, state

#: 50 cents per 60 s item is $30/h; a 2-item test pays for at most 2 x 60 s x 2 = 240 s.
RATES = {"label": 50}
TEST_BOUND_SECONDS = 240
TEST_PAY_MAX = 200


def paid_test(
    factory: Factory, *, fund: int = 10_000, items: int = 2, **project: Any
) -> tuple[Account, dict[str, Any], dict[str, Any], list[int]]:
    """A funded, active project whose last two items are gold, and a test made of them."""
    owner, created, ids = paid_project(factory, items=items + 2, fund=fund, rates=RATES, **project)
    golden = ids[items:]
    for item_id in golden:
        mark(owner, item_id)
    made = owner.post(
        f"/api/projects/{created['id']}/qualification-tests",
        json={"qualification": "sentiment", "item_ids": golden},
    )
    assert made.status_code == 201, made.text
    return owner, created, made.json(), golden


def start(worker: Account, test_id: int) -> Any:
    return worker.post(f"/api/qualification-tests/{test_id}/attempts")


def finish(worker: Account, attempt_id: int, golden: list[int], claimed_ms: int) -> Any:
    answers = {str(item): {"sentiment": "positive"} for item in golden}
    return worker.post(
        f"/api/qualification-attempts/{attempt_id}/answers",
        json={"answers": answers, "time_spent_ms": claimed_ms},
    )


def assert_refused(worker: Account, test_id: int, factory: Factory, code: str) -> None:
    """Refused with the rule's own code and message, no item shown, nothing written."""
    before = state(factory.database)
    refused = start(worker, test_id)
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == code and error["message"]
    assert "items" not in refused.json() and '"fields"' not in refused.text
    assert state(factory.database) == before


# --- each admission rule ------------------------------------------------------------------


def sanctioned(factory: Factory, worker: Account, project: dict[str, Any]) -> None:
    issued = sanction(
        factory.user(operator=True),
        worker,
        kind="suspension",
        project_id=project["id"],
        fraud_proven=True,
    )
    assert issued.status_code == 201, issued.text


def below_gold_bar(factory: Factory, worker: Account, project: dict[str, Any]) -> None:
    with factory.database.session() as db:
        db.execute(
            insert(GoldScore).values(
                project_id=project["id"],
                worker_id=worker.user_id,
                question="*",
                seen=5,
                correct=1.0,
                updated_at=utcnow(),
            )
        )


def at_exposure_cap(factory: Factory, worker: Account, project: dict[str, Any]) -> None:
    opt_in(worker, "violence")
    assert submit(worker, lease(worker, project["id"])["id"]).status_code == 201


RULES: list[tuple[str, dict[str, Any], Callable[[Factory, Account, dict[str, Any]], None]]] = [
    ("sanctioned", {}, sanctioned),
    ("not_eligible", {"eligibility": {"countries": ["DE"]}}, lambda *_: None),
    ("content_risk_opt_in", {"content_risks": ["violence"]}, lambda *_: None),
    (
        "exposure_cap_reached",
        {"content_risks": ["violence"], "exposure_caps": {"violence": 1}},
        at_exposure_cap,
    ),
    ("below_gold_accuracy", {"min_gold_accuracy": 0.8, "min_gold_seen": 3}, below_gold_bar),
]


@pytest.mark.parametrize(("code", "project_settings", "arrange"), RULES, ids=[r[0] for r in RULES])
def test_each_admission_rule_refuses_the_test_before_any_item_is_shown(
    factory: Factory,
    code: str,
    project_settings: dict[str, Any],
    arrange: Callable[[Factory, Account, dict[str, Any]], None],
) -> None:
    _owner, project, test, _golden = paid_test(factory, **project_settings)
    worker, other = factory.worker(), factory.worker()
    arrange(factory, worker, project)
    assert_refused(worker, test["id"], factory, code)
    if code in {"content_risk_opt_in", "exposure_cap_reached"}:
        opt_in(other, "violence")
    if code != "not_eligible":  # a worker the rule does not hold back sits the test
        assert start(other, test["id"]).status_code == 201


def test_an_attempt_in_progress_is_not_handed_back_once_a_rule_refuses(factory: Factory) -> None:
    _owner, project, test, _golden = paid_test(factory)
    worker = factory.worker()
    assert start(worker, test["id"]).status_code == 201
    sanctioned(factory, worker, project)
    assert_refused(worker, test["id"], factory, "sanctioned")


def test_only_workers_sit_tests_of_active_projects(factory: Factory) -> None:
    owner, project, test, _golden = paid_test(factory)
    worker = factory.worker()
    paused = owner.patch(f"/api/projects/{project['id']}", json={"status": "paused"})
    assert paused.status_code == 200, paused.text
    before = state(factory.database)
    assert start(owner, test["id"]).status_code == 403
    assert start(worker, test["id"]).status_code == 404  # workers see active projects only
    assert start(worker, 999_999).status_code == 404
    assert state(factory.database) == before


def test_workers_see_what_a_test_pays_but_not_which_items_it_holds(factory: Factory) -> None:
    owner, project, test, golden = paid_test(factory)
    url = f"/api/projects/{project['id']}/qualification-tests"
    [seen] = factory.worker().get(url).json()
    assert seen["item_ids"] is None and seen["items"] == 2
    assert (seen["paid_seconds_max"], seen["pay_max_minor"]) == (TEST_BOUND_SECONDS, TEST_PAY_MAX)
    assert owner.get(url).json()[0]["item_ids"] == golden == test["item_ids"]


# --- the budget ---------------------------------------------------------------------------


def test_a_test_the_budget_cannot_pay_for_is_refused(factory: Factory) -> None:
    _owner, project, test, _golden = paid_test(factory, fund=TEST_PAY_MAX + 40)
    worker, candidate = factory.worker(), factory.worker()
    held = lease(worker, project["id"])  # commits 50 of the 240 in the budget
    before = state(factory.database)
    refused = start(candidate, test["id"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "budget_exhausted"
    assert state(factory.database) == before
    assert worker.post(f"/api/assignments/{held['id']}/return").status_code == 200
    assert start(candidate, test["id"]).status_code == 201


# --- paid time ----------------------------------------------------------------------------


def test_a_24_hour_claim_is_paid_for_the_tests_bound_and_approved_after_the_deadline(
    factory: Factory,
) -> None:
    _owner, project, test, golden = paid_test(factory)
    worker = factory.worker()
    attempt = start(worker, test["id"]).json()["attempt_id"]
    move_back(factory.database, QualificationAttempt, attempt, 1, "started_at")
    result = finish(worker, attempt, golden, claimed_ms=24 * 3600 * 1000)
    assert result.status_code == 200, result.text
    assert result.json()["time_spent_ms"] == TEST_BOUND_SECONDS * 1000
    assert balances(factory.database, worker.user_id) == {
        "pending": TEST_PAY_MAX,
        "approved": 0,
        "paid": 0,
    }
    deadline = timedelta(hours=project["review_deadline_hours"])
    with factory.database.session() as db:
        assert pay.approve_due(db, utcnow() + deadline - timedelta(minutes=5)) == 0
        assert pay.approve_due(db, utcnow() + deadline + timedelta(minutes=5)) == 1
        assert pay.approve_due(db, utcnow() + deadline + timedelta(minutes=5)) == 0
    assert balances(factory.database, worker.user_id)["approved"] == TEST_PAY_MAX
    with factory.database.session(write=False) as db:
        legs = db.scalars(select(LedgerEntry).where(LedgerEntry.attempt_id == attempt)).all()
    assert {leg.kind for leg in legs} == {"earned", "approved"}
    assert all(leg.assignment_id is None for leg in legs)
    memo = worker.get("/api/me/earnings").json()["entries"][-1]["memo"]
    assert f"qualification test attempt {attempt}" in memo


def test_a_short_attempt_is_paid_for_the_time_it_took(factory: Factory) -> None:
    _owner, _project, test, golden = paid_test(factory)
    worker = factory.worker()
    attempt = start(worker, test["id"]).json()["attempt_id"]
    move_back(factory.database, QualificationAttempt, attempt, 1 / 24, "started_at")
    assert finish(worker, attempt, golden, claimed_ms=72_000).json()["time_spent_ms"] == 72_000
    assert balances(factory.database, worker.user_id)["pending"] == 60  # 72 s at $30/h


def test_a_claim_beyond_the_time_since_the_start_is_not_paid(factory: Factory) -> None:
    _owner, _project, test, golden = paid_test(factory)
    worker = factory.worker()
    attempt = start(worker, test["id"]).json()["attempt_id"]
    result = finish(worker, attempt, golden, claimed_ms=TEST_BOUND_SECONDS * 1000).json()
    assert result["time_spent_ms"] < 60_000
    assert balances(factory.database, worker.user_id)["pending"] < 50


def test_starting_an_attempt_withholds_its_gold_from_that_worker_only(factory: Factory) -> None:
    _owner, _project, test, golden = paid_test(factory)
    worker = factory.worker()
    assert start(worker, test["id"]).status_code == 201
    assert start(worker, test["id"]).status_code == 201  # resumed: recorded once
    with factory.database.session(write=False) as db:
        rows = db.execute(select(WithheldGold.item_id, WithheldGold.worker_id)).all()
    assert sorted(rows) == sorted((item, worker.user_id) for item in golden)
