"""Edit a given response into the ideal one: an SFT demonstration, stored with its diff.

The worker sends the rewritten text (a string, or {"text": ...}); what is stored is
{"text": ..., "diff": [[op, text], ...]}, the diff against the original computed here at
submit (op "=" kept, "-" deleted, "+" inserted, by words). The diff lives in the answer
rather than beside it because an annotation's answers are its versioned, never-overwritten
record: the diff stays with the exact version it describes and goes into every export, and
it keeps the original the worker saw even when the item is imported again. The kept and
deleted segments joined give that original back; the kept and inserted ones, the rewrite.

Distance is Levenshtein on characters, normalised by the longer text (rapidfuzz: a
maintained C++ library, so a 20,000-character pair takes milliseconds), on the texts with
whitespace runs collapsed, since re-flowing a line is not an edit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field
from rapidfuzz.distance import Indel, Levenshtein
from rapidfuzz.process import cdist

from fairlabel.questions.base import (
    QuestionType,
    RecordShape,
    expect_str,
    fail,
    item_field,
    item_path,
)
from fairlabel.questions.registry import register
from fairlabel.questions.text import LengthLimits

_ANSWER = RecordShape(("text",), ("diff",))
_EXPECTED = "the rewritten text: a string, or " + _ANSWER.expected + " (the server computes diff)"
#: Diff tokens: a word, or one other character, with the whitespace after it.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")


class RewriteSettings(LengthLimits):
    field: str = Field(default="response", min_length=1)
    """The item field holding the response: a string, or a list of chat messages whose last
    assistant message is the one rewritten."""
    min_length: int = Field(default=1, ge=0)
    """Characters at least; a blank rewrite is refused whatever this says."""
    max_length: int = Field(default=20000, ge=1)
    allow_unchanged: bool = False
    pass_threshold: float = Field(default=0.9, gt=0, le=1)
    """A rewrite whose similarity to the known one (1 - normalised edit distance) reaches
    this passes a gold item in full; below it, it earns its similarity as partial credit."""


@register
class RewriteQuestion(QuestionType[RewriteSettings]):
    name = "rewrite"
    settings_model = RewriteSettings
    answer_kind = "rewrite"

    def validate_answer(
        self, settings: RewriteSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> dict[str, Any]:
        before = original(fields, settings.field)
        if isinstance(answer, dict):
            where = f"{path}.text"
            text = expect_str(_ANSWER.check(answer, path)["text"], where)
        elif isinstance(answer, str):
            where, text = path, answer
        else:
            fail(path, answer, _EXPECTED)
        if not text.strip():
            fail(where, text, "a non-blank rewrite")
        if not settings.min_length <= len(text) <= settings.max_length:
            fail(
                where,
                text,
                f"between {settings.min_length} and {settings.max_length} characters"
                f" (got {len(text)})",
            )
        if not settings.allow_unchanged and collapsed(text) == collapsed(before):
            fail(where, text, "a rewrite that changes the response (allow_unchanged is off)")
        return {"text": text, "diff": word_diff(before, text)}

    def score(self, settings: RewriteSettings, answer: Any, expected: Any) -> float:
        similarity = 1 - edit_distance(answer["text"], expected["text"])
        return 1.0 if similarity >= settings.pass_threshold else similarity


def original(fields: Mapping[str, Any], field: str) -> str:
    """The response to rewrite: the field's text, or its last assistant message's."""
    value = item_field(fields, field)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for message in reversed(value):
            if isinstance(message, dict) and message.get("role") == "assistant":
                content = message.get("content")
                if isinstance(content, str):
                    return content
    fail(
        item_path(field),
        value,
        "a string, or chat messages with an assistant message (the response to rewrite)",
    )


def collapsed(text: str) -> str:
    return " ".join(text.split())


def edit_distance(a: str, b: str) -> float:
    """Levenshtein distance over the length of the longer text, 0 (same) to 1."""
    return float(Levenshtein.normalized_distance(collapsed(a), collapsed(b)))


def edit_distances(texts: list[str]) -> np.ndarray:
    """Every pair's edit_distance, as a square matrix (computed in C++, all at once)."""
    plain = [collapsed(t) for t in texts]
    return cdist(plain, plain, scorer=Levenshtein.normalized_distance, dtype=np.float64)


def diff_original(diff: list[list[str]]) -> str:
    """The original a stored rewrite was edited from: its kept and deleted segments."""
    return "".join(text for op, text in diff if op != "+")


def word_diff(before: str, after: str) -> list[list[str]]:
    """[op, text] segments from `before` to `after`, by words: the longest common
    subsequence of the two word lists (rapidfuzz's Indel), each change between two kept
    segments written as what was deleted, then what was inserted."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    segments: list[list[str]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op in Indel.opcodes(old, new):
        if op.tag == "equal":
            _flush(segments, deleted, inserted)
            segments.append(["=", "".join(old[op.src_start : op.src_end])])
        else:
            deleted += old[op.src_start : op.src_end]
            inserted += new[op.dest_start : op.dest_end]
    _flush(segments, deleted, inserted)
    return segments


def _flush(segments: list[list[str]], deleted: list[str], inserted: list[str]) -> None:
    """The change since the last kept segment, deletions first; empties both lists."""
    for op, tokens in (("-", deleted), ("+", inserted)):
        if tokens:
            segments.append([op, "".join(tokens)])
            tokens.clear()
