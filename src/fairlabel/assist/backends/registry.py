"""Backend classes by name."""

from typing import TypeVar

from fairlabel.assist.backends.base import Backend
from fairlabel.errors import ValidationFailed

_BACKENDS: dict[str, type[Backend]] = {}

B = TypeVar("B", bound=type[Backend])


def register(cls: B) -> B:
    """Add a backend class under its `name`; two backends may not share one."""
    if cls.name in _BACKENDS:
        raise ValueError(f"backend {cls.name!r} is registered twice")
    _BACKENDS[cls.name] = cls
    return cls


def backend_names() -> list[str]:
    return sorted(_BACKENDS)


def backend_class(name: str) -> type[Backend]:
    """The class of a named backend, or a 422 naming the ones there are."""
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValidationFailed(
            "no such backend",
            field="backend",
            value=name,
            expected="one of: " + ", ".join(backend_names()),
        ) from None
