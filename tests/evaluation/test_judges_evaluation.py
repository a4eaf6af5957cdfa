"""A judge on an evaluation's blind battles, end to end through the API: the battles'
models come from the battles table (their items name none), the judge's votes rank them on
the leaderboard apart from people's, and a new model version added to the evaluation is
generated, battled, judged and compared with the version it replaces, per category. The
stand-in server plays both the models under test and the judge (no weights can run
here): the judge prefers the longer response, and the new version answers at length."""

from typing import Any

from tests.evaluation.evalproj import MODEL_NAMES, battles, build, generate
from tests.factories import Factory
from tests.jobs.helpers import wait_for_job
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model

OLD = MODEL_NAMES[0]
NEW = f"{OLD}-v2"


def _judge(evaluation: Any, standin: StandIn) -> int:
    endpoint = register(
        evaluation.owner, evaluation.org_id, standin, model=unique_model("judge=longer")
    )
    created = evaluation.owner.post(
        f"/api/projects/{evaluation.project_id}/judges",
        json={"name": "referee", "endpoint_id": endpoint["id"]},
    )
    assert created.status_code == 201, created.text
    judge_id: int = created.json()["id"]
    return judge_id


def _run(evaluation: Any, judge_id: int) -> dict[str, Any]:
    started = evaluation.owner.post(f"/api/judges/{judge_id}/runs")
    assert started.status_code == 202, started.text
    job = wait_for_job(evaluation.owner, started.json()["id"])
    assert job["status"] == "succeeded", job
    result: dict[str, Any] = job["result"]
    return result


def _get(evaluation: Any, path: str, **params: Any) -> dict[str, Any]:
    response = evaluation.owner.get(f"/api/projects/{evaluation.project_id}/{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_judge_ranks_an_evaluation_and_compares_a_new_version(
    factory: Factory, standin: StandIn
) -> None:
    evaluation = build(factory, standin, models=2, prompts=6)
    assert generate(evaluation)["status"] == "succeeded"
    assert battles(evaluation)["created"] == 6
    judge_id = _judge(evaluation, standin)
    first = _run(evaluation, judge_id)
    assert (first["items"], first["ok"], first["unparseable"]) == (6, 12, 0)
    board = _get(evaluation, "leaderboard", source="judge", bootstrap=0)
    assert board["judge_votes"] == 6 and board["human_votes"] == 0
    assert {s["model"] for s in board["standings"]} == set(MODEL_NAMES[:2])

    longer = register(evaluation.owner, evaluation.org_id, standin, model=unique_model("tokens=24"))
    added = evaluation.post("models", json={"name": NEW, "endpoint_id": longer["id"]})
    assert added.status_code == 201, added.text
    assert generate(evaluation)["status"] == "succeeded"  # only the new version's responses
    battles(evaluation)
    again = _run(evaluation, judge_id)
    assert again["ok"] == 2 * (again["items"]) and again["unparseable"] == 0
    compared = _get(evaluation, "versions", baseline=OLD, candidate=NEW, source="judge", seed=2)
    overall = compared["overall"]
    assert overall["prompts"] == 6 and overall["battles"] == 6
    assert overall["win_rate"] == 1.0 and overall["lower"] == 1.0
    assert {c["category"]: c["battles"] for c in compared["categories"]} == {
        "code": 3,
        "writing": 3,
    }
