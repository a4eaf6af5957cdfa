"""Appeals: by the worker the decision is about, once, within the window; heard by someone
else than who decided; decided for the worker when the deadline passes (on read and by
the sweep); an upheld rejection becomes an accept."""

from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.dueprocess import jobs
from fairlabel.models import Annotation, Appeal, Review
from tests.cli.test_cli import cli_env, invoke  # noqa: F401  (cli_env is a fixture)
from tests.factories import Account, Factory
from tests.gold.helpers import gold_project
from tests.gold.test_accuracy import work
from tests.queue.helpers import lease, next_task
from tests.review.test_review import REJECT, label, review_task, reviewed_project, verdict
from tests.workforce.helpers import events, move_back, state
from tests.workforce.test_tests import answer, make_test, start

STATEMENT = {"statement": "Sarcasm was not involved; the text is plainly positive."}


def rejected(factory: Factory) -> tuple[Account, Account, Account, dict[str, Any]]:
    """(owner, worker, reviewer, review) for one rejected annotation."""
    owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    response = verdict(reviewer, task, **REJECT)
    assert response.status_code == 201, response.text
    return owner, worker, reviewer, response.json()


def appeal(worker: Account, review_id: int, **extra: Any) -> Any:
    body = {"subject_kind": "review", "subject_id": review_id, **STATEMENT, **extra}
    return worker.post("/api/appeals", json=body)


def decide(hearer: Account, appeal_id: int, outcome: str = "upheld") -> Any:
    body = {"outcome": outcome, "reason": "The text is positive; the rejection was wrong."}
    return hearer.post(f"/api/appeals/{appeal_id}/decision", json=body)


def latest_verdict(factory: Factory, annotation_id: int) -> str | None:
    with factory.database.session(write=False) as db:
        return db.scalar(select(Annotation.verdict).where(Annotation.id == annotation_id))


def test_an_upheld_appeal_turns_a_rejection_into_an_accept(factory: Factory) -> None:
    owner, worker, _reviewer, review = rejected(factory)
    filed = appeal(worker, review["id"])
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "open" and filed.json()["due_at"]
    assert [e.kind for e in events(factory.database, worker.user_id, "verdict")] == ["verdict"]
    decided = decide(owner, filed.json()["id"])
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "upheld"
    assert decided.json()["decided_by_deadline"] is False
    assert latest_verdict(factory, review["annotation_id"]) == "accept"
    mine = worker.get("/api/me/appeals").json()
    assert mine[0]["decision_reason"].startswith("The text is positive")
    [outcome] = events(factory.database, worker.user_id, "appeal_decided")
    assert outcome.actor_id == owner.user_id and outcome.data["outcome"] == "upheld"
    assert decide(owner, filed.json()["id"], "denied").status_code == 409


def test_appeals_by_others_twice_or_late_are_refused_and_change_nothing(
    factory: Factory,
) -> None:
    _owner, worker, reviewer, review = rejected(factory)
    stranger = factory.worker()
    before = state(factory.database)
    assert appeal(stranger, review["id"]).status_code == 404
    assert appeal(reviewer, review["id"]).status_code == 404
    assert appeal(worker, review["id"], statement="short").status_code == 422
    assert appeal(worker, 10**9).status_code == 404
    assert state(factory.database) == before
    assert appeal(worker, review["id"]).status_code == 201
    after_first = state(factory.database)
    second = appeal(worker, review["id"])
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    assert state(factory.database) == after_first


def test_an_appeal_after_the_window_is_refused(factory: Factory) -> None:
    _owner, worker, _reviewer, review = rejected(factory)
    move_back(factory.database, Review, review["id"], 15, "created_at")
    before = state(factory.database)
    late = appeal(worker, review["id"])
    assert late.status_code == 422 and late.json()["error"]["field"] == "subject_id"
    assert state(factory.database) == before


def test_an_appeal_is_heard_by_someone_else(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker = factory.worker()
    # a manager of the organization who is also the reviewer of this work
    reviewer = factory.user(worker=True, org_id=project["organization_id"], role="manager")
    label(worker, project["id"])
    review = verdict(reviewer, review_task(reviewer, project["id"]), **REJECT).json()
    filed = appeal(worker, review["id"]).json()
    stranger, (other_owner, _org) = factory.worker(), factory.owner()
    operator = factory.user(operator=True)
    before = state(factory.database)
    assert decide(reviewer, filed["id"]).status_code == 403
    assert decide(worker, filed["id"]).status_code in (403, 404)
    assert decide(stranger, filed["id"]).status_code == 404
    assert decide(other_owner, filed["id"]).status_code == 404
    assert state(factory.database) == before
    assert decide(operator, filed["id"], "denied").status_code == 200
    assert latest_verdict(factory, review["annotation_id"]) == "reject"


def test_an_appeal_not_answered_in_time_is_decided_for_the_worker_on_read(
    factory: Factory,
) -> None:
    owner, worker, _reviewer, review = rejected(factory)
    filed = appeal(worker, review["id"]).json()
    move_back(factory.database, Appeal, filed["id"], 0.01, "due_at")
    mine = worker.get("/api/me/appeals").json()
    assert mine[0]["status"] == "upheld" and mine[0]["decided_by_deadline"] is True
    assert latest_verdict(factory, review["annotation_id"]) == "accept"
    late = decide(owner, filed["id"], "denied")
    assert late.status_code == 409
    assert worker.get(f"/api/appeals/{filed['id']}").json()["status"] == "upheld"


def test_the_sweep_decides_overdue_appeals(factory: Factory) -> None:
    _owner, worker, _reviewer, review = rejected(factory)
    filed = appeal(worker, review["id"]).json()
    assert jobs.run_sweep(factory.database)["appeals_decided"] == 0
    move_back(factory.database, Appeal, filed["id"], 0.01, "due_at")
    assert jobs.run_sweep(factory.database)["appeals_decided"] == 1
    assert jobs.run_sweep(factory.database)["appeals_decided"] == 0
    [outcome] = events(factory.database, worker.user_id, "appeal_decided")
    assert outcome.actor_id is None and outcome.data["by_deadline"] is True


def test_a_failed_qualification_test_can_be_appealed(factory: Factory) -> None:
    owner, test, golden = make_test(factory)
    worker = factory.worker()
    attempt = start(worker, test["id"]).json()["attempt_id"]
    result = answer(worker, attempt, dict.fromkeys(golden, "negative")).json()
    body = {"subject_kind": "qualification", "subject_id": result["decision_id"], **STATEMENT}
    filed = worker.post("/api/appeals", json=body)
    assert filed.status_code == 201, filed.text
    assert decide(owner, filed.json()["id"]).status_code == 200
    held = worker.get("/api/me/profile").json()["qualifications"]
    assert [(q["name"], q["tier"]) for q in held] == [("sentiment", "verified")]


@pytest.mark.usefixtures("cli_env")
def test_the_cli_decides_overdue_appeals(factory: Factory) -> None:
    _owner, worker, _reviewer, review = rejected(factory)
    filed = appeal(worker, review["id"]).json()
    move_back(factory.database, Appeal, filed["id"], 0.01, "due_at")
    code, output = invoke("appeals", "decide-due")
    assert code == 0, output
    assert "appeals decided: 1" in output
    assert latest_verdict(factory, review["annotation_id"]) == "accept"


def test_the_gold_gate_closing_is_recorded_once_and_can_be_appealed(factory: Factory) -> None:
    owner, project, _ordinary, _gold = gold_project(
        factory, items=3, gold=3, gold_rate=1.0, min_gold_accuracy=0.8, min_gold_seen=2
    )
    worker = factory.worker()
    work(worker, project["id"], 2, "negative")  # the second gold item closes the gate
    assert next_task(worker, project["id"])["reason"] == "below_gold_accuracy"
    assert next_task(worker, project["id"])["reason"] == "below_gold_accuracy"
    [closed] = events(factory.database, worker.user_id, "gold_gate")
    assert closed.data["decision"] == "closed" and closed.data["gold_seen"] == 2
    body = {"subject_kind": "qualification", "subject_id": closed.id, **STATEMENT}
    filed = worker.post("/api/appeals", json=body)
    assert filed.status_code == 201, filed.text
    assert decide(owner, filed.json()["id"]).status_code == 200
    assert lease(worker, project["id"])  # the queue is open again: measured afresh
