"""The Chatbot Arena battle export (arena-jsonl, arena-parquet) of an evaluation voted blind
through the queue, against endpoints on the stand-in server (a stand-in for model servers:
no model weights can run here): each vote names its models from the battles table, and an
imported item naming its own models exports the same way."""

import io
from typing import Any

import orjson
import pyarrow.parquet as pq

from fairlabel.models import Battle, EvalModel, EvalResponse
from tests.evaluation.evalproj import STRENGTH, battles, build, generate, vote_all
from tests.exports.helpers import build_project, work
from tests.factories import Factory
from tests.llm.standin import StandIn

COLUMNS = [
    "question_id",
    "model_a",
    "model_b",
    "winner",
    "judge",
    "conversation_a",
    "conversation_b",
    "turn",
    "language",
    "tstamp",
]


def _jsonl(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.content.splitlines()]


def test_votes_export_in_the_arena_format(factory: Factory, standin: StandIn) -> None:
    evaluation = build(factory, standin, models=3, prompts=3)
    generate(evaluation)
    battles(evaluation)
    vote_all(factory.database, evaluation, factory.worker())
    url = f"/api/projects/{evaluation.project_id}/export"
    rows = _jsonl(evaluation.owner.get(url, params={"format": "arena-jsonl"}))
    assert len(rows) == 9 and all(list(row) == COLUMNS for row in rows)

    with factory.database.session(write=False) as db:
        names = {m.id: m.name for m in db.query(EvalModel)}
        texts = {r.id: r.text for r in db.query(EvalResponse)}
        expected = {
            f"evaluation-{b.evaluation_id}-battle-{b.id}": (
                names[b.left_model_id],
                names[b.right_model_id],
                texts[b.left_response_id],
                texts[b.right_response_id],
            )
            for b in db.query(Battle)
        }
    for row in rows:
        model_a, model_b, text_a, text_b = expected[row["question_id"]]
        assert (row["model_a"], row["model_b"]) == (model_a, model_b)
        stronger = "model_a" if STRENGTH[model_a] > STRENGTH[model_b] else "model_b"
        assert row["winner"] == stronger
        assert row["conversation_a"][-1] == {"role": "assistant", "content": text_a}
        assert row["conversation_b"][-1] == {"role": "assistant", "content": text_b}
        assert row["conversation_a"][0]["role"] == "user"
        assert row["conversation_a"][:-1] == row["conversation_b"][:-1]
        assert row["turn"] == 1 and row["language"] == "en" and row["judge"].startswith("W-")

    parquet = evaluation.owner.get(url, params={"format": "arena-parquet"})
    assert parquet.status_code == 200, parquet.text
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == COLUMNS
    assert table.to_pylist() == rows


def test_items_naming_their_models_export_with_ties_and_both_bad(factory: Factory) -> None:
    questions = [{"name": "better", "type": "pairwise"}]
    items = [
        {
            "external_id": f"b{n}",
            "prompt": "Say hi",
            "responses": [{"model": "m1", "text": "hi"}, {"model": "m2", "text": "hello"}],
        }
        for n in range(3)
    ]
    built = build_project(factory, questions, items)
    worker = factory.worker()
    choices = {"b0": "tie", "b1": "both_bad", "b2": "b"}
    for _ in items:
        work(built, worker, {k: {"better": {"choice": v}} for k, v in choices.items()})
    rows = _jsonl(built.export("arena-jsonl"))
    assert sorted((r["question_id"], r["winner"]) for r in rows) == [
        ("b0", "tie"),
        ("b1", "tie (bothbad)"),
        ("b2", "model_b"),
    ]
    assert {(r["model_a"], r["model_b"], r["language"]) for r in rows} == {("m1", "m2", "unknown")}


def test_a_project_without_a_pairwise_question_is_refused(factory: Factory) -> None:
    built = build_project(
        factory, [{"name": "t", "type": "text"}], [{"external_id": "x", "q": "?"}]
    )
    refused = built.export("arena-parquet")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "format"
