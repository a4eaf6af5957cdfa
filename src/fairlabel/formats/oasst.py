"""Conversation trees as OpenAssistant published them (oasst1's `*.trees.jsonl`): a line per
item and comparison question, the conversation as a chain of messages from the root prompt,
and the candidate responses as the last message's replies, each with its `rank` among its
siblings (0 the best; tied candidates share a rank).

Roles are OpenAssistant's, `prompter` and `assistant`; a tool result keeps role `tool`, and a
system prompt, which those trees have no place for, is the tree's `system`. A tree holds one
ranking of its siblings, so ranks come from the consensus: the stored one (aggregated), or,
per annotation, the same aggregation over the item's answers that no reviewer rejected
(quality.kinds: Bradley-Terry for rankings, the vote for pairwise), with each worker's own
answer kept beside it in `answers`. A pairwise tree says its outcome (`choice`: a, b, tie or
both_bad); tie and both_bad rank both candidates 0. A live comparison (candidates generated
for each worker) is the tree of its consensus, the first answer: the prompt sent to the
models and the candidates they generated, as the answer stores them."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from fairlabel.formats import chat, trl
from fairlabel.formats.base import (
    ConsensusFormat,
    ConsensusRecord,
    ExportProject,
    ExportRecord,
    RecordSource,
    rechunk,
)
from fairlabel.formats.registry import register
from fairlabel.quality.kinds import aggregator_for
from fairlabel.questions.ranking import tiers_of
from fairlabel.questions.registry import get_question_type

ROLES = {"user": "prompter", "assistant": "assistant", "tool": "tool"}
_KEPT = ("name", "tool_calls", "tool_call_id")
"""Message keys beside role and text that a tree keeps."""
_LINE = orjson.OPT_APPEND_NEWLINE


@register
class OasstFormat(ConsensusFormat):
    name = "oasst"
    media_type = "application/x-ndjson"
    extension = ".jsonl"
    description = (
        "OpenAssistant-style message trees (JSON Lines): each conversation with its candidate "
        "responses as ranked replies"
    )
    question_types = trl.COMPARISONS

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        questions = trl.asked(trl.COMPARISONS, project)
        return rechunk(
            orjson.dumps(tree, option=_LINE)
            for record in source()
            for tree in _annotated_trees(record, questions)
        )

    def consensus_chunks(
        self, project: ExportProject, records: Iterable[ConsensusRecord]
    ) -> Iterator[bytes]:
        questions = trl.asked(trl.COMPARISONS, project)
        return rechunk(
            orjson.dumps(tree, option=_LINE)
            for record in records
            for tree in _consensus_trees(record, questions)
        )


def _annotated_trees(record: ExportRecord, questions: Sequence[trl.Asked]) -> Iterator[Any]:
    named = len(questions) > 1
    for question in questions:
        given = [
            (annotation.worker, annotation.answers[question.name])
            for annotation in record.annotations
            if annotation.verdict != trl.REJECTED and question.name in annotation.answers
        ]
        if not given:
            continue
        kind = get_question_type(question.type).answer_kind
        consensus = aggregator_for(kind).consensus(
            question.settings, [(number, answer) for number, (_, answer) in enumerate(given)]
        )
        extra = {
            "annotators": len(given),
            "answers": [{"worker": worker, "answer": answer} for worker, answer in given],
        }
        found = tree(record.external_id, record.fields, question, consensus, named, extra)
        if found is not None:
            yield found


def _consensus_trees(record: ConsensusRecord, questions: Sequence[trl.Asked]) -> Iterator[Any]:
    named = len(questions) > 1
    for question in questions:
        found = record.consensus.get(question.name)
        if found is None or found.get("answer") is None:
            continue
        extra = {"annotators": found["annotators"], "confidence": found["confidence"]}
        made = tree(record.external_id, record.fields, question, found["answer"], named, extra)
        if made is not None:
            yield made


def tree(
    external_id: str,
    fields: Mapping[str, Any],
    question: trl.Asked,
    consensus: Any,
    named: bool,
    extra: dict[str, Any],
) -> dict[str, Any] | None:
    """One item's tree for one question; None when the item has no prompt or candidates."""
    prompt, texts = _judged(fields, question, consensus)
    chain = [m for m in prompt if m.get("role") != "system"]
    if not chain or texts is None:
        return None
    tree_id = f"{external_id}/{question.name}" if named else external_id
    system = [m.get("content") for m in prompt if m.get("role") == "system"]
    ranks = _ranks(question, consensus, list(texts))
    leaf = f"{tree_id}/{len(chain) - 1}"
    replies: list[dict[str, Any]] = [
        {
            "message_id": f"{tree_id}/candidate/{candidate}",
            "parent_id": leaf,
            "role": "assistant",
            "text": text,
            "candidate_id": candidate,
            "rank": ranks.get(candidate),
            "replies": [],
        }
        for candidate, text in texts.items()
    ]
    head: dict[str, Any] = {
        "message_tree_id": tree_id,
        "tree_state": "ready_for_export",
        "question": question.name,
    }
    if system:
        head["system"] = "\n\n".join(str(text) for text in system)
    if question.type == "pairwise":
        head["choice"] = consensus.get("choice")
    return {**head, **extra, "prompt": _chain(tree_id, chain, replies)}


def _judged(
    fields: Mapping[str, Any], question: trl.Asked, consensus: Any
) -> tuple[chat.Messages, dict[str, str] | None]:
    """The prompt and each candidate's text: a live answer's own, else the item's."""
    live = consensus.get("live") if isinstance(consensus, dict) else None
    if isinstance(live, dict):
        return live["prompt"], {c["id"]: c["text"] for c in live["candidates"]}
    return chat.prompt(fields) or [], chat.candidate_texts(fields, question.settings.field)


def _chain(tree_id: str, messages: Sequence[chat.Message], replies: list[Any]) -> Any:
    """The messages as a chain, each the only reply of the one before; the candidates last."""
    node: Any = None
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        node = {
            "message_id": f"{tree_id}/{index}",
            "parent_id": f"{tree_id}/{index - 1}" if index else None,
            "role": ROLES.get(message.get("role", ""), message.get("role")),
            "text": message.get("content"),
            **{key: message[key] for key in _KEPT if key in message},
            "replies": [node] if node is not None else replies,
        }
    return node


def _ranks(question: trl.Asked, consensus: Any, ids: list[str]) -> dict[str, int]:
    """Each candidate's rank in the consensus: its tier, or its side of a pairwise vote."""
    if question.type == "ranking":
        tiers = tiers_of(consensus)
        return {candidate: tier for tier, members in enumerate(tiers) for candidate in members}
    choice = consensus.get("choice")
    if len(ids) != 2 or choice not in trl.PAIR_SIDES:
        return dict.fromkeys(ids, 0) if choice in ("tie", "both_bad") else {}
    first, second = ids
    return {first: 0, second: 1} if choice == "a" else {first: 1, second: 0}
