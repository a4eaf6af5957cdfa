"""LLM pre-labels against the stand-in OpenAI-compatible server (tests/llm/standin.py, its
`prelabel` replies): a stand-in, because no model weights can run here."""

from typing import Any

from sqlalchemy import select

from fairlabel.assist import jobs, service
from fairlabel.assist.backends import BackendItem, BackendQuestion, backend_class
from fairlabel.jobs.runner import NoProgress
from fairlabel.models import Item, Project, Suggestion
from tests.factories import Factory
from tests.llm.helpers import config, register
from tests.llm.standin import StandIn, unique_model
from tests.queue.helpers import SENTIMENT, add_items

TOPICS = {"name": "topics", "type": "multi_label", "settings": {"labels": ["cats", "dogs", "fish"]}}


def _run(
    factory: Factory, standin: StandIn, mode: str, questions: list[dict[str, Any]], texts: list[str]
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, model=unique_model(f"prelabel={mode}"))
    project_id = factory.project(owner, org_id, questions=questions)["id"]
    ids = add_items(factory.database, project_id, len(texts))
    with factory.database.session() as db:
        for item_id, text in zip(ids, texts, strict=True):
            db.get_one(Item, item_id).fields = {"text": text}
    options = {
        "endpoint": config(factory.database, endpoint["id"]),
        "guidelines": "Label the sentiment of the review.",
        "examples": {"sentiment": [("awful film", "negative")]},
    }
    backend = backend_class("llm")(options)
    with factory.database.session() as db:
        report = service.prelabel(db, db.get_one(Project, project_id), backend, ids)
    return project_id, report, endpoint


def _answers(factory: Factory, project_id: int) -> list[tuple[str, Any, float | None]]:
    query = select(Suggestion.question, Suggestion.answer, Suggestion.score).where(
        Suggestion.project_id == project_id
    )
    with factory.database.session(write=False) as db:
        return sorted(
            (tuple(row) for row in db.execute(query.order_by(Suggestion.item_id))), key=str
        )


def test_labels_come_back_as_checked_suggestions(factory: Factory, standin: StandIn) -> None:
    """The `label` replies answer one label also to the multi-label question: a result of
    another question's shape, reported for each item and not stored."""
    texts = ["a positive review", "it was neutral", "cats and dogs"]
    project_id, report, endpoint = _run(factory, standin, "label", [SENTIMENT, TOPICS], texts)
    assert report["items"] == 3 and report["stored"] == 3
    assert {(p["value"], p["expected"]) for p in report["problems"]} == {
        ("cats", "a list of labels")
    }
    answers = _answers(factory, project_id)
    assert answers == [
        ("sentiment", "neutral", 0.7),
        ("sentiment", "positive", 0.7),
        ("sentiment", "positive", 0.7),
    ]
    assert standin.response_format(endpoint["model"])["json_schema"]["name"] == "prelabel"


def test_multi_label_answers_every_label_found(factory: Factory, standin: StandIn) -> None:
    project_id, report, _ = _run(factory, standin, "multi", [TOPICS], ["fish, cats"])
    assert report["stored"] == 1
    assert _answers(factory, project_id) == [("topics", ["cats", "fish"], 0.7)]


def test_a_label_not_offered_or_prose_is_reported_never_stored(
    factory: Factory, standin: StandIn
) -> None:
    for mode, value in (("bad", "not-a-label"), ("prose", None)):
        project_id, report, _ = _run(factory, standin, mode, [SENTIMENT], ["good"])
        assert report["stored"] == 0
        assert [p["value"] for p in report["problems"]] == [value]
        assert _answers(factory, project_id) == []


def test_prompt_has_guidelines_examples_and_labels() -> None:
    backend = backend_class("llm")({"guidelines": "Be kind.", "examples": {"s": [("x", "a")]}})
    question = BackendQuestion("s", "label", {"labels": ["a", "b"]})
    messages = backend.messages(BackendItem(1, {"text": "hello"}), question)  # type: ignore[attr-defined]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "Be kind." in messages[0]["content"]
    assert messages[2]["content"] == '{"answer": "a"}'
    assert "<labels>\na\nb\n</labels>" in messages[3]["content"]
    assert messages[3]["content"].endswith("<item>\nhello\n</item>")


def test_the_job_resolves_the_endpoint_id_to_its_configuration(
    factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin, model=unique_model("prelabel=label"))
    project_id = factory.project(owner, org_id, questions=[SENTIMENT])["id"]
    add_items(factory.database, project_id, 2)
    params = {
        "project_id": project_id,
        "backend": "llm",
        "options": {"endpoint_id": endpoint["id"]},
    }
    result = jobs.prelabel_job(factory.database, params, NoProgress())
    assert (result["stored"], result["failed_batches"]) == (2, [])
    assert _answers(factory, project_id) == [("sentiment", "positive", 0.7)] * 2
