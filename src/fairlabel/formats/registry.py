"""The export-format registry: formats register themselves by name, the API looks them up."""

from typing import TypeVar

from fairlabel.errors import ValidationFailed
from fairlabel.formats.base import ExportFormat, ExportProject

F = TypeVar("F", bound=type[ExportFormat])

_FORMATS: dict[str, ExportFormat] = {}


def register(cls: F) -> F:
    """Class decorator; a second format under one name is a programming error."""
    if cls.name in _FORMATS:
        raise ValueError(f"export format {cls.name!r} is already registered")
    _FORMATS[cls.name] = cls()
    return cls


def format_names() -> list[str]:
    return sorted(_FORMATS)


def get_format(name: str) -> ExportFormat:
    try:
        return _FORMATS[name]
    except KeyError:
        raise ValidationFailed(
            f"unknown export format {name!r}",
            field="format",
            value=name,
            expected=f"one of: {', '.join(format_names())}",
        ) from None


def ensure_exportable(fmt: ExportFormat, project: ExportProject) -> None:
    """Call before streaming starts: an error then is a clean 422, not a truncated file."""
    fmt.check_project(project)
