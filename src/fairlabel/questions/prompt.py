"""Write a prompt to a brief (category, difficulty, language), warned of near-duplicates among
the project's earlier prompts; in red-team mode the worker tries to make a model misbehave,
the model answers live, and the worker marks whether the attempt succeeded and its harm.

The brief's dimensions are each either chosen by the worker from the question's list or
fixed by the item (`fields.brief`: {"category", "difficulty", "language", "instructions"},
each optional). The worker sends {"prompt", "category", "difficulty", "language"} (a
dimension the question does not ask is left out or null) and, in red-team mode, also
{"succeeded": bool, "harm_category", "notes" (optional), "response" (optional: what the page
showed, checked)}. At submit the platform completes it (fairlabel.prompts):

    {"prompt": "...", "category": "coding" | null, "difficulty": ..., "language": ...,
     "nearest": {"prompt": "...", "similarity": 0.93, "annotation_id": 12} | null,
     "duplicate": true,          # similarity >= the question's duplicate_threshold
     # red-team mode only:
     "succeeded": true, "harm_category": "violence", "notes": "..." | null,
     "response": "...",          # the stored turn's answer, never the page's word for it
     "live": {"prompt": [{"role", "content"}, ...],  # the messages sent to the model
              "candidates": [{"id": "c1", "endpoint_id", "endpoint", "model", "sampling",
                              "text", "finish_reason"}],
              "wait_ms": 812.5}}     # counted as task time (chat.service.waited_ms)

The harm category is asked whether or not the attempt succeeded: it is the harm the attempt
aimed at, and where it succeeded the harm the model's answer shows. Near-duplicates are
warnings: a worker may submit a prompt close to an earlier one, and the answer records how
close so that a client can filter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, field_validator

from fairlabel.llm.schemas import SamplingParams
from fairlabel.questions.base import (
    LiveGeneration,
    QuestionSettings,
    QuestionType,
    RecordShape,
    StoredTurn,
    candidate_ids,
    check_labels,
    expect_str,
    fail,
    generated_turn,
    item_path,
    live_record,
    one_of,
    same,
)
from fairlabel.questions.registry import register
from fairlabel.questions.rewrite import collapsed
from fairlabel.questions.text import LengthLimits

DIMENSIONS = ("category", "difficulty", "language")
"""The brief's dimensions, each a setting listing its choices (in the plural) and an answer key."""
_CHOICES = {"category": "categories", "difficulty": "difficulties", "language": "languages"}
_BRIEF = RecordShape((), (*DIMENSIONS, "instructions"))
_PLAIN = RecordShape(("prompt",), DIMENSIONS)
_RED_TEAM = RecordShape(
    ("prompt", "succeeded", "harm_category"), (*DIMENSIONS, "notes", "response")
)
#: The one candidate of a red-team turn.
RESPONSE_ID = "c1"
MAX_NOTES = 4000


class RedTeamSettings(QuestionSettings):
    endpoints: list[int] = Field(min_length=1, max_length=1)
    """The organization's model endpoint that answers (one candidate, regenerated on
    request); a list, as the chat question's, so that settings read alike."""
    harm_categories: list[str]
    sampling: SamplingParams = SamplingParams()
    field: str = Field(default="messages", min_length=1)
    """An item field of chat messages (a system prompt, a conversation) that the worker's
    prompt follows; an item without it sends the prompt alone."""

    @field_validator("harm_categories")
    @classmethod
    def _harms_usable(cls, values: list[str]) -> list[str]:
        check_labels(values)
        return values


class PromptSettings(LengthLimits):
    categories: list[str] = Field(default_factory=list)
    difficulties: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    min_length: int = Field(default=10, ge=1)
    max_length: int = Field(default=4000, ge=1, le=100_000)
    brief_field: str = Field(default="brief", min_length=1)
    duplicate_threshold: float = Field(default=0.85, gt=0, le=1)
    """Similarity (0 to 1, rapidfuzz's token sort ratio) from which an earlier prompt is
    shown as a near-duplicate and the answer is marked `duplicate`."""
    red_team: RedTeamSettings | None = None

    @field_validator("categories", "difficulties", "languages")
    @classmethod
    def _choices_usable(cls, values: list[str]) -> list[str]:
        """An empty list: the question does not ask that dimension (or the item fixes it)."""
        if values:
            check_labels(values)
        return values

    def choices(self, dimension: str) -> list[str]:
        values: list[str] = getattr(self, _CHOICES[dimension])
        return values


@register
class PromptQuestion(QuestionType[PromptSettings]):
    name = "prompt"
    settings_model = PromptSettings
    answer_kind = "prompt"

    def validate_answer(
        self, settings: PromptSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> dict[str, Any]:
        shape = _PLAIN if settings.red_team is None else _RED_TEAM
        if settings.red_team is None and isinstance(answer, dict):
            _no_red_team_keys(answer, path)
        given = shape.check(answer, path)
        fixed = item_brief(settings, fields)
        result: dict[str, Any] = {
            "prompt": prompt_text(settings, given["prompt"], f"{path}.prompt")
        }
        for dimension in DIMENSIONS:
            result[dimension] = _dimension(settings, fixed, given, dimension, path)
        if settings.red_team is not None:
            result |= _red_team_marks(settings.red_team, given, path)
        return result

    def score(self, settings: PromptSettings, answer: Any, expected: Any) -> float:
        """Red team: whether it succeeded and its harm, half each (the prompts themselves
        differ by design); otherwise the share of the brief's dimensions that match."""
        if settings.red_team is not None:
            keys: Sequence[str] = ("succeeded", "harm_category")
        else:
            keys = [d for d in DIMENSIONS if expected.get(d) is not None]
        if not keys:
            return same(collapsed(answer["prompt"]), collapsed(expected["prompt"]))
        return sum(answer.get(k) == expected.get(k) for k in keys) / len(keys)

    def content_risk(self, settings: PromptSettings) -> str | None:
        if settings.red_team is None:
            return None
        return "its red-team mode asks workers to make a model produce harmful content"

    def live(self, settings: PromptSettings) -> LiveGeneration | None:
        red_team = settings.red_team
        if red_team is None:
            return None
        return LiveGeneration(
            endpoints=tuple(red_team.endpoints),
            ids=candidate_ids(1),
            sampling=red_team.sampling,
            field=red_team.field,
            max_turns=1,
            worker_message=True,
            max_message_length=settings.max_length,
        )

    def resolve_live(
        self,
        settings: PromptSettings,
        turns: Sequence[StoredTurn],
        answer: dict[str, Any],
        path: str,
    ) -> dict[str, Any]:
        """The response is the stored turn's, generated from exactly this prompt."""
        turn = generated_turn(turns, candidate_ids(1), f"{path}.response")
        if turn.user_message != answer["prompt"]:
            fail(
                f"{path}.prompt",
                answer["prompt"][:80],
                "the prompt the model answered (the prompt changed since: generate again)",
            )
        candidate = turn.candidates[0]
        shown = answer.get("response")
        if shown is not None and shown != candidate["text"]:
            fail(
                f"{path}.response",
                shown[:80],
                "the answer the platform generated for this prompt, with its text",
            )
        return {
            **answer,
            "response": candidate["text"],
            "live": live_record(turn),
        }


def _no_red_team_keys(answer: Mapping[str, Any], path: str) -> None:
    for key in ("succeeded", "harm_category", "notes", "response"):
        if key in answer:
            fail(f"{path}.{key}", answer[key], "no such key (the question has no red-team mode)")


def prompt_text(settings: PromptSettings, value: Any, path: str) -> str:
    """The worker's prompt: non-blank, within the question's length limits."""
    text = expect_str(value, path)
    if not text.strip():
        fail(path, text, "a non-blank prompt")
    if not settings.min_length <= len(text) <= settings.max_length:
        fail(
            path,
            f"{len(text)} characters",
            f"between {settings.min_length} and {settings.max_length} characters",
        )
    return text


def item_brief(settings: PromptSettings, fields: Mapping[str, Any]) -> dict[str, Any]:
    """What the item's brief fixes; each fixed value must be one the question lists, if it
    lists any (a data error, named at the item's field)."""
    where = item_path(settings.brief_field)
    brief = fields.get(settings.brief_field)
    if brief is None:
        return {}
    found = _BRIEF.check(brief, where)
    for dimension in DIMENSIONS:
        value = found.get(dimension)
        if value is None:
            continue
        choices = settings.choices(dimension)
        if not isinstance(value, str) or (choices and value not in choices):
            fail(f"{where}.{dimension}", value, one_of(choices) if choices else "a string")
    if not isinstance(found.get("instructions", ""), str):
        fail(f"{where}.instructions", found["instructions"], "a string (Markdown)")
    return found


def _dimension(
    settings: PromptSettings,
    fixed: Mapping[str, Any],
    given: Mapping[str, Any],
    dimension: str,
    path: str,
) -> str | None:
    """The item's value where it fixes one (a different answer is refused), else the
    worker's choice from the question's list; null where neither asks for one."""
    where = f"{path}.{dimension}"
    value = given.get(dimension)
    if fixed.get(dimension) is not None:
        if value is not None and value != fixed[dimension]:
            fail(where, value, f"{fixed[dimension]!r} (the item's brief fixes the {dimension})")
        return str(fixed[dimension])
    choices = settings.choices(dimension)
    if not choices:
        if value is not None:
            fail(where, value, f"no {dimension} (the question does not ask for one)")
        return None
    if value is None:
        fail(where, None, one_of(choices, f"a {dimension}, one of"))
    if not isinstance(value, str) or value not in choices:
        fail(where, value, one_of(choices))
    return value


def _red_team_marks(
    red_team: RedTeamSettings, given: Mapping[str, Any], path: str
) -> dict[str, Any]:
    succeeded = given["succeeded"]
    if not isinstance(succeeded, bool):
        fail(f"{path}.succeeded", succeeded, "true or false (did the model misbehave?)")
    harm = given["harm_category"]
    if not isinstance(harm, str) or harm not in red_team.harm_categories:
        fail(f"{path}.harm_category", harm, one_of(red_team.harm_categories))
    notes = given.get("notes")
    if notes is not None:
        notes = expect_str(notes, f"{path}.notes")
        if len(notes) > MAX_NOTES:
            fail(f"{path}.notes", f"{len(notes)} characters", f"at most {MAX_NOTES} characters")
        notes = notes if notes.strip() else None
    response = given.get("response")
    if response is not None:
        response = expect_str(response, f"{path}.response")
    return {
        "succeeded": succeeded,
        "harm_category": harm,
        "notes": notes,
        "response": response,
    }
