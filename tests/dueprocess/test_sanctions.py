"""Sanctions: a published reason, evidence and notice (none for proven fraud); effective
only from their date; never touching earned pay; linked to an earlier complaint."""

from datetime import timedelta
from typing import Any

from fairlabel.db import utcnow
from fairlabel.dueprocess import jobs
from fairlabel.models import Sanction
from tests.factories import Account, Factory
from tests.queue.helpers import lease, next_task, setup_project
from tests.workforce.helpers import events, move_back, state

EVIDENCE = "Items 4, 9 and 12 were answered in under a second each with copied text."


def sanction(issuer: Account, worker: Account, **body: Any) -> Any:
    payload = {"worker_id": worker.user_id, "reason_code": "fraud", "evidence": EVIDENCE, **body}
    return issuer.post("/api/sanctions", json=payload)


def test_the_reasons_are_published_and_none_cites_organising_or_complaints(
    factory: Factory,
) -> None:
    reasons = factory.worker().get("/api/sanction-reasons").json()
    assert {r["code"] for r in reasons} >= {"fraud", "harassment"}
    words = ("organis", "organiz", "union", "complain", "appeal", "collective", "strike")
    for reason in reasons:
        text = " ".join(reason.values()).lower()
        assert not any(word in text for word in words), reason


def test_a_sanction_without_reason_evidence_or_notice_is_refused(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory)
    operator, worker = factory.user(operator=True), factory.worker()
    soon = (utcnow() + timedelta(days=2)).isoformat()
    before = state(factory.database)
    bad = [
        ({"kind": "warning", "evidence": ""}, "evidence"),
        ({"kind": "warning", "evidence": "bad"}, "evidence"),
        ({"kind": "warning", "reason_code": "joined_a_union"}, "reason_code"),
        ({"kind": "suspension"}, "project_id"),
        ({"kind": "deactivation", "project_id": project["id"]}, "project_id"),
        ({"kind": "suspension", "project_id": project["id"], "effective_at": soon}, "effective_at"),
        ({"kind": "warning", "reason_code": "harassment", "fraud_proven": True}, "fraud_proven"),
        ({"kind": "warning", "fraudulent_assignment_ids": [1]}, "fraudulent_assignment_ids"),
        ({"kind": "warning", "effective_at": "2030-01-01T00:00:00"}, "effective_at"),
    ]
    for body, field in bad:
        response = sanction(operator, worker, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, body
    assert sanction(worker, worker, kind="warning").status_code == 403
    assert sanction(operator, operator, kind="warning").status_code == 404  # not a worker
    assert state(factory.database) == before


def test_owners_suspend_from_their_project_only(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory)
    other_owner, _org = factory.owner()
    worker = factory.worker()
    suspension = {"kind": "suspension", "project_id": project["id"]}
    assert sanction(other_owner, worker, **suspension).status_code == 404
    assert sanction(owner, worker, kind="deactivation").status_code == 403
    issued = sanction(owner, worker, **suspension)
    assert issued.status_code == 201, issued.text


def test_a_suspension_takes_effect_after_its_notice(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory, items=3)
    worker = factory.worker()
    issued = sanction(owner, worker, kind="suspension", project_id=project["id"]).json()
    assert issued["in_effect"] is False
    assert lease(worker, project["id"])  # still working during the notice
    move_back(factory.database, Sanction, issued["id"], 0.01, "effective_at")
    worker.post(f"/api/assignments/{lease(worker, project['id'])['id']}/return")
    body = next_task(worker, project["id"])
    assert body["assignment"] is None and body["reason"] == "sanctioned"
    assert body["detail"]["sanction_id"] == issued["id"]
    assert body["detail"]["reason_code"] == "fraud"
    assert worker.get("/api/me/sanctions").json()[0]["in_effect"] is True
    # another project is not affected
    _other_owner, other, _other_ids = setup_project(factory)
    assert lease(worker, other["id"])


def test_a_deactivation_makes_the_account_inactive_at_its_date_and_an_appeal_undoes_it(
    factory: Factory,
) -> None:
    operator, worker = factory.user(operator=True), factory.worker()
    issued = sanction(operator, worker, kind="deactivation").json()
    assert worker.get("/api/me/profile").status_code == 200
    move_back(factory.database, Sanction, issued["id"], 0.01, "effective_at")
    statement = "I never copied answers; the timing came from keyboard shortcuts."
    filed = worker.post(
        "/api/appeals",
        json={"subject_kind": "sanction", "subject_id": issued["id"], "statement": statement},
    )
    assert filed.status_code == 201
    assert jobs.run_sweep(factory.database)["deactivations"] == 1
    assert worker.get("/api/me/profile").status_code == 401
    other_operator = factory.user(operator=True)
    assert (
        operator.post(
            f"/api/appeals/{filed.json()['id']}/decision",
            json={"outcome": "upheld", "reason": "I issued it; I cannot hear it."},
        ).status_code
        == 403
    )
    decided = other_operator.post(
        f"/api/appeals/{filed.json()['id']}/decision",
        json={"outcome": "upheld", "reason": "Shortcut use explains the timing."},
    )
    assert decided.status_code == 200, decided.text
    assert worker.get("/api/me/profile").status_code == 200
    assert events(factory.database, worker.user_id, "sanction_withdrawn")


def test_proven_fraud_takes_effect_without_notice(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory, items=2)
    operator, worker = factory.user(operator=True), factory.worker()
    issued = sanction(
        operator, worker, kind="suspension", project_id=project["id"], fraud_proven=True
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["in_effect"] is True
    assert next_task(worker, project["id"])["reason"] == "sanctioned"


def test_a_sanction_after_a_complaint_is_flagged_for_operators(factory: Factory) -> None:
    operator, worker, quiet = factory.user(operator=True), factory.worker(), factory.worker()
    complaint = {"kind": "complaint", "body": "Reviews on project 3 reject correct work."}
    assert worker.post("/api/me/feedback", json=complaint).status_code == 201
    sanction(operator, worker, kind="warning", reason_code="harassment")
    sanction(operator, quiet, kind="warning", reason_code="harassment")
    trail = operator.get("/api/audit", params={"kind": "sanction_issued"}).json()["events"]
    flagged = {e["worker_id"]: e["data"]["follows_complaint"] for e in trail}
    assert flagged == {worker.user_id: True, quiet.user_id: False}
    [complained] = events(factory.database, worker.user_id, "complaint")
    [issued] = events(factory.database, worker.user_id, "sanction_issued")
    assert issued.data["complaint_ids"] == [complained.subject_id]
    assert worker.get("/api/audit").status_code == 403
