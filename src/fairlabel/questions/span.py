"""Labelled character ranges in an item's text (named entities, highlighted evidence)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fairlabel.questions.base import (
    LabelSettings,
    QuestionType,
    RecordShape,
    dice,
    expect_int,
    expect_label,
    expect_list,
    fail,
    item_path,
    item_text,
)
from fairlabel.questions.registry import register

_SPAN = RecordShape(("start", "end", "label"), ("text",))


class SpanSettings(LabelSettings):
    field: str = Field(default="text", min_length=1)
    allow_overlap: bool = False


@register
class SpanQuestion(QuestionType[SpanSettings]):
    """Offsets index Python strings (code points); spans come back sorted, each with its text."""

    name = "span"
    settings_model = SpanSettings
    answer_kind = "spans"

    def validate_answer(
        self, settings: SpanSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> list[dict[str, Any]]:
        text = item_text(fields, settings.field)
        checked = [
            (_check_span(value, settings, text, f"{path}[{index}]"), index)
            for index, value in enumerate(expect_list(answer, path, "a list of spans"))
        ]
        checked.sort(key=lambda pair: (pair[0]["start"], pair[0]["end"], pair[0]["label"]))
        _check_overlaps(checked, settings.allow_overlap, path)
        return [span for span, _ in checked]

    def score(self, settings: SpanSettings, answer: Any, expected: Any) -> float:
        """Overlap F1 over labelled characters: each (offset, label) a span covers is one
        unit, so a span one character short still earns most of the credit."""
        marked, known = _labelled_offsets(answer), _labelled_offsets(expected)
        return dice(len(marked & known), len(marked), len(known))


def _labelled_offsets(spans: list[dict[str, Any]]) -> set[tuple[int, str]]:
    return {
        (offset, span["label"]) for span in spans for offset in range(span["start"], span["end"])
    }


def _check_span(value: Any, settings: SpanSettings, text: str, path: str) -> dict[str, Any]:
    """One span's offsets against the text, its label, and the text it claims to cover."""
    record = _SPAN.check(value, path)
    start = expect_int(record["start"], f"{path}.start")
    end = expect_int(record["end"], f"{path}.end")
    if start < 0:
        fail(f"{path}.start", record["start"], "an offset >= 0")
    if end <= start:
        fail(f"{path}.end", record["end"], f"an offset greater than start ({start})")
    if end > len(text):
        fail(
            f"{path}.end",
            record["end"],
            f"an offset <= {len(text)} (the length of {item_path(settings.field)})",
        )
    label = expect_label(record["label"], settings, f"{path}.label")
    covered = text[start:end]
    claimed = record.get("text")
    if claimed is not None and claimed != covered:
        fail(f"{path}.text", claimed, f"the text at [{start}:{end}], {covered!r}")
    return {"start": start, "end": end, "label": label, "text": covered}


def _check_overlaps(
    ordered: list[tuple[dict[str, Any], int]], allow_overlap: bool, path: str
) -> None:
    """Spans sorted by (start, end): overlap shows as a start before the furthest end so far."""
    furthest_end, furthest_index = -1, -1
    previous: tuple[int, int, str] | None = None
    for span, index in ordered:
        key = (span["start"], span["end"], span["label"])
        if key == previous:
            fail(f"{path}[{index}]", span, "no duplicate spans (same offsets and label)")
        if not allow_overlap and span["start"] < furthest_end:
            fail(
                f"{path}[{index}]",
                span,
                f"no overlap with {path}[{furthest_index}] (allow_overlap is off)",
            )
        if span["end"] > furthest_end:
            furthest_end, furthest_index = span["end"], index
        previous = key
