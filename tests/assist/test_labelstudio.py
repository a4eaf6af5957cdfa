"""The Label Studio ML backend protocol against a stand-in backend server started as a
process (see ls_standin.py for why a stand-in), and the result JSON conversion."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fairlabel.assist import service
from fairlabel.assist.backends import BackendFailed, BackendItem, BackendQuestion, backend_class
from fairlabel.assist.backends.labelstudio import LabelStudioBackend, convert, label_config
from fairlabel.errors import ValidationFailed
from fairlabel.models import Item, Project, Suggestion
from tests.factories import Factory
from tests.jobs.helpers import wait_for_job
from tests.queue.helpers import NOTE, SENTIMENT, add_items, setup_project

BOXES = {"name": "boxes", "type": "bbox", "settings": {"labels": ["cat", "dog"]}}
RUBRICLESS = {"name": "stars", "type": "rating", "settings": {}}
SHAPES = {"name": "shapes", "type": "polygon", "settings": {"labels": ["cat"]}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def ls_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.assist.ls_standin", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/health")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait()


def test_registry_names_the_backend_and_refuses_unknown() -> None:
    assert backend_class("label_studio") is LabelStudioBackend
    with pytest.raises(ValidationFailed) as caught:
        backend_class("nope")
    assert caught.value.field == "backend" and "label_studio" in str(caught.value.expected)


def test_results_convert_to_our_answers() -> None:
    size = {"original_width": 200, "original_height": 100}
    box = {"x": 10, "y": 20, "width": 50, "height": 25, "rectanglelabels": ["cat"]}
    assert convert("bbox", [{**size, "value": box}]) == [
        {"x": 20.0, "y": 20.0, "width": 100.0, "height": 25.0, "label": "cat"}
    ]
    shape = {"points": [[50, 50], [100, 0]], "polygonlabels": ["cat"]}
    assert convert("polygon", [{**size, "value": shape}]) == [
        {"points": [[100.0, 50.0], [200.0, 0.0]], "label": "cat"}
    ]
    assert convert("label", [{"value": {"choices": ["positive"]}}]) == "positive"
    assert convert("multi_label", [{"value": {"choices": ["a", "b"]}}]) == ["a", "b"]
    span = {"start": 0, "end": 4, "labels": ["PER"]}
    assert convert("span", [{"value": span}]) == [{"start": 0, "end": 4, "label": "PER"}]
    assert convert("text", [{"value": {"text": ["one", "two"]}}]) == "one\ntwo"


def test_a_box_without_any_image_size_is_not_kept_as_pixels() -> None:
    box = {"x": 10, "y": 20, "width": 50, "height": 25, "rectanglelabels": ["cat"]}
    assert convert("bbox", [{"value": box}])[0]["x"] is None


def test_label_config_asks_our_questions() -> None:
    config = label_config([BackendQuestion("tags", "multi_label", {"labels": ["a", "b"]})])
    assert config == (
        '<View><Choices name="tags" toName="text" choice="multiple">'
        '<Choice value="a"/><Choice value="b"/></Choices></View>'
    )


def test_health_setup_and_training_events(ls_url: str) -> None:
    backend = LabelStudioBackend({"url": ls_url, "project": 7})
    assert backend.health()["status"] == "UP"
    questions = [BackendQuestion("sentiment", "label", SENTIMENT["settings"])]
    assert backend.setup(7, questions) == {"model_version": "keyword-1"}
    backend.train(questions, [{"id": 1, "result": []}])
    trained = httpx.get(f"{ls_url}/trained").json()
    assert trained[-1] == {"event": "ANNOTATION_CREATED", "annotation": {"id": 1, "result": []}}


def _project(factory: Factory, questions: list[dict[str, Any]]) -> tuple[int, list[int]]:
    owner, org_id = factory.owner()
    created = factory.project(owner, org_id, questions=questions)
    return created["id"], add_items(factory.database, created["id"], 2)


def _prelabel(factory: Factory, project_id: int, url: str, ids: list[int]) -> dict[str, Any]:
    with factory.database.session() as db:
        project = db.get_one(Project, project_id)
        return service.prelabel(db, project, LabelStudioBackend({"url": url}), ids)


def _stored(factory: Factory, project_id: int) -> list[tuple[int, str, Any, float | None]]:
    query = select(Suggestion.item_id, Suggestion.question, Suggestion.answer, Suggestion.score)
    with factory.database.session(write=False) as db:
        rows = db.execute(query.where(Suggestion.project_id == project_id).order_by(Suggestion.id))
        return [tuple(row) for row in rows]


def test_prelabel_stores_checked_predictions(factory: Factory, ls_url: str) -> None:
    project_id, ids = _project(factory, [SENTIMENT, NOTE])
    report = _prelabel(factory, project_id, ls_url, ids)
    assert report == {"items": 2, "stored": 4, "problems": []}
    stored = _stored(factory, project_id)
    assert sorted(stored) == sorted(
        [(i, "sentiment", "negative", 0.8) for i in ids]
        + [(i, "note", "model note", 0.75) for i in ids]
    )


def test_boxes_take_the_image_size_from_the_item(factory: Factory, ls_url: str) -> None:
    project_id, _ = _project(factory, [BOXES, SHAPES])
    with factory.database.session(write=False) as db:
        project = db.get_one(Project, project_id)
        questions = [BackendQuestion(q.name, q.type, dict(q.settings)) for q in project.questions]
    fields = {"text": "good", "image": {"url": "https://x/cat.png", "width": 400, "height": 200}}
    backend = LabelStudioBackend({"url": ls_url})
    predictions = backend.predict(questions, [BackendItem(1, fields)])
    by_question = {p.question: p.answer for p in predictions}
    assert by_question["boxes"] == [
        {"x": 40.0, "y": 40.0, "width": 200.0, "height": 50.0, "label": "cat"}
    ]
    assert by_question["shapes"] == [
        {"points": [[0.0, 0.0], [100.0, 0.0], [100.0, 50.0]], "label": "cat"}
    ]


def test_a_malformed_prediction_is_reported_and_not_stored(factory: Factory, ls_url: str) -> None:
    project_id, ids = _project(factory, [SENTIMENT])
    with factory.database.session() as db:
        db.get_one(Item, ids[0]).fields = {"text": "malformed words"}
    report = _prelabel(factory, project_id, ls_url, ids)
    assert report["stored"] == 1
    assert [p["value"] for p in report["problems"]] == ["ecstatic"]
    assert [row[0] for row in _stored(factory, project_id)] == [ids[1]]


def test_a_backend_that_is_down_fails_the_batch_and_stores_nothing(factory: Factory) -> None:
    project_id, ids = _project(factory, [SENTIMENT])
    with pytest.raises(BackendFailed):
        _prelabel(factory, project_id, f"http://127.0.0.1:{_free_port()}", ids)
    assert _stored(factory, project_id) == []


def test_a_prelabel_job_through_the_api(factory: Factory, ls_url: str) -> None:
    owner, project, _ = setup_project(factory, items=3)
    path = f"/api/projects/{project['id']}/prelabel"
    body = {"backend": "label_studio", "options": {"url": ls_url}, "batch_size": 2}
    response = owner.post(path, json=body)
    assert response.status_code == 202, response.text
    job = wait_for_job(owner, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert len(_stored(factory, project["id"])) == 6


def test_a_prelabel_job_with_a_bad_backend_is_refused(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[RUBRICLESS])
    path = f"/api/projects/{project['id']}/prelabel"
    unknown = owner.post(path, json={"backend": "nope"})
    assert unknown.status_code == 422 and "no such backend" in unknown.text
    serves_none = owner.post(path, json={"backend": "label_studio", "options": {"url": "x"}})
    assert serves_none.status_code == 422, serves_none.text
    assert "answers none" in serves_none.text
    assert owner.post(path, json={"backend": "label_studio", "batch_size": 0}).status_code == 422
