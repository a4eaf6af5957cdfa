"""Streaming parsers for item files: JSONL, JSON (one top-level array), CSV and Parquet.

Each parser takes a binary stream (a file object or an iterator of byte chunks), so an HTTP
upload is parsed as it arrives and memory stays bounded by the largest record. It yields
`(line, record)` pairs or `RowError` values; a file whose structure is broken beyond one row
(unclosed JSON array, bad CSV quoting, invalid UTF-8 in JSON or CSV, a Parquet file that is
not one) raises `ParseError`. Parquet keeps its footer at the end, so it is read from a
seekable file, a batch of rows at a time, and its "line" is the 1-based row number."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, BinaryIO, Literal

import orjson

from fairlabel.errors import shorten

ImportFormat = Literal["jsonl", "json", "csv", "parquet"]
FORMATS: tuple[ImportFormat, ...] = ("jsonl", "json", "csv", "parquet")
ByteSource = BinaryIO | Iterable[bytes]

CHUNK_BYTES = 256 * 1024
MAX_RECORD_BYTES = 32 * 1024 * 1024
"""Largest single record (JSONL line, JSON element, CSV row): bounds the parser's memory."""
PARQUET_BATCH_ROWS = 5000

_CONTENT_TYPES: dict[str, ImportFormat] = {
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/jsonlines": "jsonl",
    "application/json": "json",
    "text/json": "json",
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "application/parquet": "parquet",
}

_EXTENSIONS: dict[str, ImportFormat] = {
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "json": "json",
    "csv": "csv",
    "parquet": "parquet",
    "pq": "parquet",
}

# CSV text fields may be whole documents; the module default (128 KiB) would reject them.
csv.field_size_limit(MAX_RECORD_BYTES)


@dataclass(slots=True)
class RowError:
    """One bad row: where it is, which field, the value, and what was expected."""

    line: int | None
    field: str | None
    value: Any
    expected: str
    message: str
    first_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        problem = {
            "line": self.line,
            "field": self.field,
            "value": shorten(_echoable(self.value)),
            "expected": self.expected,
            "message": self.message,
        }
        if self.first_line is not None:
            problem["first_line"] = self.first_line
        return problem


def _echoable(value: Any) -> Any:
    """The value as JSON can echo it: a Parquet row may hold bytes or decimals."""
    try:
        orjson.dumps(value)
    except TypeError:
        return repr(value)
    return value


class ParseError(Exception):
    """The file's structure is broken, so no later row can be trusted: the import stops."""

    def __init__(
        self,
        line: int | None,
        message: str,
        *,
        value: Any = None,
        expected: str = "a well-formed file",
    ) -> None:
        super().__init__(message)
        self.problem = RowError(line, "file", value, expected, message)


Entry = tuple[int, Any] | RowError


def resolve_format(requested: str | None, content_type: str | None) -> ImportFormat:
    """The `format` asked for, else the one the Content-Type names."""
    if requested:
        if requested in FORMATS:
            return requested
        raise ValueError(requested)
    media_type = (content_type or "").split(";")[0].strip().lower()
    fmt = _CONTENT_TYPES.get(media_type)
    if fmt is None:
        raise ValueError(media_type or None)
    return fmt


def format_of_file(name: str) -> ImportFormat:
    """The format a file name's extension says (for the CLI); ValueError when it says none."""
    extension = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    fmt = _EXTENSIONS.get(extension)
    if fmt is None:
        raise ValueError(name)
    return fmt


def parse(
    fmt: ImportFormat,
    source: ByteSource,
    max_record_bytes: int = MAX_RECORD_BYTES,
    *,
    batch_rows: int = PARQUET_BATCH_ROWS,
) -> Iterator[Entry]:
    """Rows of `source` in the given format, parsed as its bytes arrive (Parquet: a batch
    of `batch_rows` rows at a time)."""
    if fmt == "parquet":
        return parse_parquet(source, batch_rows)
    parsers: dict[str, Callable[[ByteSource, int], Iterator[Entry]]] = {
        "jsonl": parse_jsonl,
        "json": parse_json,
        "csv": parse_csv,
    }
    return parsers[fmt](source, max_record_bytes)


def iter_chunks(source: ByteSource, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Byte chunks from a file object or an iterable of chunks, without the UTF-8 BOM."""
    read = getattr(source, "read", None)
    chunks: Iterable[bytes] = iter(partial(read, size), b"") if read else source
    return _strip_bom(c for c in chunks if c)


def _strip_bom(chunks: Iterator[bytes]) -> Iterator[bytes]:
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= len(codecs.BOM_UTF8):
            break
    if rest := head.removeprefix(codecs.BOM_UTF8):
        yield rest
    yield from chunks


# --- JSONL -------------------------------------------------------------------------------


def parse_jsonl(source: ByteSource, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Entry]:
    """One JSON value a line; a bad line is a row error and the next line parses on."""
    loads = orjson.loads
    for first, lines in split_lines(iter_chunks(source), max_record_bytes):
        for line_no, line in enumerate(lines, first):
            if line is None:
                yield RowError(
                    line_no,
                    "line",
                    None,
                    f"a line of at most {max_record_bytes} bytes",
                    "the line is too long",
                )
            elif line and not line.isspace():
                try:
                    yield line_no, loads(line)
                except orjson.JSONDecodeError as exc:
                    yield RowError(
                        line_no,
                        "json",
                        line[:400].decode("utf-8", "replace"),
                        "one JSON object on the line",
                        f"malformed JSON: {exc}",
                    )


def split_lines(chunks: Iterable[bytes], limit: int) -> Iterator[tuple[int, list[bytes | None]]]:
    """Runs of complete lines, without their newlines, each with the number of its first
    line. None stands for a line longer than `limit`, dropped as it streams past."""
    next_line = 1
    pending: list[bytes] = []
    pending_len = 0
    for chunk in chunks:
        parts: list[bytes | None] = chunk.split(b"\n")  # type: ignore[assignment]
        if len(parts) == 1:
            pending_len += len(chunk)
            if pending_len > limit:
                pending.clear()
            else:
                pending.append(chunk)
            continue
        head: bytes = parts[0]  # type: ignore[assignment]
        parts[0] = None if pending_len + len(head) > limit else b"".join((*pending, head))
        tail: bytes = parts.pop()  # type: ignore[assignment]
        if len(chunk) > limit:
            parts[1:] = [None if len(p) > limit else p for p in parts[1:]]  # type: ignore[arg-type]
        yield next_line, parts
        next_line += len(parts)
        pending = [tail] if tail else []
        pending_len = len(tail)
    if pending_len:
        yield next_line, [None if pending_len > limit else b"".join(pending)]


# --- JSON array ----------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _ConstantError(ValueError):
    """NaN and Infinity: accepted by Python's `json`, not by JSON or by the databases."""


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


class _JsonArrayReader:
    """Walks a top-level JSON array element by element over an incrementally decoded buffer.

    Each element is decoded by the C scanner of `json`; an element cut by the end of the
    buffer is retried only once the buffer has doubled, so large elements stay linear."""

    def __init__(self, chunks: Iterator[bytes], limit: int) -> None:
        self.chunks = chunks
        self.limit = limit
        self.utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self.decoder = json.JSONDecoder(parse_constant=_reject_constant)
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.lines_before = 0  # newlines before `counted`
        self.counted = 0

    def line_at(self, pos: int) -> int:
        if pos > self.counted:
            self.lines_before += self.buf.count("\n", self.counted, pos)
            self.counted = pos
        return self.lines_before + 1

    def fill(self, wanted: int) -> bool:
        """Read at least `wanted` more characters (less at the end); False when none came."""
        self.line_at(self.pos)
        pieces = [self.buf[self.pos :]]
        got = 0
        while got < wanted and not self.eof:
            try:
                chunk = next(self.chunks)
                text = self.utf8.decode(chunk)
            except StopIteration:
                self.eof = True
                text = self._final_text()
            pieces.append(text)
            got += len(text)
        self.buf = "".join(pieces)
        self.pos = self.counted = 0
        return got > 0

    def _final_text(self) -> str:
        try:
            return self.utf8.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ParseError(
                self.line_at(len(self.buf)),
                "the file ends inside a UTF-8 sequence",
                expected="UTF-8 text",
            ) from exc

    def peek(self) -> str:
        """The next non-whitespace character, or '' at the end of the file."""
        while True:
            end = _WHITESPACE.match(self.buf, self.pos)
            self.pos = end.end() if end else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill(1):
                return ""

    def value(self) -> Any:
        tried = 0
        while True:
            available = len(self.buf) - self.pos
            if self.eof or available >= 2 * tried:
                try:
                    value, end = self.decoder.raw_decode(self.buf, self.pos)
                    if end - self.pos > self.limit:
                        raise self.too_long()
                    if end < len(self.buf) or self.eof:
                        self.pos = end
                        return value
                except (_ConstantError, RecursionError) as exc:
                    raise ParseError(
                        self.line_at(self.pos),
                        f"not valid JSON: {exc!r}",
                        value=self.buf[self.pos : self.pos + 80],
                        expected="a JSON array of objects",
                    ) from exc
                except json.JSONDecodeError as exc:
                    if self.eof or self._is_real_error(exc):
                        raise ParseError(
                            self.line_at(exc.pos),
                            f"malformed JSON: {exc.msg}",
                            value=self.buf[exc.pos : exc.pos + 80],
                            expected="a JSON array of objects",
                        ) from exc
                tried = available
            if available > self.limit:
                raise self.too_long()
            self.fill(max(available, CHUNK_BYTES))

    def too_long(self) -> ParseError:
        return ParseError(
            self.line_at(self.pos),
            f"an array element is longer than {self.limit} characters",
            expected=f"elements of at most {self.limit} characters",
        )

    def _is_real_error(self, exc: json.JSONDecodeError) -> bool:
        """An error well before the end of the buffer is not caused by a cut element."""
        return exc.pos < len(self.buf) - 8 and not exc.msg.startswith("Unterminated string")

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            raise ParseError(
                self.line_at(self.pos),
                f"expected {what}",
                value=self.buf[self.pos : self.pos + 80] or "end of file",
                expected="a JSON array of objects",
            )
        self.pos += 1


def parse_json(source: ByteSource, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Entry]:
    """A top-level array of objects, yielded element by element as the bytes arrive."""
    reader = _JsonArrayReader(iter_chunks(source), max_record_bytes)
    try:
        reader.expect("[", "'[' opening a top-level array")
        if reader.peek() == "]":
            reader.pos += 1
        else:
            yield from _json_elements(reader)
        if reader.peek() != "":
            raise ParseError(
                reader.line_at(reader.pos),
                "unexpected data after the array",
                value=reader.buf[reader.pos : reader.pos + 80],
                expected="nothing after the closing ']'",
            )
    except UnicodeDecodeError as exc:
        raise ParseError(
            reader.line_at(reader.pos), "the file is not valid UTF-8", expected="UTF-8 text"
        ) from exc


def _json_elements(reader: _JsonArrayReader) -> Iterator[Entry]:
    while True:
        reader.peek()
        line = reader.line_at(reader.pos)
        yield line, reader.value()
        if reader.peek() == "]":
            reader.pos += 1
            return
        reader.expect(",", "',' or ']' after an array element")


# --- CSV -----------------------------------------------------------------------------------


class _ChunkStream(io.RawIOBase):
    """A readable raw stream over byte chunks, so `io.TextIOWrapper` can decode them."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.rest:
            self.rest = next(self.chunks, b"")
            if not self.rest:
                return 0
        size = min(len(buffer), len(self.rest))
        buffer[:size] = self.rest[:size]
        self.rest = self.rest[size:]
        return size


@dataclass(frozen=True, slots=True)
class _Column:
    kind: Literal["external_id", "priority", "meta", "extra", "field"]
    key: str


def _csv_columns(header: list[str]) -> list[_Column]:
    names = [name.strip() for name in header]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ParseError(
            1, "the header names a column twice", value=duplicated, expected="each column name once"
        )
    columns = []
    for name in names:
        if not name or name == "meta.":
            raise ParseError(
                1,
                "the header has an empty column name",
                value=header,
                expected="a name for every column",
            )
        if name in ("external_id", "priority"):
            columns.append(_Column(name, name))  # type: ignore[arg-type]
        elif name in ("gold", "suggestions"):
            columns.append(_Column("extra", name))
        elif name.startswith("meta."):
            columns.append(_Column("meta", name[5:]))
        else:
            columns.append(_Column("field", name))
    return columns


def _csv_record(line: int, columns: list[_Column], row: list[str]) -> Entry:
    fields: dict[str, str] = {}
    meta: dict[str, str] = {}
    record: dict[str, Any] = {"fields": fields}
    for column, value in zip(columns, row, strict=True):
        if column.kind == "field":
            fields[column.key] = value
        elif column.kind == "meta":
            meta[column.key] = value
        elif column.kind == "external_id":
            if value:
                record["external_id"] = value
        elif column.kind == "extra":
            if value.strip():
                record[column.key] = value
        elif value.strip():
            try:
                record["priority"] = int(value)
            except ValueError:
                return RowError(line, "priority", value, "an integer", "priority is not an integer")
    if meta:
        record["meta"] = meta
    return line, record


def parse_csv(source: ByteSource, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Entry]:
    """A header row, then one item a row: `external_id`, `priority` and `meta.<key>` columns
    go to those, `gold` and `suggestions` hold JSON; every other column is a text field."""
    raw = io.BufferedReader(_ChunkStream(iter_chunks(source)), CHUNK_BYTES)
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = _csv_columns(header)
        last_line = reader.line_num
        for row in reader:
            line, last_line = last_line + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(columns):
                yield RowError(
                    line,
                    "columns",
                    len(row),
                    f"{len(columns)} columns, as the header",
                    "the row has a different number of columns than the header",
                )
                continue
            yield _csv_record(line, columns, row)
    except csv.Error as exc:
        raise ParseError(
            reader.line_num,
            f"malformed CSV: {exc}",
            expected="CSV with a header row and quoted fields closed",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ParseError(
            reader.line_num + 1, "the file is not valid UTF-8", expected="UTF-8 text"
        ) from exc


# --- Parquet -------------------------------------------------------------------------------


def parse_parquet(source: ByteSource, batch_rows: int = PARQUET_BATCH_ROWS) -> Iterator[Entry]:
    """Each row as a record (columns are its keys, structs and lists become objects and
    lists), read a batch at a time so memory holds one batch, never the file. The stream
    is closed once read; one that cannot seek is first copied to a temporary file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    handle = _seekable(source)
    row = 1
    try:
        try:
            # pre_buffer would read every row group's pages before the first batch.
            parquet = pq.ParquetFile(handle, pre_buffer=False)
        except (pa.ArrowException, OSError) as exc:
            raise ParseError(
                None, f"not a Parquet file: {exc}", expected="a Parquet file"
            ) from None
        for records in _batches(parquet.iter_batches(batch_size=max(1, batch_rows)), row):
            for record in records:
                yield row, record
                row += 1
    finally:
        handle.close()


def parquet_rows(path: str | os.PathLike[str]) -> int | None:
    """The row count a Parquet file's footer gives, for a progress bar; None when the file is
    not readable as Parquet (the import then says why)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows: int = pq.read_metadata(path).num_rows
    except (pa.ArrowException, OSError):
        return None
    return rows


def _batches(batches: Iterator[Any], first_row: int) -> Iterator[list[dict[str, Any]]]:
    """Each batch's rows, a broken batch (a corrupt page, text that is not UTF-8) as a
    ParseError naming the first row it holds."""
    import pyarrow as pa

    while True:
        try:
            records: list[dict[str, Any]] = next(batches).to_pylist()
        except StopIteration:
            return
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            raise ParseError(
                first_row,
                f"the Parquet file cannot be read from here: {exc}",
                expected="a complete Parquet file with UTF-8 text",
            ) from None
        yield records
        first_row += len(records)


def _seekable(source: ByteSource) -> BinaryIO:
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        return source  # type: ignore[return-value]
    copy = tempfile.TemporaryFile()  # noqa: SIM115 (closed by parse_parquet)
    try:
        read = getattr(source, "read", None)
        chunks: Iterable[bytes] = iter(partial(read, CHUNK_BYTES), b"") if read else source
        for chunk in chunks:
            copy.write(chunk)
        copy.seek(0)
    except BaseException:
        copy.close()
        raise
    return copy
