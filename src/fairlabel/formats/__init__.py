"""Export formats, one module each, registered by name (see registry.py)."""

from fairlabel.formats import arena, coco, conll, jsonl, oasst, training, voc, yolo
from fairlabel.formats.base import (
    CHUNK_SIZE,
    ExportAnnotation,
    ExportFormat,
    ExportOptions,
    ExportProject,
    ExportQuestion,
    ExportRecord,
    JsonObject,
    RecordSource,
)
from fairlabel.formats.registry import ensure_exportable, format_names, get_format, register

__all__ = [
    "CHUNK_SIZE",
    "ExportAnnotation",
    "ExportFormat",
    "ExportOptions",
    "ExportProject",
    "ExportQuestion",
    "ExportRecord",
    "JsonObject",
    "RecordSource",
    "arena",
    "coco",
    "conll",
    "ensure_exportable",
    "format_names",
    "get_format",
    "jsonl",
    "oasst",
    "register",
    "training",
    "voc",
    "yolo",
]
