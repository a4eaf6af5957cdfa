"""The chat question's stored turns (the shape questions.chat documents) as TRL datasets:
each turn's ranking expanded to pairs and KTO labels with the conversation so far as the
prompt, and the SFT row ending in the reply the conversation went on with."""

from typing import Any

import orjson
import pytest

from fairlabel.formats import ExportQuestion, get_format

from .factories import make_annotation, make_project, make_record, source_of

CHAT = ExportQuestion("talk", "chat", {"endpoints": [1], "candidates": 3, "max_turns": 2})
FIRST = [{"role": "user", "content": "Plan a day in Kisumu."}]
SECOND = [
    *FIRST,
    {"role": "assistant", "content": "Start at the lake."},
    {"role": "user", "content": "And lunch?"},
]


def _candidates(*texts: str) -> list[dict[str, Any]]:
    return [{"id": f"c{k + 1}", "endpoint_id": 1, "text": t} for k, t in enumerate(texts)]


ANSWER = {
    "turns": [
        {
            "turn": 0,
            "prompt": FIRST,
            "candidates": _candidates("Start at the lake.", "Sleep in.", "Visit Nairobi."),
            "ranking": [["c1", "c2"], ["c3"]],
            "chosen": "c1",
            "rewrite": None,
            "reply": "Start at the lake.",
        },
        {
            "turn": 1,
            "prompt": SECOND,
            "candidates": _candidates("Fish at Dunga.", "Skip it.", "Tilapia by the shore."),
            "ranking": [["c3"], ["c1"], ["c2"]],
            "chosen": "c3",
            "rewrite": {"text": "Fried tilapia at Dunga beach.", "diff": []},
            "reply": "Fried tilapia at Dunga beach.",
        },
    ]
}


def _rows(fmt: str) -> list[dict[str, Any]]:
    project = make_project(CHAT)
    get_format(fmt).check_project(project)
    record = make_record(1, {"messages": FIRST}, make_annotation({"talk": ANSWER}))
    body = b"".join(get_format(fmt).chunks(project, source_of([record])))
    return [orjson.loads(line) for line in body.splitlines()]


def _reply(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def test_each_turn_is_ranked_pairs_with_the_conversation_so_far() -> None:
    found = [
        (r["prompt"], r["chosen_id"], r["rejected_id"], r["margin"]) for r in _rows("preference")
    ]
    assert found == [
        (FIRST, "c1", "c3", 1.0),
        (FIRST, "c2", "c3", 1.0),
        (SECOND, "c3", "c1", 0.5),
        (SECOND, "c3", "c2", 1.0),
        (SECOND, "c1", "c2", 0.5),
    ]
    first = _rows("preference")[0]
    assert (first["chosen"], first["rejected"]) == (
        _reply("Start at the lake."),
        _reply("Visit Nairobi."),
    )


def test_kto_labels_each_turn_and_sft_ends_in_the_reply_taken() -> None:
    labels = [(r["prompt"], r["completion_id"], r["label"]) for r in _rows("kto")]
    assert labels == [
        (FIRST, "c1", True),
        (FIRST, "c2", True),
        (FIRST, "c3", False),
        (SECOND, "c3", True),
        (SECOND, "c2", False),
    ]
    (sft,) = _rows("sft")
    assert sft["messages"] == [*SECOND, *_reply("Fried tilapia at Dunga beach.")]


@pytest.mark.parametrize("fmt", ["preference", "kto", "sft"])
def test_a_chat_answer_without_turns_gives_no_row(fmt: str) -> None:
    project = make_project(CHAT)
    record = make_record(1, {"messages": FIRST}, make_annotation({"talk": {"turns": []}}))
    assert b"".join(get_format(fmt).chunks(project, source_of([record]))) == b""
