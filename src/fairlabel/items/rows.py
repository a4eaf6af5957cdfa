"""Validating one parsed import row, cheaply: this runs a million times per import, so it
checks shapes with `type() is`; serialising is the writer's `encode_row`."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from fairlabel.items import conversations
from fairlabel.items.parsing import RowError

MAX_EXTERNAL_ID = 512
MIN_PRIORITY, MAX_PRIORITY = -(2**31), 2**31 - 1
RESERVED_KEYS = frozenset({"external_id", "fields", "meta", "priority"})

PreparedRow = tuple[str, dict[str, Any], dict[str, Any], int]
"""external_id, fields, meta, priority: the shape the batch writers serialise."""

_MISSING = object()
_NO_META: dict[str, Any] = {}  # shared and never mutated


def prepare_row(line: int, record: Any) -> PreparedRow | RowError:
    """Check one record's shape; a record without `fields` takes all its keys but
    external_id, meta and priority as its fields. A conversation (OpenAI `messages` or
    ShareGPT `conversations`) is checked and stored as `messages`."""
    if type(record) is not dict:
        return RowError(line, "row", record, "a JSON object", "the row is not an object")
    fields = record.get("fields", _MISSING)
    if fields is _MISSING:
        fields = {key: value for key, value in record.items() if key not in RESERVED_KEYS}
    else:
        for key in record:
            if key not in RESERVED_KEYS:
                return RowError(
                    line,
                    key,
                    record[key],
                    "only external_id, meta and priority beside fields",
                    "unknown key beside 'fields'",
                )
    if type(fields) is not dict or not fields:
        return RowError(
            line, "fields", fields, "an object with at least one field", "the row has no fields"
        )
    if conversations.has_conversation(fields):
        fields = conversations.normalise(line, fields)
        if type(fields) is RowError:
            return fields
    meta = record.get("meta")
    if meta is None:
        meta = _NO_META
    elif type(meta) is not dict:
        return RowError(line, "meta", meta, "an object", "meta is not an object")
    priority = record.get("priority")
    if priority is None:
        priority = 0
    elif type(priority) is not int or not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        return RowError(
            line,
            "priority",
            priority,
            "an integer within 32 bits",
            "priority is not a 32-bit integer",
        )
    external_id = record.get("external_id")
    if external_id is None:
        external_id = derived_external_id(fields)
        if external_id is None:
            return unstorable(line, (external_id, fields, meta, priority)) or RowError(
                line, "fields", fields, "JSON values", "the fields cannot be serialised"
            )
    elif (
        type(external_id) is not str
        or not 0 < len(external_id) <= MAX_EXTERNAL_ID
        or "\x00" in external_id
    ):
        return RowError(
            line,
            "external_id",
            external_id,
            f"a non-empty string of at most {MAX_EXTERNAL_ID} characters, without NUL",
            "invalid external_id",
        )
    return external_id, fields, meta, priority


def derived_external_id(fields: dict[str, Any]) -> str | None:
    """The SHA-1 of the canonical fields: stable across re-imports of the same content, so
    they upsert instead of duplicating. None when the fields are not serialisable."""
    try:
        canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return "sha1:" + hashlib.sha1(canonical, usedforsecurity=False).hexdigest()


def unstorable(line: int, row: tuple[Any, dict[str, Any], dict[str, Any], int]) -> RowError | None:
    """Why a row cannot be stored the same way on SQLite and PostgreSQL, if it cannot: an
    integer beyond 64 bits, a lone surrogate, or a NUL character (PostgreSQL refuses it)."""
    for name, value in (("fields", row[1]), ("meta", row[2])):
        try:
            data = orjson.dumps(value)
        except TypeError as exc:
            return RowError(
                line, name, value, "JSON values (integers within 64 bits, UTF-8 text)", str(exc)
            )
        if b"\\u0000" in data and _holds_nul(value):
            return RowError(
                line,
                name,
                value,
                "text without NUL characters",
                "PostgreSQL cannot store a NUL character",
            )
    return None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False
