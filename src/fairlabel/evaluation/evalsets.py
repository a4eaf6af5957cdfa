"""Eval-set files: prompts (JSONL or CSV, one per line) and responses imported for models
run elsewhere. Every line is checked before anything is stored, and a file with any bad
line is refused whole, each bad line listed with its number, field, value and what was
expected, so a fixed file can simply be sent again.

    {"id": "p1", "prompt": "...", "category": "code", "difficulty": "hard",
     "language": "en", "reference": "..."}
    {"prompt_id": "p1", "model": "in-house-7b", "response": "..."}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.errors import ValidationFailed
from fairlabel.items.parsing import ByteSource, Entry, ImportFormat, ParseError, RowError, parse
from fairlabel.items.schemas import MAX_LISTED_ERRORS
from fairlabel.models import EvalModel, EvalPrompt, EvalResponse, Evaluation, ResponseStatus

FILE_FORMATS: tuple[ImportFormat, ...] = ("jsonl", "csv")
#: Optional prompt fields and their longest value (the columns' sizes).
_PROMPT_OPTIONAL = {"category": 100, "difficulty": 40, "language": 20, "reference": None}
_PROMPT_FIELDS = ("id", "prompt", *_PROMPT_OPTIONAL)
_RESPONSE_FIELDS = ("prompt_id", "model", "response")
_MAX_ID = 200
T = TypeVar("T")
#: import_prompts or import_responses: the rows stored.
Importer = Callable[[Session, Evaluation, ImportFormat, ByteSource], int]


@dataclass(frozen=True, slots=True)
class PromptRow:
    external_id: str
    prompt: str
    category: str | None
    difficulty: str | None
    language: str | None
    reference: str | None


@dataclass(frozen=True, slots=True)
class ResponseRow:
    prompt_id: int
    model_id: int
    text: str


class _BadLine(Exception):
    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(expected)
        self.field, self.value, self.expected = field, value, expected


def checked_format(fmt: str | None) -> ImportFormat:
    if fmt in FILE_FORMATS:
        return fmt
    raise ValidationFailed(
        "the eval-set file format is not known",
        field="format",
        value=fmt,
        expected="format=jsonl or format=csv",
    )


def import_prompts(
    db: Session, evaluation: Evaluation, fmt: ImportFormat, source: ByteSource
) -> int:
    """Add the file's prompts; an id already in the eval set is a bad line (a prompt's
    text never changes under the responses and votes given to it)."""
    taken = set(
        db.scalars(select(EvalPrompt.external_id).where(EvalPrompt.evaluation_id == evaluation.id))
    )
    seen: dict[str, int] = {}

    def check(line: int, record: Mapping[str, Any]) -> PromptRow:
        row = _prompt_row(record)
        if row.external_id in taken:
            raise _BadLine("id", row.external_id, "an id not yet in the eval set")
        if row.external_id in seen:
            raise _BadLine("id", row.external_id, f"a unique id (line {seen[row.external_id]})")
        seen[row.external_id] = line
        return row

    rows = _checked_rows(_entries(fmt, source), check, "prompt")
    db.add_all(
        EvalPrompt(
            evaluation_id=evaluation.id,
            external_id=row.external_id,
            prompt=row.prompt,
            category=row.category,
            difficulty=row.difficulty,
            language=row.language,
            reference=row.reference,
        )
        for row in rows
    )
    db.flush()
    return len(rows)


def import_responses(
    db: Session, evaluation: Evaluation, fmt: ImportFormat, source: ByteSource
) -> int:
    """Store each line as its model's response to its prompt (replacing an earlier import);
    only models without an endpoint take imported responses."""
    prompts = dict(
        db.execute(
            select(EvalPrompt.external_id, EvalPrompt.id).where(
                EvalPrompt.evaluation_id == evaluation.id
            )
        ).all()
    )
    models = {
        m.name: m
        for m in db.scalars(select(EvalModel).where(EvalModel.evaluation_id == evaluation.id))
    }
    seen: dict[tuple[int, int], int] = {}

    def check(line: int, record: Mapping[str, Any]) -> ResponseRow:
        _only(record, _RESPONSE_FIELDS)
        prompt_key = _identifier(record.get("prompt_id"), "prompt_id")
        if prompt_key not in prompts:
            raise _BadLine("prompt_id", prompt_key, "the id of a prompt of the eval set")
        name = _text(record.get("model"), "model", 100)
        model = models.get(name)
        if model is None:
            names = ", ".join(sorted(n for n, m in models.items() if m.endpoint_id is None))
            raise _BadLine("model", name, f"a model of the evaluation without endpoint: {names}")
        if model.endpoint_id is not None:
            raise _BadLine("model", name, "a model without endpoint (this one's are generated)")
        key = (prompts[prompt_key], model.id)
        if key in seen:
            raise _BadLine("prompt_id", prompt_key, f"one response per model (line {seen[key]})")
        seen[key] = line
        return ResponseRow(key[0], key[1], _text(record.get("response"), "response", None))

    rows = _checked_rows(_entries(fmt, source), check, "response")
    stored = {
        (r.prompt_id, r.model_id): r
        for r in db.scalars(
            select(EvalResponse).where(
                EvalResponse.evaluation_id == evaluation.id,
                EvalResponse.model_id.in_({row.model_id for row in rows}),
            )
        )
    }
    for row in rows:
        response = stored.get((row.prompt_id, row.model_id))
        if response is None:
            response = EvalResponse(
                evaluation_id=evaluation.id, prompt_id=row.prompt_id, model_id=row.model_id
            )
            db.add(response)
        response.status, response.text, response.source = ResponseStatus.ok, row.text, "imported"
        response.error_code = response.error_message = None
    db.flush()
    return len(rows)


def _entries(fmt: ImportFormat, source: ByteSource) -> list[Entry]:
    try:
        entries = list(parse(fmt, source))
    except ParseError as exc:
        raise _refusal([exc.problem], "the file is malformed") from None
    return [_flat(entry) for entry in entries] if fmt == "csv" else entries


def _flat(entry: Entry) -> Entry:
    """The item parser puts a CSV row's text columns under `fields`; here every column is
    one of the row's own."""
    if isinstance(entry, RowError):
        return entry
    line, record = entry
    rest = {key: value for key, value in record.items() if key != "fields"}
    return line, {**record["fields"], **rest}


def _checked_rows(
    entries: Iterable[Entry], check: Callable[[int, Mapping[str, Any]], T], noun: str
) -> list[T]:
    rows: list[T] = []
    problems: list[RowError] = []
    for entry in entries:
        if isinstance(entry, RowError):
            problems.append(entry)
            continue
        line, record = entry
        if not isinstance(record, Mapping):
            problems.append(RowError(line, None, record, f"a {noun} object", "not an object"))
            continue
        try:
            rows.append(check(line, record))
        except _BadLine as bad:
            problems.append(RowError(line, bad.field, bad.value, bad.expected, str(bad)))
    if problems:
        raise _refusal(problems, f"{len(problems)} bad line{'s' * (len(problems) != 1)}")
    if not rows:
        raise ValidationFailed(
            f"the file holds no {noun}", field="file", value=None, expected=f"one {noun} a line"
        )
    return rows


def _refusal(problems: list[RowError], what: str) -> ValidationFailed:
    first = problems[0]
    return ValidationFailed(
        f"{what}, nothing was imported; first at line {first.line}: {first.field}: "
        f"expected {first.expected}",
        field=first.field or "file",
        value=first.value,
        expected=first.expected,
        details=[p.to_dict() for p in problems[:MAX_LISTED_ERRORS]],
    )


def _prompt_row(record: Mapping[str, Any]) -> PromptRow:
    _only(record, _PROMPT_FIELDS)
    optional = {
        name: None if _blank(record.get(name)) else _text(record.get(name), name, limit)
        for name, limit in _PROMPT_OPTIONAL.items()
    }
    return PromptRow(
        external_id=_identifier(record.get("id"), "id"),
        prompt=_text(record.get("prompt"), "prompt", None),
        **optional,
    )


def _only(record: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in record:
        if key not in allowed:
            raise _BadLine(key, record[key], f"only the fields {', '.join(allowed)}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _identifier(value: Any, field: str) -> str:
    """An id as JSONL writes it (a string or an integer) or as CSV reads it (a string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _text(value, field, _MAX_ID)


def _text(value: Any, field: str, limit: int | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _BadLine(field, value, "a non-blank string")
    if limit is not None and len(value) > limit:
        raise _BadLine(field, value, f"at most {limit} characters")
    return value.strip() if limit is not None else value
