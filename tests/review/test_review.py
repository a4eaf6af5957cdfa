"""Review stages through the real API: who may review what, verdicts with reasons,
corrections as new versions, paid rework, and the worker's view of every verdict."""

from typing import Any

from sqlalchemy import func, select

from fairlabel.models import Annotation, Assignment, Consensus, Review
from tests.factories import Account, Factory
from tests.queue.helpers import expire, item_counters, lease, next_task, setup_project, snapshot
from tests.web.helpers import sign_in

GUIDELINES = "# Guidelines\n## Sarcasm\nSarcasm is negative.\n## Mixed feelings\nUse neutral."
REVIEW = [{"stage": "review", "sample_rate": 1.0}]


def reviewed_project(
    factory: Factory, items: int = 1, **extra: Any
) -> tuple[Account, dict[str, Any], list[int]]:
    extra.setdefault("workflow", REVIEW)
    return setup_project(factory, items=items, guidelines=GUIDELINES, **extra)


def label(worker: Account, project_id: int, answer: str = "positive") -> dict[str, Any]:
    """Lease and submit one item; the submitted annotation."""
    assignment = lease(worker, project_id)
    response = worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"sentiment": answer}, "time_spent_ms": 900},
    )
    assert response.status_code == 201, response.text
    annotation: dict[str, Any] = response.json()
    return annotation


def next_review(reviewer: Account, project_id: int, stage: str = "review") -> Any:
    return reviewer.post(f"/api/projects/{project_id}/reviews/next", params={"stage": stage})


def review_task(reviewer: Account, project_id: int, stage: str = "review") -> dict[str, Any]:
    response = next_review(reviewer, project_id, stage)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    assert task is not None, response.json()
    return task


def verdict(reviewer: Account, task: dict[str, Any], **body: Any) -> Any:
    return reviewer.post(f"/api/assignments/{task['assignment']['id']}/verdict", json=body)


REJECT = {"verdict": "reject", "reason_code": "wrong_answer", "guideline_ref": "Sarcasm"}


def reviews(factory: Factory) -> int:
    with factory.database.session(write=False) as db:
        return db.scalar(select(func.count(Review.id))) or 0


def test_submitted_work_waits_for_review_and_is_never_reviewed_by_its_author(
    factory: Factory,
) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker = factory.worker()
    annotation = label(worker, project["id"])
    assert annotation["awaiting_stage"] == "review" and annotation["verdict"] is None
    own = next_review(worker, project["id"]).json()
    assert own == {"task": None, "reason": "complete"}
    task = review_task(factory.worker(), project["id"])
    assert task["annotation"]["id"] == annotation["id"]
    assert task["annotation"]["answers"] == {"sentiment": "positive"}
    assert task["annotation"]["worker"] == annotation["worker"]
    assert task["assignment"]["stage"] == "review"
    assert task["guideline_sections"] == ["Guidelines", "Sarcasm", "Mixed feelings"]
    assert "wrong_answer" in [r["code"] for r in task["rejection_reasons"]]


def test_accept_settles_the_work_and_the_worker_sees_it(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    annotation = label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    response = verdict(reviewer, task, verdict="accept", comment="clean")
    assert response.status_code == 201, response.text
    assert response.json()["verdict"] == "accept"
    assert response.json()["rework_assignment_id"] is None
    stored = worker.get(f"/api/annotations/{annotation['id']}/versions").json()[-1]
    assert stored["verdict"] == "accept" and stored["awaiting_stage"] is None
    (mine,) = worker.get("/api/reviews/mine").json()
    assert mine["comment"] == "clean" and mine["annotation_id"] == annotation["id"]
    assert next_review(factory.worker(), project["id"]).json()["task"] is None


def test_a_rejection_names_its_reason_and_offers_paid_rework(factory: Factory) -> None:
    _owner, project, (item_id,) = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    annotation = label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    response = verdict(reviewer, task, **REJECT, comment="this one is sarcastic")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reason"] == "The answer is wrong" and body["guideline_ref"] == "Sarcasm"
    rework_id = body["rework_assignment_id"]
    assert rework_id is not None
    (seen,) = worker.get("/api/reviews/mine").json()
    assert seen["reason_code"] == "wrong_answer" and seen["comment"] == "this one is sarcastic"
    rework = lease(worker, project["id"])
    assert rework["id"] == rework_id and rework["stage"] == "rework"
    assert rework["feedback"] == {
        "reason_code": "wrong_answer",
        "reason": "The answer is wrong",
        "guideline_ref": "Sarcasm",
        "comment": "this one is sarcastic",
        "previous_answers": {"sentiment": "positive"},
    }
    assert rework["item"]["id"] == item_id
    assert item_counters(factory.database, item_id) == (1, 0, False)
    redone = worker.post(
        f"/api/assignments/{rework_id}/submit",
        json={"answers": {"sentiment": "negative"}, "time_spent_ms": 500},
    )
    assert redone.status_code == 201 and redone.json()["awaiting_stage"] == "review"
    assert redone.json()["id"] != annotation["id"]
    assert item_counters(factory.database, item_id) == (1, 1, False)


def test_a_second_rejection_gives_the_item_to_someone_else(factory: Factory) -> None:
    _owner, project, (item_id,) = reviewed_project(factory)
    worker, reviewer, other = factory.worker(), factory.worker(), factory.worker()
    label(worker, project["id"])
    assert verdict(reviewer, review_task(reviewer, project["id"]), **REJECT).status_code == 201
    label(worker, project["id"])  # the rework
    second_reviewer = factory.worker()
    second = verdict(second_reviewer, review_task(second_reviewer, project["id"]), **REJECT)
    assert second.status_code == 201 and second.json()["rework_assignment_id"] is None
    assert item_counters(factory.database, item_id) == (0, 0, True)
    assert lease(other, project["id"])["item"]["id"] == item_id


def test_rework_not_taken_in_time_goes_back_to_the_queue(factory: Factory) -> None:
    _owner, project, (item_id,) = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    rework_id = verdict(reviewer, review_task(reviewer, project["id"]), **REJECT).json()[
        "rework_assignment_id"
    ]
    expire(factory.database, rework_id)
    assert lease(factory.worker(), project["id"])["item"]["id"] == item_id


def test_a_correction_is_a_new_version_linked_to_the_original(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    annotation = label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    response = verdict(reviewer, task, verdict="correct", answers={"sentiment": "negative"})
    assert response.status_code == 201, response.text
    assert response.json()["corrected_answers"] == {"sentiment": "negative"}
    versions = worker.get(f"/api/annotations/{annotation['id']}/versions").json()
    assert [v["source"] for v in versions] == ["worker", "correction"]
    original, correction = versions
    assert original["verdict"] == "correct" and not original["is_latest"]
    assert correction["is_latest"] and correction["corrects_id"] == annotation["id"]
    assert correction["answers"] == {"sentiment": "negative"}
    assert correction["worker"] != annotation["worker"]


def test_bad_verdicts_are_refused_and_change_nothing(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    before = snapshot(factory.database)
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"verdict": "reject"}, None),
        ({"verdict": "reject", "reason_code": "wrong_answer"}, None),
        ({**REJECT, "reason_code": "ugly"}, "reason_code"),
        ({**REJECT, "guideline_ref": "Irony"}, "guideline_ref"),
        ({"verdict": "correct"}, None),
        ({"verdict": "correct", "answers": {"sentiment": "furious"}}, "answers.sentiment"),
        ({"verdict": "correct", "answers": {"sentiment": "positive"}}, "answers"),
        ({"verdict": "accept", "answers": {"sentiment": "negative"}}, None),
        ({"verdict": "maybe"}, "verdict"),
    ]
    for body, field in cases:
        response = verdict(reviewer, task, **body)
        assert response.status_code == 422, (body, response.text)
        if field is not None:
            assert response.json()["error"]["field"] == field, (body, response.json())
    assert reviews(factory) == 0 and snapshot(factory.database) == before
    not_mine = verdict(worker, task, verdict="accept")
    assert not_mine.status_code == 404
    assert reviews(factory) == 0


def test_the_same_verdict_again_replays_and_another_conflicts(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    first = verdict(reviewer, task, **REJECT)
    again = verdict(reviewer, task, **REJECT)
    assert again.status_code == 200 and again.json() == first.json()
    other = verdict(reviewer, task, verdict="accept")
    assert other.status_code == 409
    assert reviews(factory) == 1


def test_a_label_assignment_takes_no_verdict(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker = factory.worker()
    assignment = lease(worker, project["id"])
    response = worker.post(
        f"/api/assignments/{assignment['id']}/verdict", json={"verdict": "accept"}
    )
    assert response.status_code == 409 and response.json()["error"]["field"] == "assignment_id"


def test_an_expired_review_lease_frees_the_work_for_another_reviewer(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, slow, quick = factory.worker(), factory.worker(), factory.worker()
    annotation = label(worker, project["id"])
    task = review_task(slow, project["id"])
    assert next_review(quick, project["id"]).json()["task"] is None
    expire(factory.database, task["assignment"]["id"])
    assert review_task(quick, project["id"])["annotation"]["id"] == annotation["id"]
    late = verdict(slow, task, verdict="accept")
    assert late.status_code == 410


def test_a_held_review_comes_back_and_can_be_returned(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=2)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    task = review_task(reviewer, project["id"])
    assert review_task(reviewer, project["id"])["assignment"]["id"] == task["assignment"]["id"]
    returned = reviewer.post(f"/api/assignments/{task['assignment']['id']}/return")
    assert returned.status_code == 200
    assert (
        review_task(factory.worker(), project["id"])["annotation"]["id"] == task["annotation"]["id"]
    )


def test_revising_waits_while_a_reviewer_holds_the_work(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    annotation = label(worker, project["id"])
    revise = {"answers": {"sentiment": "neutral"}, "time_spent_ms": 100}
    url = f"/api/annotations/{annotation['id']}/revise"
    task = review_task(reviewer, project["id"])
    assert worker.post(url, json=revise).status_code == 409
    reviewer.post(f"/api/assignments/{task['assignment']['id']}/return")
    revised = worker.post(url, json=revise)
    assert revised.status_code == 201 and revised.json()["awaiting_stage"] == "review"
    task = review_task(factory.worker(), project["id"])
    assert task["annotation"]["id"] == revised.json()["id"]


def test_sampling_sends_a_share_to_review_and_accepted_work_on_to_audit(factory: Factory) -> None:
    workflow = [{"stage": "review", "sample_rate": 0.5}, {"stage": "audit", "sample_rate": 1.0}]
    _owner, project, ids = reviewed_project(factory, items=40, workflow=workflow)
    worker = factory.worker()
    stages = [label(worker, project["id"])["awaiting_stage"] for _ in ids]
    assert 10 <= stages.count("review") <= 30
    assert stages.count("audit") == len(ids) - stages.count("review")
    reviewer = factory.worker()
    task = review_task(reviewer, project["id"])
    verdict(reviewer, task, verdict="accept")
    with factory.database.session(write=False) as db:
        awaiting = db.scalar(
            select(Annotation.awaiting_stage).where(Annotation.id == task["annotation"]["id"])
        )
    assert awaiting == "audit"
    audit = review_task(factory.worker(), project["id"], stage="audit")
    assert audit["assignment"]["stage"] == "audit"


def test_a_stage_needs_its_qualification_and_must_exist(factory: Factory) -> None:
    workflow = [{"stage": "review", "qualification": "medicine"}]
    _owner, project, _ids = reviewed_project(factory, workflow=workflow)
    label(factory.worker(), project["id"])
    reviewer = factory.worker()
    refused = next_review(reviewer, project["id"])
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "qualification"
    missing = next_review(reviewer, project["id"], stage="audit")
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "stage"
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count(Assignment.id)).where(Assignment.stage != "label")) == 0


def test_workflow_settings_are_checked(factory: Factory) -> None:
    owner, org_id = factory.owner()
    bad: list[dict[str, Any]] = [
        {"workflow": [{"stage": "review"}, {"stage": "review"}]},
        {"workflow": [{"stage": "second_opinion"}]},
        {"workflow": [{"stage": "review", "sample_rate": 0}]},
        {"workflow": [{"stage": "review", "sample_rate": 1.5}]},
        {"rejection_reasons": [{"code": "x", "label": "X"}, {"code": "x", "label": "Y"}]},
        {"rework_hours": 0},
    ]
    for extra in bad:
        body = {"organization_id": org_id, "name": "P", **extra}
        assert owner.post("/api/projects", json=body).status_code == 422, extra
    assert owner.get("/api/projects").json() == []


def test_a_project_without_review_stages_settles_on_submit(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory)
    annotation = label(factory.worker(), project["id"])
    assert annotation["awaiting_stage"] is None
    missing = next_review(factory.worker(), project["id"])
    assert missing.status_code == 422


def test_clients_see_verdicts_by_pseudonym_only(factory: Factory) -> None:
    owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    verdict(reviewer, review_task(reviewer, project["id"]), **REJECT)
    (seen,) = owner.get(f"/api/projects/{project['id']}/reviews").json()
    assert "@" not in seen["reviewer"] and seen["verdict"] == "reject"
    stranger, _org = factory.owner()
    assert stranger.get(f"/api/projects/{project['id']}/reviews").status_code == 404
    assert next_task(worker, project["id"])["assignment"]["stage"] == "rework"


def test_the_history_page_explains_each_verdict(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=2)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    label(worker, project["id"])
    verdict(reviewer, review_task(reviewer, project["id"]), **REJECT, comment="<b>sarcastic</b>")
    second = factory.worker()
    verdict(second, review_task(second, project["id"]), verdict="accept")
    sign_in(factory.client, worker.email)
    page = factory.client.get("/history")
    assert page.status_code == 200
    assert "Rejected" in page.text and "Accepted" in page.text
    assert "The answer is wrong" in page.text and "Sarcasm" in page.text
    assert "&lt;b&gt;sarcastic&lt;/b&gt;" in page.text and "<b>sarcastic" not in page.text
    assert "paid rework" in page.text
    factory.client.cookies.clear()
    assert factory.client.get("/history", follow_redirects=False).status_code == 303


def test_a_verdict_updates_the_consensus(factory: Factory) -> None:
    _owner, project, (item_id,) = reviewed_project(factory, overlap=2)
    first, second, reviewer = factory.worker(), factory.worker(), factory.worker()
    label(first, project["id"], "positive")
    label(second, project["id"], "negative")
    task = review_task(reviewer, project["id"])
    rejected_answer = task["annotation"]["answers"]["sentiment"]
    assert verdict(reviewer, task, **REJECT).status_code == 201
    with factory.database.session(write=False) as db:
        row = db.execute(
            select(Consensus.answer, Consensus.annotators).where(Consensus.item_id == item_id)
        ).one()
    assert row.annotators == 1 and row.answer != rejected_answer
