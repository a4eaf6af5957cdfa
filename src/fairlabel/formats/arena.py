"""Votes in the Chatbot Arena battle format, one row per vote on the pairwise question, as
the LMSYS battle dumps lay them out (and their leaderboard notebooks read them):
model_a, model_b, winner (model_a, model_b, tie, "tie (bothbad)"), judge (the worker's
pseudonym), conversation_a and conversation_b (the prompt and each model's reply as
messages), turn, language, beside the battle's question_id and tstamp.

The models of an evaluation's battle come from the battles table (ExportProject's
`battle_models`: its item names none, so the vote stayed blind); an item imported with a
`model` per candidate names its own."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from fairlabel.formats.base import (
    ArenaSides,
    ExportAnnotation,
    ExportFormat,
    ExportProject,
    ExportRecord,
    RecordSource,
    exportable_questions,
    rechunk,
)
from fairlabel.formats.chat import candidate_texts, prompt
from fairlabel.formats.registry import register

WINNERS = {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}
UNKNOWN_LANGUAGE = "unknown"
_FIELD = "responses"
_MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
SCHEMA = pa.schema(
    [
        ("question_id", pa.string()),
        ("model_a", pa.string()),
        ("model_b", pa.string()),
        ("winner", pa.string()),
        ("judge", pa.string()),
        ("conversation_a", _MESSAGES),
        ("conversation_b", _MESSAGES),
        ("turn", pa.int64()),
        ("language", pa.string()),
        ("tstamp", pa.float64()),
    ]
)
_ROW_GROUP = 10_000


class _ArenaFormat(ExportFormat):
    question_types = frozenset({"pairwise"})

    def rows(self, project: ExportProject, source: RecordSource) -> Iterator[dict[str, Any]]:
        """Every vote of the first pairwise question whose two models are known: an arena
        vote by its own battle, any other by its item's."""
        questions = exportable_questions(self, project)
        # check_project refuses a project without one before an export starts
        name = questions[0].name if questions else ""
        field = str(questions[0].settings.get("field", _FIELD)) if questions else _FIELD
        for record in source():
            shared = _item_sides(project, record, field)
            for annotation in record.annotations:
                sides = project.arena_votes.get((record.item_id, annotation.worker)) or shared
                answer = annotation.answers.get(name)
                choice = answer.get("choice") if isinstance(answer, Mapping) else None
                if sides is not None and choice in WINNERS:
                    yield _row(record, annotation, sides, WINNERS[choice])


def _item_sides(project: ExportProject, record: ExportRecord, field: str) -> ArenaSides | None:
    """The models, prompt and replies an item shows every voter, if it has them all."""
    models = project.battle_models.get(record.item_id) or _named_models(record.fields, field)
    texts = candidate_texts(record.fields, field)
    asked = prompt(record.fields)
    if models is None or texts is None or len(texts) != 2 or asked is None:
        return None
    first, second = texts.values()
    return ArenaSides(models, asked, (first, second))


def _row(
    record: ExportRecord, annotation: ExportAnnotation, sides: ArenaSides, winner: str
) -> dict[str, Any]:
    asked = sides.prompt
    if isinstance(asked, str):
        messages = [{"role": "user", "content": asked}]
    else:
        messages = [{"role": str(m.get("role")), "content": str(m.get("content"))} for m in asked]
    language = record.fields.get("language")
    return {
        "question_id": record.external_id,
        "model_a": sides.models[0],
        "model_b": sides.models[1],
        "winner": winner,
        "judge": annotation.worker,
        "conversation_a": [*messages, {"role": "assistant", "content": sides.texts[0]}],
        "conversation_b": [*messages, {"role": "assistant", "content": sides.texts[1]}],
        "turn": 1,
        "language": language if isinstance(language, str) else UNKNOWN_LANGUAGE,
        "tstamp": annotation.created_at.timestamp(),
    }


def _named_models(fields: Mapping[str, Any], field: str) -> tuple[str, str] | None:
    value = fields.get(field)
    if not isinstance(value, list) or len(value) != 2:
        return None
    names = [entry.get("model") if isinstance(entry, dict) else None for entry in value]
    if all(isinstance(n, str) and n for n in names) and names[0] != names[1]:
        return str(names[0]), str(names[1])
    return None


@register
class ArenaJsonl(_ArenaFormat):
    name = "arena-jsonl"
    media_type = "application/x-ndjson"
    extension = ".jsonl"
    description = "Chatbot Arena battles: one JSON line per pairwise vote, models named"

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        lines = (
            orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
            for row in self.rows(project, source)
        )
        return rechunk(lines)


@register
class ArenaParquet(_ArenaFormat):
    name = "arena-parquet"
    media_type = "application/vnd.apache.parquet"
    extension = ".parquet"
    description = "Chatbot Arena battles as one Parquet table, as the Arena notebooks read it"

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        """Written a row group at a time; Parquet's footer comes last, so the file is
        handed on once complete."""
        sink = io.BytesIO()
        with pq.ParquetWriter(sink, SCHEMA, compression="zstd") as writer:
            batch: list[dict[str, Any]] = []
            for row in self.rows(project, source):
                batch.append(row)
                if len(batch) >= _ROW_GROUP:
                    writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
                    batch.clear()
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
        return rechunk([sink.getvalue()])
