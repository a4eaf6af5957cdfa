"""CoNLL BIO tags for span questions: one 'token TAG' line per whitespace token."""

import re
from collections.abc import Iterator
from typing import Any

from fairlabel.formats.base import (
    ExportAnnotation,
    ExportFormat,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    RecordSource,
    exportable_questions,
    rechunk,
)
from fairlabel.formats.registry import register

_TOKEN = re.compile(r"\S+")


@register
class ConllFormat(ExportFormat):
    name = "conll"
    media_type = "text/plain; charset=utf-8"
    extension = ".conll"
    description = (
        "CoNLL BIO: one document per annotation of a span question, 'token TAG' per "
        "whitespace token, '# id' and '# annotator' comment lines, documents split by a blank line"
    )
    question_types = frozenset({"span"})

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        questions = exportable_questions(self, project)
        documents = (
            _document(record, annotation, question, len(questions) > 1)
            for record in source()
            for annotation in record.annotations
            for question in questions
        )
        return rechunk(doc.encode() for doc in documents if doc)


def _document(
    record: ExportRecord, annotation: ExportAnnotation, question: ExportQuestion, named: bool
) -> str:
    """One annotator's spans on one text; empty when there is no text or no answer to it
    (an answer with no spans is kept: it says the text has no entities)."""
    text = record.fields.get(question.settings.get("field", "text"))
    spans = annotation.answers.get(question.name)
    if not isinstance(text, str) or spans is None:
        return ""
    header = [f"# id = {_one_line(record.external_id)}", f"# annotator = {annotation.worker}"]
    if named:
        header.append(f"# question = {question.name}")
    body = [f"{token} {tag}" for token, tag in bio_tags(text, spans)]
    return "\n".join(header + body) + "\n\n"


def bio_tags(text: str, spans: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """A token overlapping a span takes its label: B- on the span's first token, I- after.

    A token overlapping two spans goes to the first; the second then begins at its next token."""
    ordered = sorted(spans, key=lambda span: (span["start"], span["end"]))
    current, previous = 0, -1
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        while current < len(ordered) and ordered[current]["end"] <= start:
            current += 1
        if current < len(ordered) and ordered[current]["start"] < end:
            prefix = "I-" if previous == current else "B-"
            previous = current
            yield match.group(), prefix + _tag_label(str(ordered[current]["label"]))
        else:
            previous = -1
            yield match.group(), "O"


def _tag_label(label: str) -> str:
    """A tag must stay one column: whitespace inside a label becomes '_'."""
    return "_".join(label.split())


def _one_line(text: str) -> str:
    return " ".join(text.split())
