"""Chat turns through the real API against the stand-in OpenAI-compatible server (a real
process standing in for a model server, since no model weights can be loaded here; the
code path is the production client): candidates streamed as SSE events tagged by
candidate, stored once complete, and the submitted answer checked against them."""

from typing import Any

import pytest

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
from tests.llm.helpers import calls
from tests.llm.standin import StandIn
from tests.queue.helpers import lease


def test_four_candidates_from_two_endpoints_stream_in_order(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, endpoints = chat_task(
        factory,
        standin,
        models=("ttft=300;gap=2;tokens=6", "ttft=300;gap=2;tokens=6"),
        candidates=4,
        sampling={"seed": 7, "temperature": 0.5},
    )
    found = events(start(worker, assignment, {"turn": 0, "message": "Tell me a story."}))
    names = [name for name, _ in found]
    assert names[0] == "start" and names[-1] == "turn"
    assert names.count("done") == 4 and names.index("turn") > max(
        i for i, n in enumerate(names) if n == "delta"
    )
    streamed: dict[str, str] = {}
    finished: set[str] = set()
    for name, data in found:
        if name == "delta":
            assert data["candidate"] not in finished, "a delta after its candidate ended"
            streamed[data["candidate"]] = streamed.get(data["candidate"], "") + data["text"]
        elif name == "done":
            finished.add(data["candidate"])
    stored = found[-1][1]
    assert [c["id"] for c in stored["candidates"]] == ["c1", "c2", "c3", "c4"]
    assert {c["id"]: c["text"] for c in stored["candidates"]} == streamed
    ids = [e["id"] for e in endpoints]
    assert [c["endpoint_id"] for c in stored["candidates"]] == [ids[0], ids[1], ids[0], ids[1]]
    assert [c["sampling"]["seed"] for c in stored["candidates"]] == [7, 8, 9, 10]
    assert all(c["sampling"]["temperature"] == 0.5 for c in stored["candidates"])
    assert stored["candidates"][0]["text"] != stored["candidates"][2]["text"]
    in_flight = [standin.stats(e["model"]) for e in endpoints]  # at once, not in turn
    assert in_flight == [{"requests": 2, "max_in_flight": 2}] * 2
    assert found[0][1]["prompt"] == [{"role": "user", "content": "Tell me a story."}]
    assert len(calls(factory.database, ids[0])) == 2


def test_three_turns_ranked_with_a_tie_rewritten_and_submitted(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(factory, standin, candidates=4, max_turns=3)
    first = turn(worker, assignment, {"turn": 0, "message": "Hello"})
    rewrite = first["candidates"][1]["text"] + " Better."
    second = turn(
        worker,
        assignment,
        {"turn": 1, "message": "More", "previous": {"chosen": "c2", "rewrite": rewrite}},
    )
    third = turn(worker, assignment, {"turn": 2, "message": "Last", "previous": {"chosen": "c1"}})
    assert second["candidates"] != first["candidates"]
    listed = worker.get(turns_url(assignment)).json()
    assert [t["turn"] for t in listed] == [0, 1, 2]
    assert listed[1]["prompt"][-2:] == [
        {"role": "assistant", "content": rewrite},
        {"role": "user", "content": "More"},
    ]
    answer = {
        "turns": [
            {
                "turn": 0,
                "ranking": [["c2", "c3"], ["c1"], ["c4"]],
                "chosen": "c2",
                "rewrite": rewrite,
                "candidates": [{"id": c["id"], "text": c["text"]} for c in first["candidates"]],
            },
            {"turn": 1, "ranking": [["c1"], ["c2", "c3", "c4"]]},
            {"turn": 2, "ranking": [["c4"], ["c3"], ["c2"], ["c1"]]},
        ]
    }
    response = submit(worker, assignment, answer)
    assert response.status_code == 201, response.text
    stored = response.json()["answers"]["q"]["turns"]
    assert [t["ranking"] for t in stored] == [t["ranking"] for t in answer["turns"]]
    assert stored[0]["rewrite"]["text"] == rewrite
    diff = stored[0]["rewrite"]["diff"]
    assert "".join(t for op, t in diff if op != "+") == first["candidates"][1]["text"]
    assert "".join(t for op, t in diff if op != "-") == rewrite
    assert stored[0]["reply"] == rewrite and stored[1]["reply"] == second["candidates"][0]["text"]
    assert stored[2]["candidates"] == third["candidates"]
    assert stored[2]["prompt"][-1] == {"role": "user", "content": "Last"}
    assert all(t["wait_ms"] > 0 for t in stored)
    assert stored[0]["candidates"][0]["model"].startswith("standin")


def test_the_item_messages_start_the_conversation(factory: Factory, standin: StandIn) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2 + 2?"},
    ]
    worker, assignment, _ = chat_task(factory, standin, fields={"messages": messages})
    stored = turn(worker, assignment, {"turn": 0})
    listed = worker.get(turns_url(assignment)).json()
    assert listed[0]["prompt"] == messages and listed[0]["user"] is None
    assert len(stored["candidates"]) == 2


def test_a_pick_is_stored_as_the_pick_over_the_rest(factory: Factory, standin: StandIn) -> None:
    worker, assignment, _ = chat_task(factory, standin, candidates=3, mode="pick", max_turns=1)
    turn(worker, assignment, {"turn": 0, "message": "Hi"})
    response = submit(worker, assignment, {"turns": [{"turn": 0, "pick": "c3"}]})
    assert response.status_code == 201, response.text
    stored = response.json()["answers"]["q"]["turns"][0]
    assert stored["ranking"] == [["c3"], ["c1", "c2"]] and stored["picked"] is True
    assert stored["chosen"] == "c3"


def test_regenerating_a_turn_replaces_it_and_the_turns_after(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(factory, standin, candidates=2, max_turns=3)
    turn(worker, assignment, {"turn": 0, "message": "One"})
    turn(worker, assignment, {"turn": 1, "message": "Two", "previous": {"chosen": "c1"}})
    turn(worker, assignment, {"turn": 0, "message": "Uno"})
    listed = worker.get(turns_url(assignment)).json()
    assert [t["user"] for t in listed] == ["Uno"]


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ("status=429", "rate_limited"),
        ("status=500", "server_error"),
        ("hang", "timeout"),
        ("break=3", "broken_stream"),
    ],
)
def test_a_failed_generation_stores_nothing_and_extends_the_lease(
    factory: Factory, standin: StandIn, options: str, code: str
) -> None:
    worker, assignment, _ = chat_task(factory, standin, models=("tokens=5", options), candidates=2)
    deadline = expires_at(factory, assignment)
    before = chat_state(factory)
    found = events(start(worker, assignment, {"turn": 0, "message": "Hi"}))
    name, error = found[-1]
    assert name == "error", found
    assert error["candidate"] == "c2" and error["code"] == code and error["message"]
    assert error["stored"] is False and error["extended_seconds"] > 0
    extended = (expires_at(factory, assignment) - deadline).total_seconds()
    assert extended == pytest.approx(error["extended_seconds"], abs=0.01)
    after = chat_state(factory)
    assert after["chat_turns"] == before["chat_turns"] == []
    assert after["annotations"] == before["annotations"]
    assert worker.get(turns_url(assignment)).json() == []


def test_after_a_failure_the_worker_retries(factory: Factory, standin: StandIn) -> None:
    worker, assignment, _ = chat_task(
        factory, standin, models=("tokens=4", "flaky=1;status=503"), candidates=2
    )
    assert events(start(worker, assignment, {"turn": 0, "message": "Hi"}))[-1][0] == "error"
    stored = turn(worker, assignment, {"turn": 0, "message": "Hi"})
    assert len(stored["candidates"]) == 2
    response = submit(worker, assignment, {"turns": [{"turn": 0, "ranking": [["c2"], ["c1"]]}]})
    assert response.status_code == 201, response.text


def test_after_a_failure_the_worker_returns_the_task_without_penalty(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(factory, standin, models=("tokens=4", "status=500"))
    assert events(start(worker, assignment, {"turn": 0, "message": "Hi"}))[-1][0] == "error"
    response = worker.post(f"/api/assignments/{assignment['id']}/return")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "returned"
    other = factory.worker()
    assert lease(other, assignment["project_id"])["item_id"] == assignment["item_id"]


def _generated(factory: Factory, standin: StandIn, **settings: Any) -> tuple[Any, Any, Any]:
    worker, assignment, _ = chat_task(factory, standin, candidates=3, **settings)
    first = turn(worker, assignment, {"turn": 0, "message": "Hi"})
    return worker, assignment, first


@pytest.mark.parametrize(
    ("turns", "field", "expected"),
    [
        (
            [
                {
                    "turn": 0,
                    "ranking": [["c1"], ["c2"], ["c3"]],
                    "candidates": [{"id": "c2", "text": "a forged reply"}],
                }
            ],
            ".turns[0].candidates[0]",
            "a candidate the platform generated for turn 0",
        ),
        (
            [{"turn": 0, "ranking": [["c1"], ["c2"], ["c9"]]}],
            ".turns[0].ranking[2][0]",
            "a candidate of turn 0",
        ),
        ([{"turn": 0, "ranking": [["c1"], ["c2"]]}], ".turns[0].ranking", "missing: c3"),
        ([{"turn": 0, "ranking": [["c1", "c2"], ["c3"]]}], ".turns[0].chosen", "is a tie"),
        ([{"turn": 0, "ranking": [["c1"], ["c1"], ["c3"]]}], ".turns[0].ranking[1][0]", "once"),
        ([{"turn": 1, "ranking": [["c1"], ["c2"], ["c3"]]}], ".turns[0].turn", "turn 0"),
        (
            [
                {"turn": 0, "ranking": [["c1", "c2", "c3"]], "chosen": "c1"},
                {"turn": 1, "ranking": [["c1"]]},
            ],
            ".turns",
            "each of the 1 turns generated",
        ),
        ([{"turn": i, "pick": "c1"} for i in range(4)], ".turns", "max_turns"),
        (
            [{"turn": 0, "ranking": [["c1"], ["c2"], ["c3"]], "rewrite": "  "}],
            ".turns[0].rewrite",
            "non-blank",
        ),
        (
            [{"turn": 0, "ranking": [["c1"], ["c2"], ["c3"]], "rewrite": "x" * 101}],
            ".turns[0].rewrite",
            "at most 100 characters",
        ),
        ([{"turn": 0}], ".turns[0].ranking", "either a ranking or a pick"),
    ],
)
def test_a_chat_answer_not_matching_the_generated_turns_is_refused(
    factory: Factory, standin: StandIn, turns: Any, field: str, expected: str
) -> None:
    worker, assignment, _ = _generated(factory, standin, max_message_length=100)
    before = chat_state(factory)
    response = submit(worker, assignment, {"turns": turns})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "answers.q" + field, error
    assert expected in error["expected"], error
    assert chat_state(factory) == before


def test_a_rewrite_where_the_project_allows_none_is_refused(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = _generated(factory, standin, allow_rewrite=False)
    before = chat_state(factory)
    answer = {"turns": [{"turn": 0, "pick": "c1", "rewrite": "mine"}]}
    response = submit(worker, assignment, answer)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "answers.q.turns[0].rewrite"
    assert chat_state(factory) == before


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"turn": 0, "message": "   "}, "message", "non-blank"),
        ({"turn": 0, "message": "x" * 101}, "message", "at most 100 characters"),
        ({"turn": 0}, "message", "does not end with a user turn"),
        ({"turn": 1, "message": "Hi", "previous": {"chosen": "c1"}}, "turn", "from 0 to 0"),
        ({"turn": 0, "message": "Hi", "previous": {"chosen": "c1"}}, "previous", "turn 0"),
    ],
)
def test_a_bad_turn_request_is_refused_before_any_model_is_called(
    factory: Factory, standin: StandIn, body: dict[str, Any], field: str, expected: str
) -> None:
    worker, assignment, endpoints = chat_task(factory, standin, max_message_length=100)
    before = chat_state(factory)
    response = start(worker, assignment, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and expected in error["expected"], error
    assert chat_state(factory) == before
    assert calls(factory.database, endpoints[0]["id"]) == []


def test_turns_past_max_turns_and_unknown_chosen_are_refused(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(factory, standin, max_turns=1)
    turn(worker, assignment, {"turn": 0, "message": "Hi"})
    before = chat_state(factory)
    over = start(worker, assignment, {"turn": 1, "message": "Again", "previous": {"chosen": "c1"}})
    assert over.status_code == 422 and over.json()["error"]["field"] == "turn"
    assert "max_turns is 1" in over.json()["error"]["expected"]
    assert chat_state(factory) == before


def test_an_unknown_previous_candidate_is_refused(factory: Factory, standin: StandIn) -> None:
    worker, assignment, _ = chat_task(factory, standin)
    turn(worker, assignment, {"turn": 0, "message": "Hi"})
    before = chat_state(factory)
    body = {"turn": 1, "message": "Again", "previous": {"chosen": "c7"}}
    response = start(worker, assignment, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "previous.chosen"
    assert chat_state(factory) == before


def test_only_the_worker_holding_the_assignment_may_chat(
    factory: Factory, standin: StandIn
) -> None:
    _worker, assignment, _ = chat_task(factory, standin)
    other = factory.worker()
    before = chat_state(factory)
    assert start(other, assignment, {"turn": 0, "message": "Hi"}).status_code == 404
    assert other.post(turns_url(assignment).replace("/turns", "/stop")).status_code == 404
    assert chat_state(factory) == before


def test_a_question_that_is_not_a_chat_question_is_not_found(
    factory: Factory, standin: StandIn
) -> None:
    worker, assignment, _ = chat_task(factory, standin)
    url = f"/api/assignments/{assignment['id']}/chat/nope/turns"
    response = worker.post(url, json={"turn": 0, "message": "Hi"})
    assert response.status_code == 404 and response.json()["error"]["field"] == "question"


def test_the_wait_for_the_models_counts_as_task_time(factory: Factory, standin: StandIn) -> None:
    worker, assignment, _ = chat_task(
        factory, standin, models=("ttft=400;tokens=3", "ttft=400;tokens=3"), max_turns=1
    )
    stored = turn(worker, assignment, {"turn": 0, "message": "Hi"})
    assert stored["wait_ms"] >= 400
    response = worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"q": {"turns": [{"turn": 0, "pick": "c1"}]}}, "time_spent_ms": 10},
    )
    assert response.status_code == 201, response.text
    assert response.json()["time_spent_ms"] >= stored["wait_ms"] - 1
