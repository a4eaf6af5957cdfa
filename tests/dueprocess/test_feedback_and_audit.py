"""The feedback channel, and the audit trail each worker reads of themselves."""

from tests.factories import Factory
from tests.queue.helpers import setup_project
from tests.review.test_review import REJECT, label, review_task, reviewed_project, verdict
from tests.workforce.helpers import state


def test_workers_send_feedback_and_owners_answer(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory)
    other_owner, _org = factory.owner()
    worker = factory.worker()
    sent = worker.post(
        "/api/me/feedback", json={"project_id": project["id"], "body": "Guideline 3 is unclear."}
    )
    assert sent.status_code == 201, sent.text
    assert [f["id"] for f in owner.get("/api/feedback").json()] == [sent.json()["id"]]
    assert other_owner.get("/api/feedback").json() == []
    url = f"/api/feedback/{sent.json()['id']}/answer"
    before = state(factory.database)
    assert other_owner.post(url, json={"answer": "Not mine to answer"}).status_code == 404
    assert worker.post(url, json={"answer": "Answering myself"}).status_code == 404
    assert owner.post(url, json={"answer": ""}).status_code == 422
    assert (
        worker.post("/api/me/feedback", json={"kind": "praise", "body": "x" * 5}).status_code == 422
    )
    assert state(factory.database) == before
    assert owner.post(url, json={"answer": "Section 3 now has examples."}).status_code == 200
    assert owner.post(url, json={"answer": "Again"}).status_code == 409
    [mine] = worker.get("/api/me/feedback").json()
    assert mine["answer"] == "Section 3 now has examples." and mine["answered_at"]


def test_a_worker_reads_every_decision_about_them_newest_first(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=3)
    worker, operator = factory.worker(), factory.user(operator=True)
    for _ in range(3):
        label(worker, project["id"])
        reviewer = factory.worker()
        verdict(reviewer, review_task(reviewer, project["id"]), **REJECT)
    first = worker.get("/api/me/audit", params={"limit": 2}).json()
    assert [e["kind"] for e in first["events"]] == ["verdict", "verdict"]
    assert first["events"][0]["id"] > first["events"][1]["id"]
    assert first["events"][0]["data"]["reason_code"] == "wrong_answer"
    rest = worker.get("/api/me/audit", params={"before": first["next_before"]}).json()
    assert len(rest["events"]) == 1 and rest["next_before"] is None
    assert reviewer.get("/api/me/audit").json()["events"] == []
    everyone = operator.get("/api/audit", params={"worker_id": worker.user_id}).json()
    assert len(everyone["events"]) == 3
