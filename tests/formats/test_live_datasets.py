"""Live pairwise and ranking answers (candidates generated for the worker, stored in the
answer as questions.pairwise and questions.ranking document) as TRL datasets: the prompt is
the one sent to the models and the candidates the ones they generated, not the item's."""

from collections.abc import Sequence
from typing import Any

import orjson

from fairlabel.formats import ExportQuestion, get_format
from fairlabel.quality.kinds import aggregator_for
from fairlabel.questions.registry import get_question_type

from .factories import make_annotation, make_project, make_record, source_of

LIVE = {"live": {"endpoints": [1, 2], "candidates": 3}}
PAIR = ExportQuestion("pick", "pairwise", {"live": {"endpoints": [1, 2]}, "strength_levels": 4})
RANK = ExportQuestion("order", "ranking", LIVE)
PROMPT = [{"role": "user", "content": "Name a lake in Kenya."}]
ITEM = {"messages": [{"role": "user", "content": "the item's own, not sent"}]}


def _live(*texts: str, ids: Sequence[str] = ("a", "b")) -> dict[str, Any]:
    candidates = [
        {"id": i, "endpoint_id": 1, "model": "m", "sampling": {"seed": k}, "text": t}
        for k, (i, t) in enumerate(zip(ids, texts, strict=False))
    ]
    return {"prompt": PROMPT, "candidates": candidates, "wait_ms": 12.5}


PAIR_ANSWER = {"choice": "b", "strength": 2, "live": _live("Turkana.", "Victoria.")}
RANK_ANSWER = {
    "ranking": [["c2", "c3"], ["c1"]],
    "live": _live("Naivasha.", "Turkana.", "Victoria.", ids=("c1", "c2", "c3")),
}


def _rows(fmt: str, question: ExportQuestion, answer: Any) -> list[dict[str, Any]]:
    project = make_project(question)
    record = make_record(1, ITEM, make_annotation({question.name: answer}))
    body = b"".join(get_format(fmt).chunks(project, source_of([record])))
    return [orjson.loads(line) for line in body.splitlines()]


def _reply(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def test_a_live_pair_is_one_preference_with_the_generated_texts() -> None:
    (row,) = _rows("preference", PAIR, PAIR_ANSWER)
    assert row["prompt"] == PROMPT
    assert (row["chosen"], row["rejected"]) == (_reply("Victoria."), _reply("Turkana."))
    assert (row["chosen_id"], row["rejected_id"], row["margin"]) == ("b", "a", 0.5)


def test_a_live_ranking_with_a_tie_is_its_pairs_across_tiers() -> None:
    rows = _rows("preference", RANK, RANK_ANSWER)
    assert [(r["chosen_id"], r["rejected_id"], r["margin"]) for r in rows] == [
        ("c2", "c1", 1.0),
        ("c3", "c1", 1.0),
    ]
    assert all(r["prompt"] == PROMPT for r in rows)
    assert rows[0]["chosen"] == _reply("Turkana.")


def test_live_answers_label_kto_rows() -> None:
    kto = [(r["completion_id"], r["label"]) for r in _rows("kto", RANK, RANK_ANSWER)]
    assert kto == [("c2", True), ("c3", True), ("c1", False)]
    pair = [(r["completion"], r["label"]) for r in _rows("kto", PAIR, PAIR_ANSWER)]
    assert pair == [(_reply("Victoria."), True), (_reply("Turkana."), False)]


def test_the_consensus_of_live_answers_is_the_first_as_workers_saw_different_candidates() -> None:
    for question, answer in ((PAIR, PAIR_ANSWER), (RANK, RANK_ANSWER)):
        kind = get_question_type(question.type)
        settings = kind.parse_settings(question.settings)
        other = {**answer, "live": _live("x", "y")}
        aggregator = aggregator_for(kind.answer_kind)
        assert aggregator.consensus(settings, [(1, answer), (2, other)]) == answer
        (figure,) = aggregator.figures(settings, {1: [(1, answer), (2, other)]})
        assert figure.value is None and figure.reason is not None and "live" in figure.reason
        assert kind.score(settings, answer, answer) == 1.0


def test_a_live_ranking_is_an_oasst_tree_of_the_generated_candidates() -> None:
    second = {**RANK_ANSWER, "ranking": [["c1"], ["c2", "c3"]], "live": _live("x", "y", "z")}
    project = make_project(RANK)
    annotations = [make_annotation({"order": RANK_ANSWER}), make_annotation({"order": second})]
    record = make_record(1, ITEM, *annotations)
    body = b"".join(get_format("oasst").chunks(project, source_of([record])))
    (tree,) = [orjson.loads(line) for line in body.splitlines()]
    root = tree["prompt"]
    assert (root["role"], root["text"]) == ("prompter", "Name a lake in Kenya.")
    assert [(r["candidate_id"], r["text"], r["rank"]) for r in root["replies"]] == [
        ("c1", "Naivasha.", 1),
        ("c2", "Turkana.", 0),
        ("c3", "Victoria.", 0),
    ]
    assert tree["answers"][1]["answer"] == second
