"""Parquet with a dataset card, laid out as the Hugging Face hub lays out a dataset, so that
`datasets.load_dataset("<unzipped folder>")` and `load_dataset("parquet", data_files=...)`
read it unchanged: README.md with the YAML header the hub reads (`configs` naming each
split's data files, `dataset_info` with the features and the split sizes), and
`data/<split>-00000-of-00001.parquet` per split.

Rows are written a row group at a time, each split to its own temporary file (the entries
of a zip cannot interleave), and those files are then streamed into the zip from disk:
memory stays at one row group per split, whatever the export's size."""

import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from fairlabel.formats.base import JsonObject
from fairlabel.formats.split import Split
from fairlabel.formats.trl import Block, Column
from fairlabel.formats.zipstream import ZipStream

ROW_GROUP_ROWS = 20_000
"""Rows per row group: some megabytes in memory while it fills, and a size the hub's
dataset viewer pages well."""
HUB_SPLITS = {"train": "train", "val": "validation", "test": "test"}
"""Our split names as the hub names them."""
_TOOL_CALL = pa.struct(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
    ]
)
OPTIONAL_KEYS: dict[str, pa.DataType] = {
    "name": pa.string(),
    "tool_calls": pa.list_(_TOOL_CALL),
    "tool_call_id": pa.string(),
    "weight": pa.int64(),
}
"""A message's keys beside role and content (items.conversations), in this order."""
_REPLY = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
_SCALARS = {"string": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}
_DTYPES = {
    pa.string(): "string",
    pa.float64(): "float64",
    pa.int64(): "int64",
    pa.bool_(): "bool",
}


def message_keys(items: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The optional message keys any item's conversation uses: a Parquet column has one
    type, and a key no message has would reach every message as a null (a chat template
    that asks `'tool_calls' in message` would then see calls where there are none)."""
    found: set[str] = set()
    for fields in items:
        if isinstance(fields, JsonObject) and not _may_have_keys(fields.text, found):
            continue
        messages = fields.get("messages")
        if isinstance(messages, list):
            for message in messages:
                if isinstance(message, dict):
                    found.update(key for key in message if key in OPTIONAL_KEYS)
    return tuple(key for key in OPTIONAL_KEYS if key in found)


def _may_have_keys(text: str | bytes, found: set[str]) -> bool:
    """A look at the stored text first: decoding every item would double an export's time."""
    raw = text if isinstance(text, str) else text.decode()
    return any(f'"{key}"' in raw for key in OPTIONAL_KEYS if key not in found)


def schema(columns: Sequence[Column], keys: Sequence[str]) -> pa.Schema:
    message = pa.list_(
        pa.struct(
            [("role", pa.string()), ("content", pa.string())]
            + [(key, OPTIONAL_KEYS[key]) for key in keys]
        )
    )
    types = {"messages": message, "reply": _REPLY, **_SCALARS}
    return pa.schema([(column.name, types[column.kind]) for column in columns])


class SplitFile:
    """One split's Parquet file, written a row group at a time to a temporary folder."""

    def __init__(self, folder: Path, split: str, table_schema: pa.Schema) -> None:
        self.split = split
        self.path = folder / f"{split}.parquet"
        self.rows = 0
        self.bytes = 0
        """The Arrow size of the rows, as `datasets` records a split's num_bytes."""
        self._schema = table_schema
        self._columns = _new_columns(table_schema)
        self._pending = 0
        self._writer = pq.ParquetWriter(self.path, table_schema, compression="zstd")

    def add(self, block: Block) -> None:
        """A block is taken apart into its columns at once, so that it dies young: thousands
        of live blocks would make each garbage collection walk them all (it cost 40% of the
        export's time). A shared value is repeated, not looked at once per row."""
        count, shared, varying = block.count, block.shared, block.varying
        for name, column in self._columns.items():
            values = varying.get(name)
            if values is None:
                column.repeat(shared[name], count)
            else:
                column.extend(values)
        self._pending += count
        if self._pending >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        """One row group."""
        if not self._pending:
            return
        columns, self._columns = self._columns, _new_columns(self._schema)
        arrays = [
            column.array(field.type)
            for column, field in zip(columns.values(), self._schema, strict=True)
        ]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self._schema)
        self._writer.write_batch(batch)
        self.rows += self._pending
        self.bytes += batch.nbytes
        self._pending = 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


class _Values:
    """A scalar column of a row group: a Python list that Arrow converts in one call."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list[Any] = []

    def repeat(self, value: Any, count: int) -> None:
        self.values += itertools.repeat(value, count)

    def extend(self, values: list[Any]) -> None:
        self.values += values

    def array(self, kind: pa.DataType) -> pa.Array:
        return pa.array(self.values, type=kind)


class _Messages:
    """A list column of a row group. Rows share their messages (an item's prompt, each
    candidate's reply), so each distinct list (by identity: the column holds it alive until
    the flush) is converted once and repeated in Arrow by index."""

    __slots__ = ("distinct", "index", "taken")

    def __init__(self) -> None:
        self.distinct: list[Any] = []
        self.index: dict[int, int] = {}
        self.taken: list[int] = []

    def repeat(self, value: Any, count: int) -> None:
        self.extend([value])
        if count > 1:
            self.taken += itertools.repeat(self.taken[-1], count - 1)

    def extend(self, values: list[Any]) -> None:
        """Once per row: the look-up is inlined and the indices taken in C."""
        index, distinct = self.index, self.distinct
        for value in values:
            if id(value) not in index:
                index[id(value)] = len(distinct)
                distinct.append(value)
        self.taken += map(index.__getitem__, map(id, values))

    def array(self, kind: pa.ListType) -> pa.Array:
        converted = _lists(self.distinct, kind)
        if len(self.distinct) == len(self.taken):
            return converted
        return converted.take(pa.array(self.taken, type=pa.int32()))


def _new_columns(table_schema: pa.Schema) -> dict[str, _Values | _Messages]:
    return {
        field.name: _Messages() if pa.types.is_list(field.type) else _Values()
        for field in table_schema
    }


def _lists(values: list[Any], kind: pa.ListType) -> pa.Array:
    """Arrow converts a flat list of messages ten times faster than a list of lists of them,
    so the lists are flattened and their offsets given; None is a null list."""
    offsets, flat, nulls = [0], [], []
    for value in values:
        nulls.append(value is None)
        if value is not None:
            flat += value
        offsets.append(len(flat))
    messages = pa.array(flat, type=kind.value_type)
    mask = pa.array(nulls, type=pa.bool_()) if any(nulls) else None
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), messages, type=kind, mask=mask)


@dataclass(frozen=True, slots=True)
class Card:
    """What the dataset card says beside the features and split sizes."""

    title: str
    body: list[str]
    tags: list[str]


def dataset_zip(
    blocks: Iterable[Block],
    columns: Sequence[Column],
    keys: Sequence[str],
    split: Split | None,
    card: Callable[[], Card],
    archive: ZipStream,
) -> Iterator[bytes]:
    """The zip's bytes: every block of rows into its split's file, then the files and the
    card (made once the rows are written)."""
    table_schema = schema(columns, keys)
    names = split.names if split is not None else ["train"]
    with tempfile.TemporaryDirectory(prefix="fairlabel-parquet-") as folder:
        files = {name: SplitFile(Path(folder), name, table_schema) for name in names}
        try:
            if split is None:
                for block in blocks:
                    files["train"].add(block)
            else:
                _split_blocks(blocks, split, files)
        finally:
            for file in files.values():
                file.close()
        written = [file for file in files.values() if file.rows] or [files[names[0]]]
        for file in written:
            yield from archive.add_file(data_file(file.split), file.path)
        empty = [HUB_SPLITS[name] for name, file in files.items() if file not in written]
        yield archive.add("README.md", card_text(card(), table_schema, written, empty))
        yield from archive.close()


def _split_blocks(blocks: Iterable[Block], split: Split, files: Mapping[str, SplitFile]) -> None:
    """An item's rows come together: its split is drawn once for them all."""
    last, file = None, None
    for block in blocks:
        external_id = block.shared["external_id"]
        if external_id != last or file is None:
            last, file = external_id, files[split.of(external_id)]
        file.add(block)


def data_file(split: str) -> str:
    return f"data/{HUB_SPLITS[split]}-00000-of-00001.parquet"


def card_text(
    card: Card, table_schema: pa.Schema, written: Sequence[SplitFile], empty: Sequence[str]
) -> bytes:
    """README.md: the YAML header the hub and `datasets` read, then the card's text. A split
    that got no rows is left out: `datasets` refuses a split without data."""
    splits = [(HUB_SPLITS[file.split], file) for file in written]
    header = {
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": name, "path": f"data/{name}-*.parquet"} for name, _ in splits
                ],
            }
        ],
        "dataset_info": {
            "features": features(table_schema),
            "splits": [
                {"name": name, "num_bytes": file.bytes, "num_examples": file.rows}
                for name, file in splits
            ],
        },
        "tags": card.tags,
    }
    sizes = ", ".join(f"{name} {file.rows:,}" for name, file in splits)
    lines = ["---", *yaml_lines(header), "---", "", f"# {card.title}", "", *card.body]
    lines += ["", f"Rows: {sizes}."]
    if empty:
        lines.append(f"No rows fell in {' or '.join(empty)}: that split is left out.")
    return ("\n".join(lines) + "\n").encode()


def features(table_schema: pa.Schema) -> list[dict[str, Any]]:
    """The schema as `datasets` writes `dataset_info.features` (Features._to_yaml_list)."""
    return [{"name": field.name, **_feature(field.type)} for field in table_schema]


def _feature(kind: pa.DataType) -> dict[str, Any]:
    if pa.types.is_struct(kind):
        return {"struct": [{"name": f.name, **_feature(f.type)} for f in kind]}
    if pa.types.is_list(kind):
        inner = _feature(kind.value_type)
        return {"list": inner["struct"] if "struct" in inner else inner["dtype"]}
    return {"dtype": _DTYPES[kind]}


def yaml_lines(value: Any, depth: int = 0) -> list[str]:
    """Block YAML of plain data; strings are written as JSON strings, which YAML reads."""
    pad = "  " * depth
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{pad}{key}:", *yaml_lines(item, depth + 1)]
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
        return lines
    for item in value:
        if isinstance(item, dict | list) and item:
            nested = yaml_lines(item, depth + 1)
            lines += [f"{pad}- {nested[0].lstrip()}", *nested[1:]]
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return orjson.dumps(value).decode()
