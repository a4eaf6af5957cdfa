"""Near-duplicate warnings: as the worker types, the project's earlier prompts at or above the
question's threshold (rapidfuzz's token sort ratio), nearest first; at submit the nearest is
recorded in the answer with `duplicate`, and the worker may still submit. Bad requests are a
specific 4xx."""

from typing import Any

import pytest

from tests.factories import Factory
from tests.queue.helpers import lease, snapshot

from .helpers import BRIEF, prompt_project, similar, submit, submitted, write

FIRST = "Write a Python function that reverses a linked list"


def test_the_nearest_earlier_prompts_come_back_as_the_worker_types(factory: Factory) -> None:
    _, project_id = prompt_project(factory, BRIEF, items=4)
    first = write(factory, project_id, FIRST)
    write(factory, project_id, "Plan a three-day trip to Lisbon by train")
    worker = factory.worker()
    assignment = lease(worker, project_id)

    response = similar(
        worker, assignment, {"text": "write a python function that reverses a linked-list!"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["threshold"] == 0.85 and body["duplicate"] is True
    (found,) = body["similar"]  # the travel prompt is far below the threshold
    assert found["prompt"] == FIRST and found["similarity"] > 0.9
    assert isinstance(found["annotation_id"], int) and first["nearest"] is None

    reordered = similar(
        worker, assignment, {"text": "that reverses a linked list: write a Python function"}
    )
    assert reordered.json()["similar"][0]["similarity"] == 1.0  # word order does not matter
    unrelated = similar(worker, assignment, {"text": "Translate this poem into French"}).json()
    assert unrelated == {"threshold": 0.85, "duplicate": False, "similar": []}
    assert similar(worker, assignment, {"text": "   "}).json()["similar"] == []


def test_a_near_duplicate_is_submitted_and_recorded(factory: Factory) -> None:
    _, project_id = prompt_project(factory, BRIEF, items=3)
    write(factory, project_id, FIRST)
    near = write(factory, project_id, "Write a Python function that reverses a linked list.")
    assert near["duplicate"] is True
    assert near["nearest"]["prompt"] == FIRST and near["nearest"]["similarity"] == 1.0
    far = write(factory, project_id, "Write a Rust function that sorts an array of strings")
    assert far["duplicate"] is False
    assert 0 < far["nearest"]["similarity"] < 0.85


def test_the_threshold_is_the_questions_and_a_resubmit_is_not_its_own_duplicate(
    factory: Factory,
) -> None:
    _, project_id = prompt_project(factory, {**BRIEF, "duplicate_threshold": 0.5}, items=2)
    write(factory, project_id, FIRST)
    worker = factory.worker()
    assignment = lease(worker, project_id)
    text = "Write a Rust function that sorts an array of strings"
    body = similar(worker, assignment, {"text": text, "limit": 1}).json()
    assert body["threshold"] == 0.5 and len(body["similar"]) == 1
    answer = {"prompt": text, "category": "coding", "language": "en"}
    stored = submitted(worker, assignment, answer)
    replay = submit(worker, assignment, answer)  # the replay finds the same nearest
    assert replay.json()["replayed"] is True and replay.json()["answers"]["q"] == stored
    assert similar(worker, assignment, {"text": text}).json()["similar"][0]["prompt"] == FIRST


def test_only_the_same_projects_prompts_are_compared(factory: Factory) -> None:
    _, other = prompt_project(factory, BRIEF)
    write(factory, other, FIRST)
    _, project_id = prompt_project(factory, BRIEF)
    worker = factory.worker()
    assignment = lease(worker, project_id)
    assert similar(worker, assignment, {"text": FIRST}).json()["similar"] == []


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({}, "text", 422),
        ({"text": 5}, "text", 422),
        ({"text": "x" * 100_001}, "text", 422),
        ({"text": "hello", "limit": 0}, "limit", 422),
        ({"text": "hello", "limit": 21}, "limit", 422),
        ({"text": "hello", "extra": 1}, "extra", 422),
    ],
)
def test_bad_requests(factory: Factory, body: Any, field: str, status: int) -> None:
    _, project_id = prompt_project(factory, BRIEF)
    worker = factory.worker()
    assignment = lease(worker, project_id)
    before = snapshot(factory.database)
    response = similar(worker, assignment, body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert snapshot(factory.database) == before


def test_another_workers_assignment_or_a_question_that_is_no_prompt_is_not_found(
    factory: Factory,
) -> None:
    _, project_id = prompt_project(factory, BRIEF)
    worker = factory.worker()
    assignment = lease(worker, project_id)
    stranger = factory.worker()
    response = similar(stranger, assignment, {"text": FIRST})
    assert response.status_code == 404 and response.json()["error"]["field"] == "assignment_id"
    missing = similar(worker, assignment, {"text": FIRST}, question="other")
    assert missing.status_code == 404
    assert (
        missing.json()["error"]["expected"] == "the name of one of the project's prompt questions"
    )


def test_a_prompt_submitted_since_the_last_call_is_found(factory: Factory) -> None:
    """The server keeps the prompts it read; the next call reads what was stored since."""
    _, project_id = prompt_project(factory, BRIEF, items=3)
    worker = factory.worker()
    assignment = lease(worker, project_id)
    assert similar(worker, assignment, {"text": FIRST}).json()["similar"] == []
    write(factory, project_id, FIRST)
    (found,) = similar(worker, assignment, {"text": FIRST}).json()["similar"]
    assert found["prompt"] == FIRST
    write(factory, project_id, FIRST + ".")
    assert len(similar(worker, assignment, {"text": FIRST}).json()["similar"]) == 2
