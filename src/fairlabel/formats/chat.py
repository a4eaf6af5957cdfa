"""What the training datasets read of an item, as chat messages: the prompt, the candidate
responses being compared, and the response being rated or rewritten.

The prompt is the item's conversation (`fields.messages`, see items.conversations), or a
`prompt` text field as one user message. Where the item's response is the conversation's
last assistant message (a rewrite of it, a rubric without a `response` field), the prompt is
the conversation before that message. Messages are handed on as stored, every key kept."""

from collections.abc import Mapping, Sequence
from typing import Any

from fairlabel.errors import ValidationFailed
from fairlabel.questions.base import candidates

Message = Mapping[str, Any]
Messages = Sequence[Message]

RESPONSE_FIELD = "response"
"""The rubric's response when the item has one (the rewrite question's default field too)."""
_CANDIDATE_TEXT = ("text", "content", "response")
"""Where a candidate object keeps its text, in the order the workspace looks (lib/fields.ts)."""


def assistant(text: str) -> list[dict[str, Any]]:
    """A completion in TRL's conversational form: one assistant message."""
    return [{"role": "assistant", "content": text}]


def conversation(fields: Mapping[str, Any]) -> Messages | None:
    """The item's messages, checked at import (items.conversations)."""
    messages = fields.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return messages
    return None


def prompt(fields: Mapping[str, Any]) -> Messages | None:
    """The whole conversation, or the `prompt` field as a user message; None without either."""
    messages = conversation(fields)
    if messages is not None:
        return messages
    text = fields.get("prompt")
    if isinstance(text, str) and text.strip():
        return [{"role": "user", "content": text}]
    return None


def last_assistant(messages: Messages) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "assistant":
            return index
    return None


def prompt_before_reply(fields: Mapping[str, Any]) -> tuple[Messages | None, str | None]:
    """(prompt, reply) where the reply is the conversation's last assistant message: the
    conversation before it, and its text. Without such a message, (prompt(fields), None)."""
    messages = conversation(fields)
    at = None if messages is None else last_assistant(messages)
    if messages is None or at is None:
        return prompt(fields), None
    content = messages[at].get("content")
    return (messages[:at] or None), content if isinstance(content, str) else None


def rated(fields: Mapping[str, Any]) -> tuple[Messages | None, str | None]:
    """(prompt, response) of an item that is judged as a whole (a rubric): its `response`
    field after the prompt, else the conversation's last assistant message."""
    response = fields.get(RESPONSE_FIELD)
    if isinstance(response, str):
        return prompt(fields), response
    return prompt_before_reply(fields)


def rewritten(fields: Mapping[str, Any], field: str) -> Messages | None:
    """The prompt of a rewrite: the messages before the rewritten assistant message when the
    question rewrites a conversation's last reply (questions.rewrite), else the item's prompt."""
    messages = fields.get(field)
    if not isinstance(messages, list):
        return prompt(fields)
    at = last_assistant(messages)
    return (messages[:at] or None) if at is not None else None


def awaits_reply(fields: Mapping[str, Any]) -> bool:
    """The item asks for the assistant's next turn: a conversation ending in a user message,
    or a `prompt` without a conversation. A text answer to it is a demonstration (SFT)."""
    messages = conversation(fields)
    if messages is not None:
        return messages[-1].get("role") == "user"
    return prompt(fields) is not None


def candidate_texts(fields: Mapping[str, Any], field: str) -> dict[str, str] | None:
    """Each candidate's id (as the comparison questions name them) and text; None when the
    field is not a list of distinct candidates with text."""
    try:
        ids = candidates(fields, field)
    except ValidationFailed:
        return None
    texts: dict[str, str] = {}
    for candidate_id, entry in zip(ids, fields[field], strict=True):
        text = entry if isinstance(entry, str) else _text_of(entry)
        if text is None:
            return None
        texts[candidate_id] = text
    return texts


def _text_of(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    for key in _CANDIDATE_TEXT:
        value = entry.get(key)
        if isinstance(value, str):
            return value
    return None
