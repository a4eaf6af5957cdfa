"""Model suggestions through the real API: stored after the same checks as answers, shown
to the worker with the lease, refused whole when any is bad."""

from typing import Any

from sqlalchemy import func, select

from fairlabel.models import Suggestion
from tests.factories import Factory
from tests.queue.helpers import add_items, lease, setup_project


def _count(factory: Factory) -> int:
    with factory.database.session(write=False) as db:
        return db.scalar(select(func.count(Suggestion.id))) or 0


def _suggest(owner: Any, project_id: int, body: Any) -> Any:
    return owner.post(f"/api/projects/{project_id}/suggestions", json=body)


def test_suggestions_come_with_the_lease_best_first(factory: Factory) -> None:
    owner, project, (item_id,) = setup_project(factory)
    body = [
        {
            "external_id": f"ext-{project['id']}-0",
            "question": "sentiment",
            "answer": "negative",
            "score": 0.6,
            "agent": "small-model",
        },
        {
            "item_id": item_id,
            "question": "sentiment",
            "answer": "positive",
            "score": 0.91,
            "agent": "big-model",
        },
        {"item_id": item_id, "question": "note", "answer": "sounds happy"},
    ]
    response = _suggest(owner, project["id"], body)
    assert response.status_code == 201, response.text
    assert response.json() == {"stored": 3}
    assignment = lease(factory.worker(), project["id"])
    assert assignment["suggestions"] == [
        {"question": "note", "answer": "sounds happy", "score": None, "agent": "model"},
        {"question": "sentiment", "answer": "positive", "score": 0.91, "agent": "big-model"},
        {"question": "sentiment", "answer": "negative", "score": 0.6, "agent": "small-model"},
    ]
    listed = owner.get(f"/api/items/{item_id}/suggestions").json()
    assert listed == assignment["suggestions"]


def test_same_item_question_and_agent_replaces(factory: Factory) -> None:
    owner, project, (item_id,) = setup_project(factory)
    first = {"item_id": item_id, "question": "sentiment", "answer": "positive", "score": 0.5}
    assert _suggest(owner, project["id"], [first]).status_code == 201
    assert _suggest(owner, project["id"], [{**first, "answer": "neutral"}]).status_code == 201
    assert _count(factory) == 1
    assert owner.get(f"/api/items/{item_id}/suggestions").json()[0]["answer"] == "neutral"


def test_items_without_suggestions_get_an_empty_list(factory: Factory) -> None:
    _owner, project, _ids = setup_project(factory)
    assert lease(factory.worker(), project["id"])["suggestions"] == []


def test_one_bad_suggestion_refuses_the_batch_listing_each(factory: Factory) -> None:
    owner, project, (item_id,) = setup_project(factory)
    body = [
        {"item_id": item_id, "question": "sentiment", "answer": "positive"},
        {"item_id": item_id, "question": "sentiment", "answer": "furious"},
        {"item_id": item_id, "question": "colour", "answer": "red"},
        {"external_id": "nope", "question": "sentiment", "answer": "positive"},
    ]
    response = _suggest(owner, project["id"], body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "[1].answers.sentiment"
    assert [d["field"] for d in error["details"]] == [
        "[1].answers.sentiment",
        "[2].question",
        "[3].external_id",
    ]
    assert _count(factory) == 0


def test_bad_shapes_are_422_and_store_nothing(factory: Factory) -> None:
    owner, project, (item_id,) = setup_project(factory)
    url_body = [
        [],
        [{"question": "sentiment", "answer": "positive"}],
        [{"item_id": item_id, "external_id": "x", "question": "sentiment", "answer": "positive"}],
        [{"item_id": item_id, "question": "sentiment", "answer": "positive", "score": 1.5}],
        {"item_id": item_id},
    ]
    for body in url_body:
        response = _suggest(owner, project["id"], body)
        assert response.status_code == 422, (body, response.text)
    assert _count(factory) == 0


def test_only_managers_of_the_organization_store_or_read(factory: Factory) -> None:
    _owner, project, (item_id,) = setup_project(factory)
    body = [{"item_id": item_id, "question": "sentiment", "answer": "positive"}]
    stranger, _org = factory.owner()
    worker = factory.worker()
    assert _suggest(stranger, project["id"], body).status_code == 404
    assert _suggest(worker, project["id"], body).status_code == 404
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    assert _suggest(viewer, project["id"], body).status_code == 403
    assert stranger.get(f"/api/items/{item_id}/suggestions").status_code == 404
    assert _count(factory) == 0


def test_an_item_of_another_project_is_not_found(factory: Factory) -> None:
    owner, project, _ids = setup_project(factory)
    _other_owner, _other, (foreign_item,) = setup_project(factory)
    body = [{"item_id": foreign_item, "question": "sentiment", "answer": "positive"}]
    response = _suggest(owner, project["id"], body)
    assert response.status_code == 422 and response.json()["error"]["field"] == "[0].item_id"
    assert _count(factory) == 0


def test_a_bare_number_answer_reads_back(factory: Factory) -> None:
    """A rating's answer is a bare JSON number, which SQLite stores as a number."""
    owner, org_id = factory.owner()
    stars = {"name": "stars", "type": "rating", "settings": {"min": 1, "max": 5}}
    project = factory.project(owner, org_id, questions=[stars])
    (item_id,) = add_items(factory.database, project["id"], 1)
    body = [{"item_id": item_id, "question": "stars", "answer": 4}]
    assert _suggest(owner, project["id"], body).status_code == 201
    assert owner.get(f"/api/items/{item_id}/suggestions").json()[0]["answer"] == 4
    assert lease(factory.worker(), project["id"])["suggestions"][0]["answer"] == 4


def test_a_suggestion_with_no_answer_is_refused(factory: Factory) -> None:
    owner, project, (item_id,) = setup_project(factory)
    body = [{"item_id": item_id, "question": "sentiment", "answer": None}]
    response = _suggest(owner, project["id"], body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["field"], error["value"], error["expected"]) == ("[0].answer", None, "an answer")
    assert _count(factory) == 0
