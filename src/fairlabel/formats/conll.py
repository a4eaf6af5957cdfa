"""CoNLL BIO tags for span questions: one document per annotation of a span question (or, in
the aggregated export, per item's consensus), one 'token TAG' line per token.

Tokens are words, numbers and single punctuation marks (`Paris,` is `Paris` `,`; `e-mail`,
`3.5` and `1,000` stay whole), then cut at every span boundary inside them, so that each span
is a whole number of tokens (`NYC-LAX` with two spans is `NYC` `-` `LAX`). The cuts are every
annotation's of the item, so all documents of one text have the same tokens (seqeval compares
two annotators token by token); in the aggregated file, the consensus's. A span that covers
no token (only whitespace), that ends past the text, or that overlaps another span of the same
answer (BIO cannot nest) cannot be written: the export is refused before it starts, with each
such span listed.

Each document starts with a `-DOCSTART-` line and a blank line, as CoNLL-2003 does: readers
skip it (`datasets`' CoNLL builder by default) or take it as a document boundary, never as a
token of the text. Its `key=value` fields say which item (`id`, the external id), who
(`annotator`, a pseudonym) or how sure (`confidence`, aggregated) and, in a project with
several span questions, which `question`; values are percent-encoded where they hold
whitespace or '%'. A text with no tokens has no document."""

import bisect
import functools
import itertools
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fairlabel.errors import ValidationFailed
from fairlabel.formats.base import (
    ConsensusRecord,
    ExportFormat,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
    exportable_questions,
    rechunk,
)
from fairlabel.formats.registry import register

Token = tuple[int, int]
"""[start, end) offsets of a token in its text."""
LISTED_PROBLEMS = 100
"""Spans listed in a refusal; the message counts them all."""


@register
class ConllFormat(ExportFormat):
    name = "conll"
    media_type = "text/plain; charset=utf-8"
    extension = ".conll"
    description = (
        "CoNLL BIO: one document per annotation of a span question, 'token TAG' per token "
        "(punctuation split off, every span boundary a token boundary), each document opened "
        "by a '-DOCSTART- id=… annotator=…' line that readers skip"
    )
    question_types = frozenset({"span"})
    passes = 2

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        """Checks every span before the first byte (a refusal is then a clean 422), then
        writes in a second pass."""
        questions = exportable_questions(self, project)
        refuse_unwritable(self.name, annotated_texts(source(), questions), FIX_ANSWERS)
        return rechunk(documents(annotated_texts(source(), questions)))


@dataclass(frozen=True, slots=True)
class Text:
    """One item's text for one question, with the answers to write on it: each (header,
    spans) is one document."""

    question: str
    text: str
    answers: list[tuple[dict[str, str], list[Mapping[str, Any]]]] = field(default_factory=list)

    def tokens(self) -> list[Token]:
        """Cut at every answer's span boundaries, so all its documents share these tokens."""
        cuts = {p for _, spans in self.answers for span in spans for p in _edges(span)}
        return tokenise(self.text, cuts)


def annotated_texts(
    records: Iterable[ExportRecord], questions: list[ExportQuestion]
) -> Iterator[Text]:
    """Per record and span question, the annotations that answered it (an answer with no
    spans is kept: it says the text has no entities)."""
    named = len(questions) > 1
    for record in records:
        for question in questions:
            text = record.fields.get(question.settings.get("field", "text"))
            if not isinstance(text, str):
                continue
            found = Text(question.name, text)
            for annotation in record.annotations:
                spans = annotation.answers.get(question.name)
                if spans is not None:
                    header = {"id": record.external_id, "annotator": annotation.worker}
                    found.answers.append((_named(header, question.name, named), spans))
            if found.answers:
                yield found


def consensus_texts(
    records: Iterable[ConsensusRecord], questions: list[ExportQuestion]
) -> Iterator[Text]:
    """Per record and span question with a consensus, that consensus as the one answer."""
    named = len(questions) > 1
    for record in records:
        for question in questions:
            text = record.fields.get(question.settings.get("field", "text"))
            found = record.consensus.get(question.name)
            if isinstance(text, str) and found is not None:
                header = {"id": record.external_id, "confidence": f"{found['confidence']:.4g}"}
                answer = (_named(header, question.name, named), found["answer"])
                yield Text(question.name, text, [answer])


def _named(header: dict[str, str], question: str, named: bool) -> dict[str, str]:
    return {**header, "question": question} if named else header


def documents(texts: Iterable[Text]) -> Iterator[bytes]:
    """One document per answer; a text without tokens has none."""
    for text in texts:
        tokens = text.tokens()
        if not tokens:
            continue
        words = [text.text[start:end] for start, end in tokens]
        starts = [start for start, _ in tokens]
        for header, spans in text.answers:
            if problems(text.text, spans):
                continue  # an answer changed after the check pass: never a broken document
            tags = _tags(starts, spans)
            body = "".join(f"{word} {tag}\n" for word, tag in zip(words, tags, strict=True))
            yield f"{_docstart(header)}\n\n{body}\n".encode()


def _docstart(header: dict[str, str]) -> str:
    fields = " ".join(f"{key}={_column(value)}" for key, value in header.items())
    return f"-DOCSTART- {fields}"


def _column(value: str) -> str:
    """One column, reversible with urllib.parse.unquote."""
    return re.sub(r"[%\s]", lambda match: quote(match.group()), value)


# --- tokens and tags ----------------------------------------------------------------------


@functools.cache
def _word(ascii_only: bool) -> str:
    """Python's \\w leaves out combining marks (Devanagari's vowel signs, a decomposed é), so
    a word here is \\w or a mark: without them Hindi words fall apart at every vowel sign.
    ASCII text has no marks, and its pattern without them runs twice as fast."""
    if ascii_only:
        return r"\w+"
    codes = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)).startswith("M")]
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    marks = "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in runs)
    return rf"[\w{marks}]+"


@functools.cache
def _token_pattern(ascii_only: bool) -> re.Pattern[str]:
    word = _word(ascii_only)
    return re.compile(rf"\d+(?:[.,]\d+)+|{word}(?:[-'\u2019.]{word})*|\S")


@functools.cache
def _piece_pattern(ascii_only: bool) -> re.Pattern[str]:
    """The pieces of a token that a span boundary cuts: words and single punctuation marks,
    nothing joined."""
    return re.compile(rf"{_word(ascii_only)}|\S")


def tokenise(text: str, cuts: Iterable[int] = ()) -> list[Token]:
    """Words, numbers and single punctuation marks; a token with an offset of `cuts` inside
    it is cut there, and its pieces split into words and punctuation (`NYC-LAX` cut after NYC
    is `NYC` `-` `LAX`)."""
    ascii_only = text.isascii()
    tokens = [match.span() for match in _token_pattern(ascii_only).finditer(text)]
    inside = sorted(set(cuts))
    if not inside:
        return tokens
    pieces = _piece_pattern(ascii_only)
    cut: list[Token] = []
    for start, end in tokens:
        first, last = bisect.bisect_right(inside, start), bisect.bisect_left(inside, end)
        if first == last:
            cut.append((start, end))
            continue
        for left, right in itertools.pairwise([start, *inside[first:last], end]):
            cut += (piece.span() for piece in pieces.finditer(text, left, right))
    return cut


def bio_tags(tokens: list[Token], spans: Iterable[Mapping[str, Any]]) -> list[str]:
    """B- on a span's first token, I- on the rest, O outside; the tokens are cut at the spans'
    boundaries and the spans do not overlap (see problems)."""
    return _tags([start for start, _ in tokens], spans)


def _tags(starts: list[int], spans: Iterable[Mapping[str, Any]]) -> list[str]:
    """Per span, not per token: a span's tokens are those starting inside it."""
    tags = ["O"] * len(starts)
    for span in spans:
        first = bisect.bisect_left(starts, span["start"])
        last = bisect.bisect_left(starts, span["end"])
        if first < last:
            label = _tag_label(span)
            tags[first] = "B-" + label
            tags[first + 1 : last] = ["I-" + label] * (last - first - 1)
    return tags


def _tag_label(span: Mapping[str, Any]) -> str:
    """A tag must stay one column: whitespace inside a label becomes '_'."""
    return "_".join(str(span["label"]).split())


def _edges(span: Mapping[str, Any]) -> tuple[int, int]:
    return span["start"], span["end"]


# --- what cannot be written ---------------------------------------------------------------


def problems(text: str, spans: Iterable[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], str]]:
    """Each span BIO cannot carry, with the reason. Every character that is not whitespace is
    in a token, so a span covers a token unless it holds whitespace only: no tokenising."""
    found = []
    furthest = -1
    for span in sorted(spans, key=lambda span: (span["start"], span["end"])):
        start, end = _edges(span)
        if end > len(text):
            found.append((span, f"ends past the text ({len(text)} characters): it was edited"))
        elif start < furthest:
            found.append((span, "overlaps another span of the same answer: BIO cannot nest"))
        elif text[start:end].isspace():
            found.append((span, "covers no token (only whitespace)"))
        furthest = max(furthest, end)
    return found


FIX_ANSWERS = "fix the answers, or export JSONL, which keeps every span"
FIX_CONSENSUS = (
    "export the aggregated JSONL, which keeps every span; a consensus stored before spans"
    " respected allow_overlap is refreshed by POST /api/projects/{id}/consensus"
)


def refuse_unwritable(format: str, texts: Iterable[Text], remedy: str) -> None:
    """One pass over every answer; a 422 listing what cannot be written, if anything."""
    listed: list[dict[str, Any]] = []
    total = 0
    for text in texts:
        for header, spans in text.answers:
            for span, reason in problems(text.text, spans):
                total += 1
                if len(listed) < LISTED_PROBLEMS:
                    listed.append(
                        {
                            **header,
                            "question": text.question,
                            "span": _plain(span),
                            "problem": reason,
                        }
                    )
    if total:
        which = "each" if total == len(listed) else f"the first {len(listed)}"
        raise ValidationFailed(
            f"{total} span{'s' if total > 1 else ''} cannot be written as CoNLL BIO tags"
            f" ({which} listed in details): {remedy}",
            field="format",
            value=format,
            expected="spans that each cover a token and do not overlap within one answer",
            details=listed,
        )


def _plain(span: Mapping[str, Any]) -> dict[str, Any]:
    return {key: span[key] for key in ("start", "end", "label") if key in span}
