"""Batch pre-labelling: retries, a backend that is down or wrong reported per batch and
nothing broken stored, and a second run doing only what the first left."""

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from fairlabel.assist import jobs
from fairlabel.assist.backends import (
    Backend,
    BackendFailed,
    BackendItem,
    BackendQuestion,
    Prediction,
)
from fairlabel.jobs.runner import NoProgress
from fairlabel.models import Suggestion
from tests.assist.test_labelstudio import _free_port
from tests.factories import Factory
from tests.queue.helpers import setup_project


@pytest.fixture(autouse=True)
def _no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "RETRY_PAUSE_SECONDS", 0)


class Scripted(Backend):
    """A test backend: fails its first `failures` calls, answers `answer` to every item."""

    name = "scripted"
    question_types = frozenset({"label"})
    batch_size = 2

    def __init__(self, failures: int = 0, answer: Any = "positive") -> None:
        super().__init__({})
        self.failures, self.answer = failures, answer
        self.seen: list[list[int]] = []

    def predict(
        self, questions: Sequence[BackendQuestion], items: Sequence[BackendItem]
    ) -> list[Prediction]:
        self.seen.append([item.id for item in items])
        if self.failures:
            self.failures -= 1
            raise BackendFailed("503 from the model server")
        return [Prediction(item.id, q.name, self.answer, 0.9) for item in items for q in questions]


def _count(factory: Factory, project_id: int) -> int:
    query = select(func.count(Suggestion.id)).where(Suggestion.project_id == project_id)
    with factory.database.session(write=False) as db:
        return db.scalar(query) or 0


def _run(factory: Factory, project_id: int, backend: Backend, **params: Any) -> dict[str, Any]:
    return jobs.run(factory.database, backend, {"project_id": project_id, **params}, NoProgress())


def test_a_failed_batch_is_retried_and_everything_stored(factory: Factory) -> None:
    _, project, ids = setup_project(factory, items=5)
    backend = Scripted(failures=1)
    result = _run(factory, project["id"], backend)
    assert (result["items"], result["stored"], result["failed_batches"]) == (5, 5, [])
    assert backend.seen == [ids[:2], ids[:2], ids[2:4], ids[4:]]
    assert result["items_per_second"] > 0


def test_a_backend_that_stays_down_is_reported_per_batch(factory: Factory) -> None:
    _, project, ids = setup_project(factory, items=3)
    result = _run(factory, project["id"], Scripted(failures=99), retries=1)
    assert [(b["first_item"], b["last_item"], b["attempts"]) for b in result["failed_batches"]] == [
        (ids[0], ids[1], 2),
        (ids[2], ids[2], 2),
    ]
    assert result["failed_batches"][0]["error"] == "503 from the model server"
    assert _count(factory, project["id"]) == 0


def test_wrong_answers_are_reported_and_not_stored(factory: Factory) -> None:
    _, project, _ = setup_project(factory, items=2)
    result = _run(factory, project["id"], Scripted(answer=["positive"]))
    assert result["stored"] == 0 and len(result["problems"]) == 2
    assert _count(factory, project["id"]) == 0


def test_a_second_run_does_only_the_items_left(factory: Factory) -> None:
    _, project, ids = setup_project(factory, items=4)
    _run(factory, project["id"], Scripted(), item_ids=ids[:2])
    backend = Scripted()
    result = _run(factory, project["id"], backend, batch_size=10)
    assert backend.seen == [ids[2:]]
    assert result["stored"] == 2 and _count(factory, project["id"]) == 4


def test_the_registered_job_runs_a_named_backend(factory: Factory) -> None:
    _, project, _ = setup_project(factory, items=1)
    params = {
        "project_id": project["id"],
        "backend": "label_studio",
        "options": {"url": f"http://127.0.0.1:{_free_port()}", "timeout_s": 2},
        "retries": 0,
    }
    result = jobs.prelabel_job(factory.database, params, NoProgress())
    assert len(result["failed_batches"]) == 1 and result["stored"] == 0
    assert "0 batches" not in jobs.summary(result)
