"""Qualification tests: made of a project's gold items, scored like gold, the missed items
shown with the guideline sections to read (never their gold answers), retakes after a
cool-down, a pass grants the qualification calibrated."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from fairlabel.models import QualificationAttempt, QualificationTest
from tests.factories import Account, Factory
from tests.gold.helpers import gold_project
from tests.workforce.helpers import events, move_back, state


def make_test(factory: Factory, **body: Any) -> tuple[Account, dict[str, Any], list[int]]:
    owner, project, _ordinary, golden = gold_project(factory, items=1, gold=3)
    response = owner.post(
        f"/api/projects/{project['id']}/qualification-tests",
        json={"qualification": "sentiment", "level": 2, "item_ids": golden, **body},
    )
    assert response.status_code == 201, response.text
    return owner, response.json(), golden


def answer(worker: Account, attempt_id: int, labels: dict[int, str]) -> Any:
    answers = {str(item): {"sentiment": label} for item, label in labels.items()}
    return worker.post(
        f"/api/qualification-attempts/{attempt_id}/answers",
        json={"answers": answers, "time_spent_ms": 60_000},
    )


def start(worker: Account, test_id: int) -> Any:
    return worker.post(f"/api/qualification-tests/{test_id}/attempts")


def test_a_test_is_made_of_gold_items_only(factory: Factory) -> None:
    owner, project, ordinary, golden = gold_project(factory, items=2, gold=1)
    url = f"/api/projects/{project['id']}/qualification-tests"
    worker = factory.worker()
    before = state(factory.database)
    refused = owner.post(url, json={"qualification": "x", "item_ids": [*golden, *ordinary]})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "item_ids"
    assert refused.json()["error"]["value"] == ordinary
    assert worker.post(url, json={"qualification": "x", "item_ids": golden}).status_code == 404
    assert state(factory.database) == before


def test_a_failed_attempt_shows_the_missed_items_and_waits_for_the_cool_down(
    factory: Factory,
) -> None:
    _owner, test, golden = make_test(factory, pass_mark=0.9, cooldown_hours=24)
    worker = factory.worker()
    started = start(worker, test["id"])
    assert started.status_code == 201, started.text
    body = started.json()
    assert [item["id"] for item in body["items"]] == golden
    assert "answers" not in str(body["items"])  # the known answers stay hidden
    assert start(worker, test["id"]).json()["attempt_id"] == body["attempt_id"]  # resumed
    result = answer(
        worker,
        body["attempt_id"],
        {golden[0]: "negative", golden[1]: "positive", golden[2]: "positive"},
    )
    assert result.status_code == 200, result.text
    out = result.json()
    assert out["passed"] is False and abs(out["score"] - 2 / 3) < 1e-9
    [missed] = out["missed"]
    assert (missed["item_id"], missed["missed_questions"]) == (golden[0], ["sentiment"])
    assert missed["expected"] is None  # a gold answer stays hidden
    assert "positive" not in str(missed["guideline_sections"])
    assert out["retake_at"] is not None and out["decision_id"] is not None
    assert answer(worker, body["attempt_id"], {}).status_code == 409
    before = state(factory.database)
    retake = start(worker, test["id"])
    assert retake.status_code == 429
    assert retake.json()["error"]["code"] == "cooldown"
    when = retake.json()["error"]["value"]
    assert datetime.fromisoformat(when) == datetime.fromisoformat(out["retake_at"])
    assert state(factory.database) == before
    [event] = events(factory.database, worker.user_id, "qualification_test")
    assert event.data["passed"] is False and event.id == out["decision_id"]
    move_back(factory.database, QualificationAttempt, body["attempt_id"], 1.01, "finished_at")
    assert start(worker, test["id"]).status_code == 201


def test_passing_grants_the_qualification_calibrated(factory: Factory) -> None:
    _owner, test, golden = make_test(factory)
    worker = factory.worker()
    attempt = start(worker, test["id"]).json()["attempt_id"]
    result = answer(worker, attempt, dict.fromkeys(golden, "positive")).json()
    assert result["passed"] is True and result["score"] == 1 and result["missed"] == []
    assert result["retake_at"] is None
    held = worker.get("/api/me/profile").json()["qualifications"]
    assert [(q["name"], q["level"], q["tier"]) for q in held] == [("sentiment", 2, "calibrated")]
    assert start(worker, test["id"]).status_code == 409
    assert worker.get("/api/me/qualification-attempts").json()[0]["passed"] is True


def test_bad_answers_and_others_attempts_change_nothing(factory: Factory) -> None:
    _owner, test, golden = make_test(factory)
    worker, other = factory.worker(), factory.worker()
    attempt = start(worker, test["id"]).json()["attempt_id"]
    before = state(factory.database)
    wrong = answer(worker, attempt, {golden[0]: "sideways", golden[1]: "positive"})
    assert wrong.status_code == 422
    fields = {d["field"] for d in wrong.json()["error"]["details"]}
    assert f"answers.{golden[0]}.sentiment" in fields and f"answers.{golden[2]}.sentiment" in fields
    assert answer(worker, attempt, {999_999: "positive"}).status_code == 422
    assert answer(other, attempt, dict.fromkeys(golden, "positive")).status_code == 404
    assert state(factory.database) == before
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count(QualificationTest.id))) == 1
