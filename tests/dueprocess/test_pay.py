"""Due process and pay: test time is paid, an upheld rejection's pay is approved, a
sanction leaves earned pay alone, and only proven fraud reverses it."""

from typing import Any

from fairlabel.models import QualificationAttempt
from tests.factories import Account, Factory
from tests.gold.helpers import mark
from tests.pay.helpers import paid_project, pay_snapshot
from tests.queue.helpers import lease, submit
from tests.workforce.helpers import move_back

EVIDENCE = "Items 4, 9 and 12 were answered in under a second each with copied text."


def earned(worker: Account) -> dict[str, Any]:
    totals: dict[str, Any] = worker.get("/api/me/earnings").json()["totals"]
    return totals


def test_time_on_a_qualification_test_is_paid(factory: Factory) -> None:
    owner, project, items = paid_project(factory, items=2)
    for item_id in items:
        mark(owner, item_id)
    test = owner.post(
        f"/api/projects/{project['id']}/qualification-tests",
        json={"qualification": "sentiment", "item_ids": items},
    ).json()
    worker = factory.worker()
    attempt = worker.post(f"/api/qualification-tests/{test['id']}/attempts").json()["attempt_id"]
    move_back(factory.database, QualificationAttempt, attempt, 0.01, "started_at")
    answers = {str(item_id): {"sentiment": "negative"} for item_id in items}
    result = worker.post(
        f"/api/qualification-attempts/{attempt}/answers",
        json={"answers": answers, "time_spent_ms": 120_000},
    )
    assert result.status_code == 200, result.text
    assert result.json()["passed"] is False  # paid all the same
    assert earned(worker), "test time must be paid"


def test_a_sanction_never_touches_earned_pay_unless_fraud_is_proven(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, items=3)
    worker, operator = factory.worker(), factory.user(operator=True)
    assignments = []
    for _ in range(2):
        assignment = lease(worker, project["id"])
        assert submit(worker, assignment["id"]).status_code == 201
        assignments.append(assignment["id"])
    before = pay_snapshot(factory.database)
    warning = {"worker_id": worker.user_id, "reason_code": "fraud", "evidence": EVIDENCE}
    suspended = owner.post(
        "/api/sanctions", json={**warning, "kind": "suspension", "project_id": project["id"]}
    )
    assert suspended.status_code == 201, suspended.text
    assert pay_snapshot(factory.database) == before
    fraud = operator.post(
        "/api/sanctions",
        json={
            **warning,
            "kind": "deactivation",
            "fraud_proven": True,
            "fraudulent_assignment_ids": assignments[:1],
        },
    )
    assert fraud.status_code == 201, fraud.text
    assert pay_snapshot(factory.database)["entries"] > before["entries"]
