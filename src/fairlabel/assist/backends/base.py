"""The small contract every model backend keeps, so a batch job can run any of them alike.

A backend says which question types and item fields it serves, turns a batch of items into
predictions with scores, and may learn from accepted annotations. It never stores anything:
the caller checks each prediction like a worker's answer before it becomes a suggestion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fairlabel.models import Project


class BackendFailed(Exception):
    """A backend is down, slow or answered something unusable; the batch is reported and
    retried, the worker's queue is never held up by it."""


@dataclass(frozen=True)
class BackendQuestion:
    """What a backend needs to know of a question: its name, type and settings."""

    name: str
    type: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendItem:
    id: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class Prediction:
    """One proposed answer for one (item, question), with the model's confidence in [0, 1]."""

    item_id: int
    question: str
    answer: Any
    score: float | None = None


class Backend:
    """Base class of the backends in this package; subclasses register with `register`."""

    name: ClassVar[str]
    question_types: ClassVar[frozenset[str]]
    item_fields: ClassVar[tuple[str, ...]] = ()
    #: Items per `predict` call: sized for the model behind the backend.
    batch_size: ClassVar[int] = 32

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options

    @classmethod
    def for_job(cls, db: Session, project: Project, options: dict[str, Any]) -> Backend:
        """The backend a job runs from its JSON options (a subclass resolves references)."""
        return cls(options)

    def serves(self, question: BackendQuestion) -> bool:
        return question.type in self.question_types

    def predict(
        self, questions: Sequence[BackendQuestion], items: Sequence[BackendItem]
    ) -> list[Prediction]:
        raise NotImplementedError

    def train(self, questions: Sequence[BackendQuestion], annotations: Sequence[Any]) -> None:
        """Learn from accepted annotations; a backend that cannot learn ignores them."""
