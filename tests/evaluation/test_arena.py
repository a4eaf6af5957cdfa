"""Arena mode through the real API, against endpoints on the stand-in server (a stand-in
for model servers: no model weights can run here): the worker writes the prompt, two of the
evaluation's models drawn at random answer it with no name attached, the worker votes, and
only then are the names shown; refusals are specific and store nothing."""

from typing import Any

import orjson

from fairlabel.models import Assignment, Battle, EvalModel, EvalPrompt
from tests.evaluation.evalproj import MODEL_NAMES, Evaluation, battles, build, generate
from tests.factories import Account, Factory
from tests.llm.standin import StandIn


def _tasks(evaluation: Evaluation, count: int) -> None:
    added = evaluation.post("arena-tasks", json={"count": count})
    assert added.status_code == 201, added.text


def _lease(evaluation: Evaluation, worker: Account) -> dict[str, Any]:
    leased = worker.post(f"/api/projects/{evaluation.project_id}/assignments/next")
    assert leased.status_code == 200, leased.text
    assignment: dict[str, Any] = leased.json()["assignment"]
    return assignment


def test_the_worker_prompts_two_anonymous_models_and_sees_them_after_the_vote(
    factory: Factory, standin: StandIn
) -> None:
    evaluation = build(factory, standin, prompts=1)
    _tasks(evaluation, 2)
    worker = factory.worker()
    assignment = _lease(evaluation, worker)
    assert assignment["item"]["external_id"] == f"evaluation-{evaluation.id}-arena-1"
    url = f"/api/assignments/{assignment['id']}/arena"
    answered = worker.post(url, json={"prompt": "Write a haiku about tides."})
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert [r["id"] for r in body["responses"]] == ["a", "b"]
    assert all(r["text"] for r in body["responses"])
    for secret in [*MODEL_NAMES, "standin", *(e["name"] for e in evaluation.endpoints)]:
        assert secret not in answered.text
    assert worker.post(url, json={"prompt": "Again?"}).status_code == 409
    assert worker.get(url).status_code == 409  # no names before the vote

    vote = {"answers": {"vote": {"choice": "a"}}, "time_spent_ms": 5_000}
    submitted = worker.post(f"/api/assignments/{assignment['id']}/submit", json=vote)
    assert submitted.status_code == 201, submitted.text
    revealed = worker.get(url)
    assert revealed.status_code == 200, revealed.text
    names = revealed.json()
    with factory.database.session(write=False) as db:
        battle = db.query(Battle).filter(Battle.assignment_id == assignment["id"]).one()
        models = {m.id: m.name for m in db.query(EvalModel)}
        prompt = db.get(EvalPrompt, battle.prompt_id)
        assert prompt is not None and prompt.prompt == "Write a haiku about tides."
    assert battle.mode == "arena" and names["battle_id"] == battle.id
    assert (names["model_a"], names["model_b"]) == (
        models[battle.left_model_id],
        models[battle.right_model_id],
    )
    assert names["model_a"] != names["model_b"]
    board = evaluation.owner.get(
        f"/api/projects/{evaluation.project_id}/leaderboard", params={"style_control": True}
    ).json()
    assert board["votes"] == 1 and board["skipped"] == {}
    assert [s["model"] for s in board["standings"]] == [names["model_a"], names["model_b"]]
    exported = evaluation.owner.get(
        f"/api/projects/{evaluation.project_id}/export", params={"format": "arena-jsonl"}
    )
    assert exported.status_code == 200, exported.text
    (row,) = [orjson.loads(line) for line in exported.content.splitlines()]
    assert (row["model_a"], row["model_b"], row["winner"]) == (
        names["model_a"],
        names["model_b"],
        "model_a",
    )
    assert row["conversation_a"] == [
        {"role": "user", "content": "Write a haiku about tides."},
        {"role": "assistant", "content": body["responses"][0]["text"]},
    ]
    # The worker's prompt is not one of the eval set's.
    assert evaluation.get()["prompts"] == 1
    # Another worker cannot read this one's reveal.
    assert factory.worker().get(url).status_code == 404


def test_arena_refusals_store_nothing(factory: Factory, standin: StandIn) -> None:
    evaluation = build(factory, standin, prompts=1)
    _tasks(evaluation, 1)
    worker = factory.worker()
    assignment = _lease(evaluation, worker)
    url = f"/api/assignments/{assignment['id']}/arena"
    for prompt in ("   ", "x" * 8001):
        refused = worker.post(url, json={"prompt": prompt})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "prompt"
    assert factory.worker().post(url, json={"prompt": "hi"}).status_code == 404
    assert evaluation.post("arena-tasks", json={"count": 0}).status_code == 422
    with factory.database.session(write=False) as db:
        assert db.query(Battle).count() == 0


def test_a_battle_task_is_not_an_arena_task(factory: Factory, standin: StandIn) -> None:
    evaluation = build(factory, standin, models=2, prompts=1)
    generate(evaluation)
    battles(evaluation)
    worker = factory.worker()
    assignment = _lease(evaluation, worker)
    refused = worker.post(f"/api/assignments/{assignment['id']}/arena", json={"prompt": "hi"})
    assert refused.status_code == 404, refused.text


def test_arena_needs_two_models_with_an_endpoint(factory: Factory, standin: StandIn) -> None:
    evaluation = build(factory, standin, models=1, prompts=1, offline=("elsewhere",))
    refused = evaluation.post("arena-tasks", json={"count": 3})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "models"


def test_a_model_that_fails_stores_nothing_and_extends_the_lease(
    factory: Factory, standin: StandIn
) -> None:
    evaluation = build(factory, standin, prompts=1, model_options=("status=500",))
    _tasks(evaluation, 1)
    worker = factory.worker()
    assignment = _lease(evaluation, worker)
    with factory.database.session(write=False) as db:
        row = db.get(Assignment, assignment["id"])
        assert row is not None
        before = row.expires_at
    failed = worker.post(f"/api/assignments/{assignment['id']}/arena", json={"prompt": "hi"})
    assert failed.status_code == 502, failed.text
    assert failed.json()["error"]["code"] == "model_failed"
    with factory.database.session(write=False) as db:
        row = db.get(Assignment, assignment["id"])
        assert row is not None and row.expires_at > before
        assert db.query(Battle).count() == 0


def test_the_answers_come_back_for_a_reloaded_page_to_their_worker_alone(
    factory: Factory, standin: StandIn
) -> None:
    evaluation = build(factory, standin, prompts=1)
    _tasks(evaluation, 1)
    worker = factory.worker()
    assignment = _lease(evaluation, worker)
    url = f"/api/assignments/{assignment['id']}/arena"
    before = worker.get(f"{url}/answers")
    assert before.status_code == 200 and before.json() is None
    answered = worker.post(url, json={"prompt": "Name three tide-pool animals."}).json()
    again = worker.get(f"{url}/answers")
    assert again.status_code == 200, again.text
    assert again.json() == answered and answered["prompt"] == "Name three tide-pool animals."
    for secret in [*MODEL_NAMES, *(e["name"] for e in evaluation.endpoints)]:
        assert secret not in again.text
    assert factory.worker().get(f"{url}/answers").status_code == 404
