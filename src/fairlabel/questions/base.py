"""The small base class every question type extends, and the checks several types share.

Answers are checked with plain Python rather than pydantic models: they are validated on
every submit and in bulk imports, and plain checks are several times faster. Settings are
parsed once per project, so they use pydantic for its declarative rules.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Generic, Literal, NoReturn, Protocol, Self, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fairlabel.errors import ValidationFailed
from fairlabel.llm.schemas import SamplingParams

AnswerKind = Literal[
    "categorical",
    "categorical_set",
    "ordinal",
    "free_text",
    "spans",
    "boxes",
    "polygons",
    "ranking",
    "pairwise",
    "rubric",
    "rewrite",
    "chat",
    "prompt",
]

#: Slack for float rounding when a shape touches the image edge (x + width == W).
EDGE_TOLERANCE = 1e-6

#: How many allowed values an error lists before it summarises the rest.
_LISTED_VALUES = 20

S = TypeVar("S", bound=BaseModel)


# --- failures -------------------------------------------------------------------------


def fail(field: str, value: Any, expected: str, message: str | None = None) -> NoReturn:
    """Raise the one error shape clients see: field path, offending value, what was expected."""
    if message is None:
        message = f"{field}: expected {expected}, got {_describe(value)}"
    raise ValidationFailed(message, field=field, value=value, expected=expected)


def _describe(value: Any) -> str:
    """Keep messages readable when the offending value is large."""
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "…"


def one_of(values: Iterable[Any], prefix: str = "one of") -> str:
    """List the allowed values in an error, summarising long lists."""
    listed = list(values)
    shown = ", ".join(str(v) for v in listed[:_LISTED_VALUES])
    if len(listed) > _LISTED_VALUES:
        shown += f", … ({len(listed)} in all)"
    return f"{prefix}: {shown}"


# --- settings ---------------------------------------------------------------------------


class SettingsError(ValueError):
    """Raised in settings validators so the error can point below the field being checked."""

    def __init__(self, expected: str, value: Any, *loc: str | int) -> None:
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.loc = loc


class QuestionSettings(BaseModel):
    """Strict and closed: a typo in a project definition is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LabelSettings(QuestionSettings):
    """Settings of every type whose answers carry a label from a fixed list."""

    labels: list[str]

    @field_validator("labels")
    @classmethod
    def _labels_usable(cls, labels: list[str]) -> list[str]:
        check_labels(labels)
        return labels

    @cached_property
    def label_set(self) -> frozenset[str]:
        """Membership tests on the hot path, built once per parsed settings object."""
        return frozenset(self.labels)


class SamplingSettings(QuestionSettings):
    """Settings of the types that ask the project's model endpoints for candidates."""

    sampling: dict[str, Any] = Field(default_factory=dict)
    """Overrides of the endpoints' own sampling parameters (temperature, top_p, max_tokens,
    seed, stop); with a seed, candidate i is sampled with seed + i."""

    @model_validator(mode="after")
    def _sampling_valid(self) -> Self:
        try:
            SamplingParams.model_validate(self.sampling)
        except ValueError as error:
            raise SettingsError(
                "sampling parameters: temperature, top_p, max_tokens, seed, stop",
                self.sampling,
                "sampling",
            ) from error
        return self

    @property
    def sampling_params(self) -> SamplingParams:
        return SamplingParams.model_validate(self.sampling)


class LiveCandidates(SamplingSettings):
    """Candidates generated live from the organization's model endpoints for each worker,
    instead of read from the item."""

    endpoints: list[int] = Field(min_length=1, max_length=8)
    """Candidate i comes from endpoint i mod len(endpoints): one endpoint listed once with
    candidates 3 gives 3 samples of it."""
    candidates: int = Field(default=2, ge=2, le=8)
    field: str = Field(default="messages", min_length=1)
    """The item field the prompt is: chat messages ending with a user turn, or a text."""

    def generation(self, ids: tuple[str, ...]) -> LiveGeneration:
        return LiveGeneration(
            endpoints=tuple(self.endpoints),
            ids=ids,
            sampling=self.sampling_params,
            field=self.field,
        )


class CandidateSettings(QuestionSettings):
    """Settings of every type that compares candidate responses: those in one item field,
    or, with `live`, those the project's endpoints generate while the worker answers."""

    field: str = Field(default="responses", min_length=1)
    live: LiveCandidates | None = None


def check_labels(labels: Sequence[str]) -> None:
    """A label list must be usable as answer choices: non-empty, non-blank, unique."""
    if not labels:
        raise SettingsError("a non-empty list of labels", list(labels))
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        if not label.strip():
            raise SettingsError("a non-blank label", label, index)
        if label in seen:
            expected = f"unique labels ({label!r} is also labels[{seen[label]}])"
            raise SettingsError(expected, label, index)
        seen[label] = index


def settings_failure(exc: ValidationError, prefix: str, model: type[BaseModel]) -> ValidationFailed:
    """Turn pydantic's error list into ours, so no pydantic detail reaches a client."""
    details = [_settings_detail(error, prefix, model) for error in exc.errors(include_url=False)]
    first = details[0]
    message = f"{first['field']}: expected {first['expected']}, got {_describe(first['value'])}"
    return ValidationFailed(
        message,
        field=first["field"],
        value=first["value"],
        expected=first["expected"],
        details=details if len(details) > 1 else None,
    )


def _settings_detail(error: Any, prefix: str, model: type[BaseModel]) -> dict[str, Any]:
    """One pydantic error as field, value and expected."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    value = error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    kind = error["type"]
    if isinstance(cause, SettingsError):
        loc, value, expected = loc + cause.loc, cause.value, cause.expected
    elif kind == "extra_forbidden":
        expected = one_of(model.model_fields, "one of the settings")
    elif kind == "missing":
        expected = "a value (this setting is required)"
        value = None
    else:
        expected = _expected_from_message(error["msg"])
    return {"field": prefix + _loc_path(loc), "value": value, "expected": expected}


def _expected_from_message(message: str) -> str:
    """Pydantic says 'Input should be a valid integer'; we say 'a valid integer'."""
    for lead in ("Input should be ", "Value error, "):
        if message.startswith(lead):
            return message[len(lead) :]
    return message


def _loc_path(loc: Iterable[str | int]) -> str:
    """('labels', 2) -> '.labels[2]'."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


# --- live generation --------------------------------------------------------------------


@dataclass(frozen=True)
class LiveGeneration:
    """What a question asks of the project's model endpoints while the worker answers:
    fairlabel.chat streams the candidates, stores each turn, and the submitted answer is
    checked against the stored turns (`QuestionType.resolve_live`), so no candidate is forged."""

    endpoints: tuple[int, ...]
    """Candidate i comes from endpoint i mod len(endpoints)."""
    ids: tuple[str, ...]
    """One id per candidate, as the answer names them."""
    sampling: SamplingParams
    """Overrides of the endpoints' own sampling; with a seed, candidate i gets seed + i."""
    field: str
    """The item field the prompt starts from: chat messages, or a text (one user turn)."""
    max_turns: int = 1
    worker_message: bool = False
    """Whether the worker writes the user message (else the prompt is the item's alone)."""
    max_message_length: int = 8000
    allow_rewrite: bool = False


class StoredTurn(Protocol):
    """A generated turn as stored (fairlabel.models.ChatTurn), read by `resolve_live`."""

    turn: int
    user_message: str | None
    prompt: list[dict[str, str]]
    candidates: list[dict[str, Any]]
    wait_ms: float


def candidate_ids(count: int) -> tuple[str, ...]:
    return tuple(f"c{i + 1}" for i in range(count))


def shown_candidates(value: Any, path: str) -> list[dict[str, str]]:
    """What the page says it showed of the live candidates: [{id, text}], checked against
    the stored turn by `check_shown`."""
    return [
        _shown(candidate, f"{path}[{index}]")
        for index, candidate in enumerate(expect_list(value, path))
    ]


def _shown(value: Any, path: str) -> dict[str, str]:
    candidate = _SHOWN_SHAPE.check(value, path)
    return {
        "id": expect_str(candidate["id"], f"{path}.id"),
        "text": expect_str(candidate["text"], f"{path}.text"),
    }


def check_shown(shown: Sequence[dict[str, str]], stored: StoredTurn, path: str) -> dict[str, str]:
    """The stored candidates' texts by id, after checking that every candidate the page
    says it showed is one of them, with its text (a worker cannot forge a candidate)."""
    texts = {c["id"]: c["text"] for c in stored.candidates}
    for k, candidate in enumerate(shown):
        if texts.get(candidate["id"]) != candidate["text"]:
            fail(
                f"{path}.candidates[{k}]",
                candidate["id"],
                f"a candidate the platform generated for turn {stored.turn}, with its text"
                f" ({', '.join(texts)})",
            )
    return texts


def generated_turn(turns: Sequence[StoredTurn], ids: Sequence[str], path: str) -> StoredTurn:
    """The one turn a single-turn live question was answered on, holding the candidates the
    settings name; refused before any generation (or after the settings changed)."""
    if not turns:
        fail(path, None, "an answer after the candidates were generated (generate them first)")
    turn = turns[0]
    made = [c["id"] for c in turn.candidates]
    if made != list(ids):
        fail(path, made, f"candidates {', '.join(ids)} (generate them again)")
    return turn


def live_record(turn: StoredTurn) -> dict[str, Any]:
    """What a live answer stores of its turn: the prompt sent, every candidate with its
    endpoint, model, sampling and text, and the wait (counted as task time)."""
    return {"prompt": turn.prompt, "candidates": turn.candidates, "wait_ms": round(turn.wait_ms, 1)}


# --- the base class ---------------------------------------------------------------------


class QuestionType(ABC, Generic[S]):
    """One kind of question: how its settings look and how an answer to it is checked."""

    name: ClassVar[str]
    settings_model: ClassVar[type[BaseModel]]
    answer_kind: ClassVar[AnswerKind]

    def parse_settings(self, raw: Any, *, question: str | None = None) -> S:
        """Validate settings once per project; errors name `questions[<name>].settings.<path>`."""
        prefix = f"questions[{question or self.name}].settings"
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            fail(prefix, raw, "an object of settings")
        try:
            return cast(S, self.settings_model.model_validate(raw))
        except ValidationError as exc:
            raise settings_failure(exc, prefix, self.settings_model) from None

    @abstractmethod
    def validate_answer(self, settings: S, answer: Any, fields: dict[str, Any], path: str) -> Any:
        """Return the normalised JSON-able answer, or raise ValidationFailed under `path`."""

    @abstractmethod
    def score(self, settings: S, answer: Any, expected: Any) -> float:
        """How well a validated answer agrees with a known one, from 0 to 1: gold accuracy
        sums these, so partial credit (overlap, IoU, rank correlation) counts as a fraction."""

    def live(self, settings: S) -> LiveGeneration | None:
        """The generation these settings ask for while the worker answers; None: the
        question's candidates, if any, are the item's own."""
        return None

    def resolve_live(self, settings: S, turns: Sequence[StoredTurn], answer: Any, path: str) -> Any:
        """A validated answer to a live question, checked against the turns the platform
        generated for this assignment and completed from them (prompt, candidates)."""
        return answer

    def content_risk(self, settings: S) -> str | None:
        """Why a question with these settings exposes workers to harmful content whatever its
        items hold (its project must then declare a content risk), or None."""
        return None

    def __repr__(self) -> str:
        return f"<question type {self.name!r}>"


# --- answer checks shared by several types ----------------------------------------------


def expect_str(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    fail(path, value, "a string")


def expect_list(value: Any, path: str, expected: str = "a list") -> Sequence[Any]:
    """JSON arrays arrive as lists; Python callers may pass tuples. A string is never a list."""
    if isinstance(value, list | tuple):
        return value
    fail(path, value, expected)


def expect_int(value: Any, path: str) -> int:
    """Integers only: True is not 1, and 3.0 is accepted as 3 but 3.5 is rejected."""
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    fail(path, value, "an integer")


def expect_number(value: Any, path: str) -> int | float:
    """A finite JSON number; booleans, NaN and infinities are mistakes, not coordinates."""
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    fail(path, value, "a finite number")


def expect_in_range(value: int, low: int, high: int, path: str) -> int:
    if low <= value <= high:
        return value
    fail(path, value, f"an integer from {low} to {high}")


def expect_label(value: Any, settings: LabelSettings, path: str) -> str:
    if isinstance(value, str) and value in settings.label_set:
        return value
    fail(path, value, one_of(settings.labels))


class RecordShape:
    """The keys an answer object must and may have, checked without building a model."""

    def __init__(self, required: Sequence[str], optional: Sequence[str] = ()) -> None:
        self.required = tuple(required)
        self.allowed = frozenset(required) | frozenset(optional)
        self.expected = "an object with keys " + ", ".join(
            [*required, *(f"{key} (optional)" for key in optional)]
        )

    def check(self, value: Any, path: str) -> dict[str, Any]:
        """Return the object, or name the first missing or unknown key."""
        if not isinstance(value, dict):
            fail(path, value, self.expected)
        for key in self.required:
            if key not in value:
                fail(f"{path}.{key}", None, f"a value ({self.expected})")
        if len(value) > len(self.required):
            for key in value:
                if key not in self.allowed:
                    fail(f"{path}.{key}", value[key], f"no such key ({self.expected})")
        return value


_SHOWN_SHAPE = RecordShape(("id", "text"))


# --- reading the item -------------------------------------------------------------------


def item_path(field: str) -> str:
    """The field path used when the item, not the answer, is unfit for the question."""
    return f"item.fields.{field}"


def item_field(fields: Mapping[str, Any], field: str) -> Any:
    """The item field a question reads; a missing one is a data or project set-up error."""
    try:
        return fields[field]
    except (KeyError, TypeError):
        fail(item_path(field), None, f"the item to have a field {field!r}")


def item_text(fields: Mapping[str, Any], field: str) -> str:
    value = item_field(fields, field)
    if isinstance(value, str):
        return value
    fail(item_path(field), value, "a string (the text that spans point into)")


def image_size(fields: Mapping[str, Any], field: str) -> tuple[float, float] | None:
    """(width, height) of a media object, or None for a bare URL whose size is unknown."""
    value = item_field(fields, field)
    if isinstance(value, str):
        return None
    if isinstance(value, Mapping):
        width, height = _positive_number(value.get("width")), _positive_number(value.get("height"))
        return (width, height) if width is not None and height is not None else None
    fail(item_path(field), value, "an image: a URL string or a media object with width and height")


def _positive_number(value: Any) -> float | None:
    """A usable image dimension, or None when the media object lacks one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number > 0:
            return number
    return None


def candidates(fields: Mapping[str, Any], field: str) -> list[str]:
    """Ids of the responses being compared: a dict's string "id", else the list index."""
    value = item_field(fields, field)
    if not isinstance(value, list | tuple):
        fail(item_path(field), value, "a list of candidates")
    ids = [
        entry["id"] if isinstance(entry, dict) and isinstance(entry.get("id"), str) else str(i)
        for i, entry in enumerate(value)
    ]
    if len(set(ids)) != len(ids):
        fail(item_path(field), ids, "candidates with distinct ids")
    return ids


def expect_coordinate(value: Any, path: str, limit: float | None, edge: str) -> int | float:
    """A pixel coordinate: non-negative and, when the image size is known, inside it."""
    number = expect_number(value, path)
    if number < 0:
        fail(path, value, "a number >= 0 (pixels from the top-left corner)")
    if limit is not None and number > limit + EDGE_TOLERANCE:
        fail(path, value, f"a number <= {format_number(limit)} (the image {edge})")
    return number


def dice(matched: int, left: int, right: int) -> float:
    """F1 of `matched` pairs between two collections: 2m / (|left| + |right|); two empty
    collections agree fully (no boxes where the gold has none is right)."""
    total = left + right
    return 1.0 if total == 0 else 2 * matched / total


def same(answer: Any, expected: Any) -> float:
    """Exact agreement, for the types that have no notion of a near miss."""
    return 1.0 if answer == expected else 0.0


def format_number(number: float) -> str:
    """640.0 -> '640' in messages, since image sizes are usually whole pixels."""
    return str(int(number)) if float(number).is_integer() else str(number)
