"""LLM judges through the real API and the production client, the stand-in server playing
the model (no weights can run here): each battle judged in both orders, the verdicts stored
as a judge's and counted on the leaderboard apart from people's, unparseable replies
recorded as errors and never as votes, and bad requests refused with specific errors."""

from typing import Any

import pytest
from sqlalchemy import func, select

from fairlabel.models import Item, Job
from fairlabel.models.judges import JudgeVerdict
from tests.evaluation.judging import BATTLES, battles_project, judge, org_of, run
from tests.evaluation.test_leaderboard_api import QUESTIONS
from tests.exports.helpers import build_project
from tests.factories import Factory
from tests.jobs.helpers import wait_for_job
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model


def _board(built: Any, **params: Any) -> dict[str, Any]:
    response = built.owner.get(
        f"/api/projects/{built.project_id}/leaderboard", params={"bootstrap": 0, **params}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _verdict_count(factory: Factory) -> int:
    with factory.database.session(write=False) as db:
        return int(db.scalar(select(func.count()).select_from(JudgeVerdict)) or 0)


def test_a_judge_votes_on_every_battle_in_both_orders(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    made = judge(built, factory, standin)
    assert made["question"] == "better" and made["question_type"] == "pairwise"
    assert "$response_a" in made["template"]
    job = run(built, made["id"])
    assert job["status"] == "succeeded", job
    assert (job["done"], job["total"], job["kind"]) == (10, 10, "judge")
    result = job["result"]
    assert (result["items"], result["ok"], result["unparseable"], result["failed"]) == (5, 10, 0, 0)
    assert result["errors"] == [] and result["routed"] == 0
    sent = standin.response_format(made["model"])
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["schema"]["properties"]["verdict"]["enum"] == [
        "a",
        "b",
        "tie",
        "both_bad",
    ]
    verdicts = built.owner.get(f"/api/judges/{made['id']}/verdicts").json()
    assert len(verdicts) == 10 and {v["swapped"] for v in verdicts} == {False, True}
    for verdict in verdicts:  # stored in the item's order, whichever order was shown
        n = int(verdict["external_id"].split("-")[1])
        assert verdict["answer"]["choice"] == ("a" if BATTLES[n][2] else "b")
        assert verdict["status"] == "ok" and verdict["confidence"] == 0.9
    judged = _board(built, source="judge")
    assert (judged["votes"], judged["judge_votes"], judged["human_votes"]) == (5, 5, 0)
    assert judged["source"] == "judge"
    assert _board(built, source="human")["votes"] == 0
    assert _board(built)["judge_votes"] == 5  # all: people's and judges'
    again = run(built, made["id"])  # nothing left to ask: every verdict is ok
    assert again["result"]["ok"] == 0 and _verdict_count(factory) == 10


def test_a_human_vote_and_a_judge_vote_are_told_apart(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    worker = factory.worker()
    from tests.exports.helpers import work

    work(built, worker, {f"battle-{n}": {"better": {"choice": "tie"}} for n in range(5)})
    run(built, judge(built, factory, standin)["id"])
    board = _board(built, source="all")
    assert (board["votes"], board["human_votes"], board["judge_votes"]) == (6, 1, 5)
    assert _board(built, source="human")["votes"] == 1


def test_unparseable_replies_are_recorded_errors_not_votes(
    factory: Factory, standin: StandIn
) -> None:
    built = battles_project(factory)
    made = judge(built, factory, standin, mode="prose", response_format="none")
    job = run(built, made["id"])
    assert job["status"] == "succeeded", job
    assert (job["result"]["ok"], job["result"]["unparseable"]) == (0, 10)
    error = job["result"]["errors"][0]
    assert error["status"] == "unparseable" and "not JSON" in error["error"]
    assert standin.response_format(made["model"]) is None
    stored = built.owner.get(f"/api/judges/{made['id']}/verdicts", params={"status": "unparseable"})
    assert len(stored.json()) == 10 and stored.json()[0]["output"].startswith("Response A")
    assert stored.json()[0]["answer"] is None
    assert _board(built, source="judge")["votes"] == 0


def test_a_verdict_outside_the_choices_is_unparseable(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    job = run(built, judge(built, factory, standin, mode="badverdict")["id"])
    assert job["result"]["unparseable"] == 10
    assert "'maybe' is not one of: a, b, tie, both_bad" in job["result"]["errors"][0]["error"]


def test_failed_calls_are_recorded_and_asked_again(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    endpoint = register(
        built.owner,
        org_of(built, factory),
        standin,
        model=unique_model("judge=longer", "flaky=4", "status=503"),
        max_concurrency=1,
    )
    made = built.owner.post(
        f"/api/projects/{built.project_id}/judges",
        json={"name": "flaky", "endpoint_id": endpoint["id"]},
    ).json()
    first = run(built, made["id"])["result"]
    assert (first["ok"], first["failed"]) == (6, 4)
    assert first["errors"][0]["error"].startswith("server_error:")
    second = run(built, made["id"])["result"]
    assert (second["ok"], second["failed"]) == (4, 0)
    assert _verdict_count(factory) == 10


def test_bad_requests_are_refused_and_store_nothing(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    url = f"/api/projects/{built.project_id}/judges"
    endpoint = register(built.owner, org_of(built, factory), standin)
    other_owner, other_org = factory.owner()
    foreign = register(other_owner, other_org, standin)
    cases = [
        ({"name": "j", "endpoint_id": 999_999}, 404, "endpoint_id"),
        ({"name": "j", "endpoint_id": foreign["id"]}, 404, "endpoint_id"),
        ({"name": "j", "endpoint_id": endpoint["id"], "question": "note"}, 422, "question"),
        ({"name": "j", "endpoint_id": endpoint["id"], "template": "Say $prompt"}, 422, "template"),
        ({"name": "j", "endpoint_id": endpoint["id"], "template": "$ $prompt"}, 422, "template"),
        ({"name": "j", "endpoint_id": endpoint["id"], "min_confidence": 2}, 422, None),
    ]
    for body, status, field in cases:
        response = built.owner.post(url, json=body)
        assert response.status_code == status, (body, response.text)
        if field is not None:
            assert response.json()["error"]["field"] == field, response.text
    assert built.owner.get(url).json() == []
    assert (
        built.owner.post(url, json={"name": "j", "endpoint_id": endpoint["id"]}).status_code == 201
    )
    taken = built.owner.post(url, json={"name": "j", "endpoint_id": endpoint["id"]})
    assert taken.status_code == 409 and taken.json()["error"]["field"] == "name"
    assert other_owner.get("/api/judges/1").status_code == 404


def test_a_project_with_no_battles_has_nothing_to_judge(factory: Factory, standin: StandIn) -> None:
    built = build_project(factory, QUESTIONS, [{"external_id": "lonely", "prompt": "Hi?"}])
    made = judge(built, factory, standin)
    refused = built.owner.post(f"/api/judges/{made['id']}/runs")
    assert refused.status_code == 422, refused.text
    assert "no battles" in refused.json()["error"]["message"]
    assert refused.json()["error"]["expected"].startswith("a project with battles")
    with factory.database.session(write=False) as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_unknown_judge_bad_status_and_bad_source(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    assert built.owner.get("/api/judges/424242").json()["error"]["field"] == "judge_id"
    assert built.owner.post("/api/judges/424242/runs").status_code == 404
    made = judge(built, factory, standin)
    bad = built.owner.get(f"/api/judges/{made['id']}/verdicts", params={"status": "great"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    board = built.owner.get(
        f"/api/projects/{built.project_id}/leaderboard", params={"source": "robots"}
    )
    assert board.status_code == 422 and board.json()["error"]["field"] == "source"


@pytest.mark.parametrize("mode", ["first"])
def test_a_position_biased_judge_is_inconsistent_and_its_items_go_to_people(
    factory: Factory, standin: StandIn, mode: str
) -> None:
    built = battles_project(factory)
    made = judge(built, factory, standin, mode=mode)
    assert run(built, made["id"])["result"]["routed"] == 5
    report = built.owner.get(f"/api/judges/{made['id']}/agreement", params={"bootstrap": 50})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["swap"] == {"items": 5, "consistent": 0, "rate": 0.0}
    assert {tuple(f["reasons"]) for f in body["flagged"]} == {("inconsistent",)}
    assert all(f["routed"] for f in body["flagged"])
    with factory.database.session(write=False) as db:
        priorities = set(
            db.scalars(select(Item.priority).where(Item.project_id == built.project_id))
        )
    assert priorities == {100}
    board = _board(built, source="judge")  # an inconsistent judge votes a tie
    assert board["votes"] == 5 and all(s["ties"] == s["battles"] for s in board["standings"])


def test_a_judge_of_a_removed_question_leaves_the_leaderboard_alone(
    factory: Factory, standin: StandIn
) -> None:
    built = battles_project(factory)
    run(built, judge(built, factory, standin)["id"])
    renamed = [{"name": "preferred", "type": "pairwise", "settings": {"field": "responses"}}]
    patched = built.owner.patch(f"/api/projects/{built.project_id}", json={"questions": renamed})
    assert patched.status_code == 200, patched.text
    board = _board(built, source="all")
    assert board["question"] == "preferred" and board["judge_votes"] == 0


def test_one_run_at_a_time_per_project(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    slow = judge(built, factory, standin, mode="longer;ttft=400")
    started = built.owner.post(f"/api/judges/{slow['id']}/runs")
    assert started.status_code == 202, started.text
    second = built.owner.post(f"/api/judges/{slow['id']}/runs")
    assert second.status_code == 409, second.text
    assert second.json()["error"]["details"][0]["job_id"] == started.json()["id"]
    assert wait_for_job(built.owner, started.json()["id"])["status"] == "succeeded"


def test_a_judge_whose_endpoint_was_deleted_is_refused(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    made = judge(built, factory, standin)
    endpoint_id = built.owner.get(f"/api/judges/{made['id']}").json()["endpoint_id"]
    assert built.owner.delete(f"/api/model-endpoints/{endpoint_id}").status_code == 204
    refused = built.owner.post(f"/api/judges/{made['id']}/runs")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "endpoint_id"
