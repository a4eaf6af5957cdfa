"""Model backends: a registry of classes by name, one module per backend (CVAT's format
registry is the model), so a project names its backends in its settings."""

from fairlabel.assist.backends.base import (
    Backend,
    BackendFailed,
    BackendItem,
    BackendQuestion,
    Prediction,
)
from fairlabel.assist.backends.registry import backend_class, backend_names, register

# Imported for their registration.
from fairlabel.assist.backends import labelstudio, llm  # noqa: F401  isort: skip

__all__ = [
    "Backend",
    "BackendFailed",
    "BackendItem",
    "BackendQuestion",
    "Prediction",
    "backend_class",
    "backend_names",
    "register",
]
