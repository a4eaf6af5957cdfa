"""The leaderboard as a file: CSV and Parquet with one row per model (score, its 95%
interval, rank and rank interval, battles, wins, losses, ties, and the style-controlled
score where asked), JSON as the API answers it (with the matrices and robustness). The
Parquet file's metadata says what was fitted (votes, bootstrap rounds, seed, weighting)."""

import csv
import io
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from fairlabel.errors import ValidationFailed
from fairlabel.evaluation.schemas import Leaderboard, ModelStanding
from fairlabel.questions.base import one_of

COLUMNS = tuple(ModelStanding.model_fields)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
_ARROW_TYPES = {int: pa.int64(), float: pa.float64(), str: pa.string()}


def export(board: Leaderboard, file_format: str) -> bytes:
    if file_format not in MEDIA_TYPES:
        raise ValidationFailed(
            f"unknown leaderboard format {file_format!r}",
            field="format",
            value=file_format,
            expected=one_of(MEDIA_TYPES),
        )
    if file_format == "json":
        return orjson.dumps(board.model_dump(mode="json"))
    rows = [standing.model_dump() for standing in board.standings]
    return _csv(rows) if file_format == "csv" else _parquet(board, rows)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _parquet(board: Leaderboard, rows: list[dict[str, Any]]) -> bytes:
    fields = [pa.field(name, _arrow_type(name)) for name in COLUMNS]
    described = {
        k: v for k, v in board.model_dump(mode="json").items() if not isinstance(v, list | dict)
    }
    table = pa.Table.from_pylist(rows, schema=pa.schema(fields)).replace_schema_metadata(
        {"fairlabel.leaderboard": orjson.dumps(described)}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _arrow_type(name: str) -> pa.DataType:
    """The column's type from the standing's annotation (`float | None` is a float)."""
    annotation = ModelStanding.model_fields[name].annotation
    for python_type, arrow_type in _ARROW_TYPES.items():
        if annotation is python_type or python_type in getattr(annotation, "__args__", ()):
            return arrow_type
    raise TypeError(f"no Arrow type for {name}: {annotation}")
