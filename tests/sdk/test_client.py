"""The Python SDK against a real uvicorn server: projects, import, items, work, export, and
waiting for jobs."""

import json
from pathlib import Path

import pytest

import fairlabel
from fairlabel import ApiError, Client, JobFailed
from fairlabel.db import utcnow
from fairlabel.models import Job
from tests.factories import Factory
from tests.quality.helpers import label_by, labelled_project

QUESTIONS = [{"name": "category", "type": "label", "settings": {"labels": ["billing", "shipping"]}}]


def test_public_names_are_exported() -> None:
    assert sorted(fairlabel.__all__) == ["ApiError", "Client", "JobFailed"]
    for name in fairlabel.__all__:
        assert getattr(fairlabel, name) is not None


def test_full_round_trip(factory: Factory, live_server: str, tmp_path: Path) -> None:
    owner, org_id = factory.owner()
    worker = factory.worker()
    with Client(live_server, owner.token) as client:
        project = client.create_project(org_id, "Tickets", questions=QUESTIONS, status="active")
        source = tmp_path / "tickets.jsonl"
        source.write_text(
            "".join(
                json.dumps({"external_id": f"t{i}", "text": f"ticket {i}"}) + "\n" for i in range(5)
            )
        )
        report = client.import_items(project["id"], source)
        assert report["created"] == 5
        again = client.import_items(project["id"], [{"external_id": "t0", "text": "changed"}])
        assert again["updated"] == 1
        items = list(client.iter_items(project["id"], page_size=2))
        assert [i["external_id"] for i in items] == [f"t{i}" for i in range(5)]
        assert items[0]["fields"]["text"] == "changed"
    with Client(live_server, worker.token) as client:
        labelled = 0
        while (task := client.next_assignment(project["id"])) is not None:
            assignment_id = task["assignment"]["id"]
            client.save_draft(assignment_id, {"category": "billing"}, 500)
            client.submit(assignment_id, {"category": "shipping"}, 1200)
            labelled += 1
        assert labelled == 5
    with Client(live_server, owner.token) as client:
        target = tmp_path / "out.jsonl"
        written = client.export(project["id"], "jsonl", target)
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert written == target.stat().st_size
        assert len(lines) == 5
        assert all(line["annotations"][0]["answers"] == {"category": "shipping"} for line in lines)
        assert all(line["annotations"][0]["time_spent_ms"] == 1200 for line in lines)


def test_errors_carry_field_value_and_expected(factory: Factory, live_server: str) -> None:
    owner, org_id = factory.owner()
    with Client(live_server, owner.token) as client:
        with pytest.raises(ApiError) as caught:
            client.create_project(
                org_id, "Bad", questions=[{"name": "q", "type": "telepathy", "settings": {}}]
            )
        assert caught.value.status_code == 422
        assert caught.value.value == "telepathy"
        assert caught.value.expected and "label" in caught.value.expected
        with pytest.raises(ApiError) as missing:
            client.get_project(999_999)
        assert missing.value.status_code == 404
    with Client(live_server, "fl_wrong") as client, pytest.raises(ApiError) as denied:
        client.me()
    assert denied.value.status_code == 401


def test_suggestions_gold_review_and_quality(factory: Factory, live_server: str) -> None:
    owner, org_id = factory.owner()
    labeller, reviewer = factory.worker(), factory.worker()
    with Client(live_server, owner.token) as client:
        project = client.create_project(
            org_id,
            "Reviewed",
            questions=QUESTIONS,
            guidelines="# Guidelines\n## Billing\nMoney matters.",
            workflow=[{"stage": "review"}],
            status="active",
        )
        client.import_items(
            project["id"], [{"external_id": f"t{i}", "text": "x"} for i in range(2)]
        )
        items = list(client.iter_items(project["id"]))
        stored = client.store_suggestions(
            project["id"],
            [{"item_id": items[0]["id"], "question": "category", "answer": "billing"}],
        )
        assert stored == {"stored": 1}
        assert (
            client.set_gold(items[1]["id"], {"category": "shipping"})["item_id"] == items[1]["id"]
        )
        with pytest.raises(ApiError) as refused:
            client.set_gold(items[1]["id"], {"category": "refunds"})
        assert refused.value.status_code == 422
    with Client(live_server, labeller.token) as client:
        task = client.next_assignment(project["id"])
        assert task is not None and task["assignment"]["suggestions"][0]["answer"] == "billing"
        client.submit(task["assignment"]["id"], {"category": "billing"})
    with Client(live_server, reviewer.token) as client:
        review = client.next_review(project["id"])
        assert review is not None
        verdict = client.give_verdict(
            review["assignment"]["id"],
            "reject",
            reason_code="wrong_answer",
            guideline_ref="Billing",
        )
        assert verdict["reason_code"] == "wrong_answer"
        assert client.next_review(project["id"]) is None
    with Client(live_server, labeller.token) as client:
        (seen,) = client.my_reviews()
        assert seen["guideline_ref"] == "Billing"
    with Client(live_server, owner.token) as client:
        assert "questions" in client.quality(project["id"])


def test_funding_and_earnings(factory: Factory, live_server: str) -> None:
    owner, org_id = factory.owner()
    worker = factory.worker()
    with Client(live_server, owner.token) as client:
        project = client.create_project(
            org_id, "Paid", questions=QUESTIONS, rates={"label": 40}, estimated_seconds=30
        )
        assert client.fund(project["id"], 400)["balance_minor"] == 400
        with pytest.raises(ApiError) as refused:
            client.fund(project["id"], 100, currency="EUR")
        assert refused.value.status_code == 422
        client.update_project(project["id"], status="active")
        client.import_items(project["id"], [{"external_id": "t0", "text": "x"}])
    with Client(live_server, worker.token) as client:
        task = client.next_assignment(project["id"])
        assert task is not None and task["assignment"]["rate_minor"] == 40
        client.submit(task["assignment"]["id"], {"category": "billing"})
        totals = client.earnings()["totals"]["USD"]
        assert totals["pending_minor"] + totals["approved_minor"] == 40


def test_recompute_waits_for_its_job(factory: Factory, live_server: str) -> None:
    owner, project, _ = labelled_project(factory, items=2, overlap=2)
    label_by(factory, project["id"], ["positive", "negative", "positive", "positive"])
    with Client(live_server, owner.token) as client:
        result = client.recompute_consensus(project["id"], method="majority_vote", timeout=60)
        assert result["methods"] == {"sentiment": "majority_vote"}
        assert (result["items"], result["rows"]) == (2, 2)
        (job,) = client.jobs(project["id"])
        assert client.job(job["id"])["result"] == result
        with pytest.raises(ApiError) as refused:
            client.recompute_consensus(project["id"], question="nope")
        assert refused.value.status_code == 422 and refused.value.field == "question"


def test_waiting_for_a_failed_or_slow_job(factory: Factory, live_server: str) -> None:
    owner, project, _ = labelled_project(factory)
    with factory.database.session() as db:
        jobs = [
            Job(kind="consensus", project_id=project["id"], status=status, error=error)
            for status, error in (("failed", "no such question"), ("queued", None))
        ]
        db.add_all(jobs)
        db.flush()
        failed, waiting = (job.id for job in jobs)
    with Client(live_server, owner.token) as client:
        with pytest.raises(JobFailed) as caught:
            client.wait_for_job(failed)
        assert caught.value.error == "no such question"
        started = utcnow()
        with pytest.raises(TimeoutError):
            client.wait_for_job(waiting, timeout=0.3, interval=0.1)
        assert (utcnow() - started).total_seconds() < 5
