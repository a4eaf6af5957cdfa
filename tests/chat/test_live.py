"""Live pairwise and ranking questions through the real API against the stand-in
OpenAI-compatible server (a real process standing in for a model server, since no model
weights can be loaded here; the code path is the production client): the candidates are
generated for the worker as a chat turn is, and the submitted answer is checked against
them and stored with them; every refusal is a specific 4xx that stores nothing."""

from typing import Any

import pytest

from fairlabel.llm import service as llm_service
from fairlabel.models import Annotation, ModelEndpoint
from tests.chat.helpers import (
    chat_state,
    chat_task,
    events,
    expires_at,
    start,
    submit,
    turn,
    turns_url,
)
from tests.factories import Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn

PROMPT = [{"role": "user", "content": "Name a lake in Kenya."}]


def pairwise_task(factory: Factory, standin: StandIn, **live: Any) -> Any:
    return chat_task(
        factory, standin, kind="pairwise", live=live, fields={"messages": PROMPT}, strength_levels=3
    )


def ranking_task(factory: Factory, standin: StandIn, **live: Any) -> Any:
    return chat_task(
        factory,
        standin,
        kind="ranking",
        live={"candidates": 3, "field": "prompt", **live},
        fields={"prompt": "Name a lake in Kenya."},
    )


def shown(stored: dict[str, Any]) -> list[dict[str, str]]:
    return [{"id": c["id"], "text": c["text"]} for c in stored["candidates"]]


def stored_answer(factory: Factory, assignment: dict[str, Any]) -> Any:
    with factory.database.session(write=False) as db:
        (annotation,) = db.query(Annotation).filter_by(assignment_id=assignment["id"]).all()
        return annotation.answers["q"]


def test_a_live_pair_is_generated_from_two_endpoints_and_stored_with_the_answer(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, endpoints = pairwise_task(factory, standin, sampling={"seed": 3})
    found = events(start(worker, assignment, {"turn": 0}))
    assert found[0] == (
        "start",
        {
            "turn": 0,
            "prompt": PROMPT,
            "candidates": [
                {"id": side, "endpoint": e["name"], "model": e["model"]}
                for side, e in zip("ab", endpoints, strict=True)
            ],
        },
    )
    stored = found[-1][1]
    assert [c["endpoint_id"] for c in stored["candidates"]] == [e["id"] for e in endpoints]
    response = submit(
        worker, assignment, {"choice": "b", "strength": 2, "candidates": shown(stored)}
    )
    assert response.status_code == 201, response.text
    answer = stored_answer(factory, assignment)
    assert answer["choice"] == "b" and answer["strength"] == 2
    assert answer["live"]["prompt"] == PROMPT
    assert answer["live"]["candidates"] == stored["candidates"]
    assert [c["sampling"]["seed"] for c in answer["live"]["candidates"]] == [3, 4]
    assert [c["model"] for c in answer["live"]["candidates"]] == [e["model"] for e in endpoints]


def test_a_live_ranking_of_three_with_a_tie_from_a_text_prompt(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = ranking_task(factory, standin)
    stored = turn(worker, assignment, {"turn": 0})
    assert [c["id"] for c in stored["candidates"]] == ["c1", "c2", "c3"]
    listed = worker.get(turns_url(assignment)).json()
    assert listed[0]["prompt"] == PROMPT and listed[0]["user"] is None
    ranking = [["c2", "c3"], ["c1"]]
    response = submit(worker, assignment, {"ranking": ranking, "candidates": shown(stored)})
    assert response.status_code == 201, response.text
    answer = stored_answer(factory, assignment)
    assert answer == {
        "ranking": ranking,
        "live": {
            "prompt": PROMPT,
            "candidates": stored["candidates"],
            "wait_ms": stored["wait_ms"],
        },
    }


def test_regenerating_replaces_the_candidates_the_answer_is_checked_against(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = ranking_task(factory, standin)  # no seed: new words each time
    first = turn(worker, assignment, {"turn": 0})
    second = turn(worker, assignment, {"turn": 0})
    assert len(worker.get(turns_url(assignment)).json()) == 1
    assert shown(first) != shown(second)
    ranking = [["c1"], ["c2"], ["c3"]]
    before = chat_state(factory)
    old = submit(worker, assignment, {"ranking": ranking, "candidates": shown(first)})
    assert old.status_code == 422
    assert old.json()["error"]["field"].startswith("answers.q.candidates[")
    assert chat_state(factory) == before
    response = submit(worker, assignment, {"ranking": ranking, "candidates": shown(second)})
    assert response.status_code == 201, response.text


def test_answering_before_the_candidates_are_generated_is_refused(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = pairwise_task(factory, standin)
    before = chat_state(factory)
    response = submit(worker, assignment, {"choice": "a", "strength": 1})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "answers.q" and "generate them first" in error["expected"]
    assert chat_state(factory) == before


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"ranking": [["c1"], ["c2"], ["c9"]]}, "answers.q.ranking[2][0]"),
        ({"ranking": [["c1"], ["c2"]]}, "answers.q.ranking"),
        ({"ranking": [["c1", "c2", "c3"]], "candidates": [{"id": "c4", "text": "x"}]}, None),
        ({"ranking": [["c1", "c2", "c3"]], "candidates": [{"id": "c1", "text": "forged"}]}, None),
        ([["c1"], ["c2"], ["c3"]], "answers.q"),
    ],
)
def test_a_live_answer_naming_candidates_never_generated_is_refused(
    factory: Factory, standin: StandIn, answer: Any, field: str | None
) -> None:
    worker, assignment, _ = ranking_task(factory, standin)
    turn(worker, assignment, {"turn": 0})
    before = chat_state(factory)
    response = submit(worker, assignment, answer)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == (field or "answers.q.candidates[0]")
    assert chat_state(factory) == before


def test_a_forged_pairwise_candidate_is_refused(factory: Factory, standin: StandIn) -> None:
    worker, assignment, _ = pairwise_task(factory, standin)
    stored = turn(worker, assignment, {"turn": 0})
    forged = [*shown(stored)[:1], {"id": "b", "text": "I wrote this myself."}]
    before = chat_state(factory)
    response = submit(worker, assignment, {"choice": "b", "strength": 3, "candidates": forged})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "answers.q.candidates[1]"
    assert chat_state(factory) == before


@pytest.mark.parametrize("candidates", [0, 3])
def test_a_live_pairwise_question_compares_exactly_two(factory: Factory, candidates: int) -> None:
    owner, org_id = factory.owner()
    question = {
        "name": "q",
        "type": "pairwise",
        "settings": {"live": {"endpoints": [1], "candidates": candidates}},
    }
    response = owner.post(
        "/api/projects",
        json={"organization_id": org_id, "name": "Live", "questions": [question]},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "questions[q].settings.live.candidates"


@pytest.mark.parametrize(
    "live",
    [
        {"endpoints": []},
        {"endpoints": [1], "candidates": 9},
        {"endpoints": [1], "sampling": {"temperature": 9}},
        {"endpoints": [1], "field": ""},
        {"endpoints": [1], "model": "x"},
    ],
)
def test_bad_live_ranking_settings_are_refused(factory: Factory, live: dict[str, Any]) -> None:
    owner, org_id = factory.owner()
    question = {"name": "q", "type": "ranking", "settings": {"live": live}}
    response = owner.post(
        "/api/projects",
        json={"organization_id": org_id, "name": "Live", "questions": [question]},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"].startswith("questions[q].settings.live")


@pytest.mark.parametrize("kind", ["chat", "pairwise", "ranking"])
def test_a_project_naming_another_organizations_or_no_endpoint_is_refused(
    factory: Factory, standin: StandIn, kind: str
) -> None:
    """Checked when the project is made, not when a worker has taken its task."""
    stranger, their_org = factory.owner()
    theirs = register(stranger, their_org, standin)
    owner, org_id = factory.owner()
    mine = register(owner, org_id, standin)
    for endpoint in (theirs["id"], 999_999):
        ids = [mine["id"], endpoint]
        settings = {"endpoints": ids} if kind == "chat" else {"live": {"endpoints": ids}}
        body = {
            "organization_id": org_id,
            "name": f"Live {kind} {endpoint}",
            "questions": [{"name": "q", "type": kind, "settings": settings}],
        }
        response = owner.post("/api/projects", json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == "questions[q].settings" and error["value"] == [endpoint]
        listed = owner.get("/api/projects").json()
        assert body["name"] not in {p["name"] for p in listed}


def test_an_endpoint_deleted_under_a_project_is_not_found(
    factory: Factory, standin: StandIn
) -> None:
    """The owner may delete an endpoint that a project uses: its next turn is a 404."""
    worker, assignment, endpoints = chat_task(
        factory, standin, kind="pairwise", fields={"messages": PROMPT}, models=("",)
    )
    with factory.database.session() as db:
        llm_service.delete_endpoint(db, db.get_one(ModelEndpoint, endpoints[0]["id"]))
    before = chat_state(factory)
    response = start(worker, assignment, {"turn": 0})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["value"] == endpoints[0]["id"]
    assert chat_state(factory) == before


def test_a_live_comparison_takes_no_message_and_needs_the_items_prompt(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = pairwise_task(factory, standin)
    before = chat_state(factory)
    response = start(worker, assignment, {"turn": 0, "message": "Something else"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "message"
    assert start(worker, assignment, {"turn": 1}).status_code == 422
    assert chat_state(factory) == before
    worker, assignment, _ = chat_task(
        factory, standin, kind="ranking", fields={"messages": []}, live={"candidates": 2}
    )
    before = chat_state(factory)
    response = start(worker, assignment, {"turn": 0})
    assert (
        response.status_code == 422 and response.json()["error"]["field"] == "item.fields.messages"
    )
    assert chat_state(factory) == before


def test_a_failed_live_generation_extends_the_lease_and_the_worker_may_retry(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(
        factory, standin, kind="pairwise", fields={"messages": PROMPT}, models=("", "status=500")
    )
    deadline = expires_at(factory, assignment)
    found = events(start(worker, assignment, {"turn": 0}))
    name, error = found[-1]
    assert name == "error" and error["candidate"] == "b" and error["stored"] is False
    assert expires_at(factory, assignment) > deadline
    assert worker.get(turns_url(assignment)).json() == []
    assert submit(worker, assignment, {"choice": "a"}).status_code == 422


def test_the_wait_for_live_candidates_counts_as_task_time(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(
        factory,
        standin,
        kind="ranking",
        fields={"messages": PROMPT},
        models=("ttft=400;tokens=3", "ttft=400;tokens=3"),
    )
    stored = turn(worker, assignment, {"turn": 0})
    assert stored["wait_ms"] >= 400
    response = worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"q": {"ranking": [["c1"], ["c2"]]}}, "time_spent_ms": 10},
    )
    assert response.status_code == 201, response.text
    assert response.json()["time_spent_ms"] >= stored["wait_ms"] - 1
