"""What a judge is asked and how its reply is read: the prompt built from a template and an
item (the two responses in either order, or the one response and the rubric's criteria),
the JSON schema sent as structured output, and a strict reading of the reply.

Strict means the reply is one JSON object and nothing else (no prose, no code fence): a
verdict fished out of free text would be a guess, and a guess must not become a vote. A
reply that is not read is an `Unreadable` with the reason, recorded as such."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.formats.chat import Messages, candidate_texts, prompt, rated
from fairlabel.questions.base import one_of
from fairlabel.questions.pairwise import PairwiseSettings
from fairlabel.questions.rubric import NA, RubricQuestion, RubricSettings

PAIRWISE_TEMPLATE = """\
You are an impartial judge. Compare the two responses below to the same prompt and decide \
which one answers it better: follows the instructions, is correct, helpful and clear. The \
order in which the responses appear, their length and their style must not sway you.
$rubric
<prompt>
$prompt
</prompt>
$reference
<response_a>
$response_a
</response_a>

<response_b>
$response_b
</response_b>

Reply with one JSON object and nothing else: {"verdict": one of $choices, "confidence": a \
number from 0 to 1, "reason": "one sentence"}."""

RUBRIC_TEMPLATE = """\
You are an impartial judge. Score the response below to the prompt on each criterion, on \
the criterion's own scale.
$rubric
Criteria:
$criteria

<prompt>
$prompt
</prompt>
$reference
<response>
$response
</response>

Reply with one JSON object and nothing else: {"scores": {"<criterion>": an integer on its \
scale$na}, "confidence": a number from 0 to 1, "reason": "one sentence"}."""

#: The placeholders a template must hold, per question type.
REQUIRED = {"pairwise": ("prompt", "response_a", "response_b"), "rubric": ("prompt", "response")}
DEFAULT_TEMPLATES = {"pairwise": PAIRWISE_TEMPLATE, "rubric": RUBRIC_TEMPLATE}
SWAP = {"a": "b", "b": "a"}


class Unreadable(FairlabelError):
    """The judge's reply is not the JSON asked for; the message says how."""


@dataclass(frozen=True)
class Reading:
    """A reply read: the answer in the question's shape, in the item's order."""

    answer: dict[str, Any]
    confidence: float | None


def check_template(template: str, question_type: str) -> str:
    """A template that names every placeholder its question type fills; a 422 otherwise."""
    try:
        names = set(Template(template).get_identifiers())
    except ValueError as error:  # a lone "$" followed by something that is not a name
        raise ValidationFailed(
            f"the template has a stray '$': {error}",
            field="template",
            value=template[:200],
            expected="$name placeholders, and $$ for a literal dollar sign",
        ) from None
    missing = [name for name in REQUIRED[question_type] if name not in names]
    if missing:
        raise ValidationFailed(
            f"the template lacks ${missing[0]}",
            field="template",
            value=template[:200],
            expected="a template with " + ", ".join(f"${n}" for n in REQUIRED[question_type]),
        )
    return template


def as_text(messages: Messages) -> str:
    """One user message as its text; a conversation as its turns, each named by role."""
    if len(messages) == 1 and messages[0].get("role") == "user":
        return str(messages[0].get("content") or "")
    return "\n\n".join(f"{m.get('role')}: {m.get('content') or ''}" for m in messages)


def pairwise_inputs(fields: Mapping[str, Any], field: str) -> tuple[str, tuple[str, str]] | None:
    """The prompt and the two responses of a battle item; None when it lacks either."""
    asked = prompt(fields)
    texts = candidate_texts(fields, field)
    if asked is None or texts is None or len(texts) != 2:
        return None
    first, second = texts.values()
    return as_text(asked), (first, second)


def rubric_inputs(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """The prompt and the response of an item a rubric scores; None when it lacks either."""
    asked, response = rated(fields)
    if asked is None or response is None:
        return None
    return as_text(asked), response


def pairwise_prompt(
    template: str,
    rubric: str,
    settings: PairwiseSettings,
    inputs: tuple[str, tuple[str, str]],
    swapped: bool,
    reference: Any = None,
) -> str:
    asked, (first, second) = inputs
    a, b = (second, first) if swapped else (first, second)
    return Template(template).safe_substitute(
        prompt=asked,
        reference=_reference(reference),
        response_a=a,
        response_b=b,
        rubric=_guidance(rubric),
        choices=", ".join(f'"{c}"' for c in settings.choices()),
    )


def rubric_prompt(
    template: str,
    rubric: str,
    settings: RubricSettings,
    inputs: tuple[str, str],
    reference: Any = None,
) -> str:
    asked, response = inputs
    allow_na = any(c.allow_na for c in settings.criteria)
    return Template(template).safe_substitute(
        prompt=asked,
        reference=_reference(reference),
        response=response,
        rubric=_guidance(rubric),
        criteria="\n".join(_criterion_line(c) for c in settings.criteria),
        na=f', or "{NA}" where the criterion allows it' if allow_na else "",
    )


def _reference(text: Any) -> str:
    """The item's reference answer (an eval set's, `fields.reference`) for the judge to
    check correctness against; nothing when the item has none."""
    if not isinstance(text, str) or not text.strip():
        return ""
    return f"\n<reference_answer>\n{text.strip()}\n</reference_answer>\n"


def _guidance(rubric: str) -> str:
    return f"\n{rubric.strip()}\n" if rubric.strip() else ""


def _criterion_line(criterion: Any) -> str:
    """`- name (min to max): label; 1 = anchor, 5 = anchor` (the stand-in reads this form)."""
    anchors = ", ".join(f"{point} = {text}" for point, text in criterion.anchors.items())
    line = f"- {criterion.name} ({criterion.min} to {criterion.max})"
    if criterion.label:
        line += f": {criterion.label}"
    if anchors:
        line += f"; {anchors}"
    if criterion.allow_na:
        line += f'; "{NA}" where it does not apply'
    return line


def pairwise_schema(settings: PairwiseSettings) -> dict[str, Any]:
    return _schema({"verdict": {"type": "string", "enum": list(settings.choices())}})


def rubric_schema(settings: RubricSettings) -> dict[str, Any]:
    scores = {
        c.name: {"type": ["integer", "string"]} if c.allow_na else {"type": "integer"}
        for c in settings.criteria
    }
    return _schema(
        {
            "scores": {
                "type": "object",
                "properties": scores,
                "required": list(scores),
                "additionalProperties": False,
            }
        }
    )


def _schema(answer: dict[str, Any]) -> dict[str, Any]:
    properties = {
        **answer,
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "reason": {"type": "string"},
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def response_format(kind: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The chat-completions `response_format` for the judge's setting (None: ask in words only)."""
    if kind == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": "verdict", "strict": True, "schema": schema},
        }
    if kind == "json_object":
        return {"type": "json_object"}
    return None


def read_pairwise(text: str, settings: PairwiseSettings, swapped: bool) -> Reading:
    """The verdict, put back in the item's order when the responses were shown swapped."""
    reply = _object(text)
    verdict = reply.get("verdict")
    choices = settings.choices()
    if not isinstance(verdict, str) or verdict not in choices:
        raise Unreadable(f"the verdict {verdict!r} is not {one_of(choices)}")
    choice = SWAP.get(verdict, verdict) if swapped else verdict
    return Reading({"choice": choice, "strength": None}, _confidence(reply))


def read_rubric(text: str, settings: RubricSettings, fields: dict[str, Any]) -> Reading:
    """The scores, checked as a worker's rubric answer is (every criterion, on its scale);
    the judge's reason is each criterion's justification where one is taken."""
    reply = _object(text)
    scores = reply.get("scores")
    if not isinstance(scores, dict):
        raise Unreadable('the reply has no "scores" object')
    reason = reply.get("reason")
    answer = {
        name: _scored(score, reason, settings, name)
        for name, score in scores.items()
        if isinstance(name, str)
    }
    try:
        checked = RubricQuestion().validate_answer(settings, answer, fields, "scores")
    except ValidationFailed as error:
        raise Unreadable(f"the scores do not fit the rubric: {error.message}") from None
    return Reading(checked, _confidence(reply))


def _scored(score: Any, reason: Any, settings: RubricSettings, name: str) -> dict[str, Any]:
    takes = [c.justification != "none" for c in settings.criteria if c.name == name]
    if takes and takes[0] and isinstance(reason, str) and reason.strip():
        return {"score": score, "justification": reason}
    return {"score": score}


def _object(text: str) -> dict[str, Any]:
    try:
        reply = json.loads(text)
    except ValueError:
        raise Unreadable(f"the reply is not JSON: {_quoted(text)}") from None
    if not isinstance(reply, dict):
        raise Unreadable(f"the reply is JSON but not an object: {_quoted(text)}")
    return reply


def _confidence(reply: dict[str, Any]) -> float | None:
    value = reply.get("confidence")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise Unreadable(f"the confidence {value!r} is not a number from 0 to 1")
    return float(value)


def _quoted(text: str, limit: int = 80) -> str:
    shown = text.strip()
    return repr(shown if len(shown) <= limit else shown[:limit] + "…")


def messages_for(text: str) -> Sequence[Mapping[str, str]]:
    return ({"role": "user", "content": text},)
