"""Where question types are registered and looked up by the name a project stores."""

from __future__ import annotations

from typing import Any, TypeVar

from fairlabel.questions.base import QuestionType, fail

_TYPES: dict[str, QuestionType[Any]] = {}

T = TypeVar("T", bound=type[QuestionType[Any]])


def register(cls: T) -> T:
    """Class decorator: one shared instance per type, since types hold no per-project state."""
    name = cls.name
    if name in _TYPES:
        raise RuntimeError(f"question type {name!r} is registered twice")
    _TYPES[name] = cls()
    return cls


def get_question_type(name: Any) -> QuestionType[Any]:
    """The registered type called `name`; an unknown name lists the ones that exist."""
    found = _TYPES.get(name) if isinstance(name, str) else None
    if found is None:
        fail("type", name, "one of: " + ", ".join(_TYPES))
    return found


def question_type_names() -> list[str]:
    """Registered names in registration order (the order the product documents them)."""
    return list(_TYPES)
