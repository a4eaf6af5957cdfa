"""Conversation items: `fields.messages`, a list of OpenAI-style `{role, content}` messages.

A row carries a conversation in one of two shapes, told apart per row by its key:
`messages` (OpenAI chat: role system, user, assistant or tool) or `conversations` (ShareGPT:
`from` human, gpt, system, function_call, observation... and `value`), which is rewritten to
`messages`. Either way what is stored is one shape, checked here, so that the workspace, the
pages and the exports read a single one:

    {"role": "system" | "user" | "assistant" | "tool", "content": str,
     "name"?: str, "tool_calls"?: [...] (assistant), "tool_call_id"?: str (tool),
     "weight"?: 0 | 1 (assistant, as OpenAI fine-tuning files have it)}

Content is always a string, non-blank, except beside an assistant's tool calls, where it may
be empty. Optional keys that are null are dropped (a Parquet struct column gives every
message every key). The limits are constants, not settings: they bound what a worker's
browser is asked to render for one item, and the record limit already bounds its bytes."""

from __future__ import annotations

from typing import Any

import orjson

from fairlabel.items.parsing import RowError

MAX_MESSAGES = 1_000
MAX_MESSAGE_CHARS = 500_000
MAX_TOOL_CALLS = 128
ROLES = ("system", "user", "assistant", "tool")

SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "function_call": "assistant",
    "observation": "tool",
    "tool": "tool",
    "function_response": "tool",
}
"""ShareGPT speakers as found in the wild (ShareGPT dumps, Vicuna, LLaMA-Factory, axolotl):
`function_call` holds a JSON call, `observation` its result."""

_OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {
    "name": ROLES,
    "tool_calls": ("assistant",),
    "tool_call_id": ("tool",),
    "weight": ("assistant",),
}
_MESSAGE_KEYS = frozenset({"role", "content", *_OPTIONAL_KEYS})
_SHAREGPT_KEYS = frozenset({"from", "value", "weight"})
_ROLE_CHOICES = ", ".join(ROLES)
_SHAREGPT_CHOICES = ", ".join(SHAREGPT_ROLES)


class _Bad(Exception):
    """One problem in a conversation; becomes the row's RowError."""

    def __init__(self, field: str, value: Any, expected: str, message: str) -> None:
        super().__init__(message)
        self.error = (field, value, expected, message)


def has_conversation(fields: dict[str, Any]) -> bool:
    """Cheap enough to ask of every imported row."""
    return "messages" in fields or "conversations" in fields


def normalise(line: int, fields: dict[str, Any]) -> dict[str, Any] | RowError:
    """The fields with a checked `messages` list (a ShareGPT `conversations` list rewritten
    to it, a LLaMA-Factory `system` string beside it put first), or the first problem."""
    try:
        if "messages" in fields and "conversations" in fields:
            raise _Bad(
                "fields.conversations",
                "both 'messages' and 'conversations'",
                "one conversation a row: 'messages' (OpenAI) or 'conversations' (ShareGPT)",
                "the row has two conversations",
            )
        if "messages" in fields:
            return {**fields, "messages": _openai(fields["messages"])}
        return _from_sharegpt(fields)
    except _Bad as bad:
        field, value, expected, message = bad.error
        return RowError(line, field, value, expected, message)


# --- OpenAI messages ----------------------------------------------------------------------


def _openai(messages: Any) -> list[dict[str, Any]]:
    _check_list("fields.messages", messages, "{role, content} objects")
    called: set[str] = set()
    return [_message(f"fields.messages[{i}]", m, called) for i, m in enumerate(messages)]


def _check_list(where: str, value: Any, of: str) -> None:
    if type(value) is not list or not value:
        raise _Bad(where, value, f"a non-empty list of {of}", "the conversation is not a list")
    if len(value) > MAX_MESSAGES:
        raise _Bad(
            where,
            f"{len(value)} messages",
            f"at most {MAX_MESSAGES} messages",
            "the conversation has too many messages",
        )


def _message(where: str, message: Any, called: set[str]) -> dict[str, Any]:
    if type(message) is not dict:
        raise _Bad(where, message, "an object with role and content", "a message is not an object")
    role = message.get("role")
    if role not in ROLES:
        hint = " (ShareGPT turns, with from and value, go in 'conversations')"
        raise _Bad(
            f"{where}.role",
            role,
            f"one of {_ROLE_CHOICES}",
            "unknown message role" + (hint if "from" in message else ""),
        )
    out: dict[str, Any] = {"role": role, "content": None}
    for key, value in message.items():
        if key not in _MESSAGE_KEYS:
            raise _Bad(
                f"{where}.{key}",
                value,
                "only " + ", ".join(sorted(_MESSAGE_KEYS)),
                f"unknown message key {key!r}",
            )
        if key in _OPTIONAL_KEYS and value is not None:
            out[key] = _optional(f"{where}.{key}", key, role, value)
    if "tool_calls" in out:
        called.update(call["id"] for call in out["tool_calls"])
    call_id = out.get("tool_call_id")
    if call_id is not None and call_id not in called:
        raise _Bad(
            f"{where}.tool_call_id",
            call_id,
            "the id of a tool call in an earlier assistant message",
            "the tool message answers no earlier tool call",
        )
    out["content"] = _content(f"{where}.content", message.get("content"), "tool_calls" in out)
    return out


def _content(where: str, value: Any, may_be_empty: bool = False) -> str:
    """A message's text: a non-blank string within the limit (empty beside tool calls)."""
    if value is None and may_be_empty:
        return ""
    if type(value) is not str:
        raise _Bad(
            where,
            value,
            "a string (content parts are not imported: join their text)",
            "the message content is not a string",
        )
    if not value.strip() and not (may_be_empty and not value):
        raise _Bad(where, value, "non-blank text", "the message is empty")
    if len(value) > MAX_MESSAGE_CHARS:
        raise _Bad(
            where,
            f"{len(value)} characters",
            f"at most {MAX_MESSAGE_CHARS:,} characters",
            "the message is too long",
        )
    return value


def _optional(where: str, key: str, role: str, value: Any) -> Any:
    if role not in _OPTIONAL_KEYS[key]:
        raise _Bad(
            where,
            value,
            f"{key} only on {' or '.join(_OPTIONAL_KEYS[key])} messages",
            f"a {role} message cannot have {key}",
        )
    if key == "tool_calls":
        return _tool_calls(where, value)
    if key == "weight":
        if value not in (0, 1) or type(value) is not int:
            raise _Bad(where, value, "0 or 1", "the weight is not 0 or 1")
        return value
    return _name(where, value)


def _name(where: str, value: Any) -> str:
    if type(value) is not str or not value.strip() or len(value) > 256:
        what = where.rsplit(".", 1)[-1]
        raise _Bad(where, value, "a non-empty string of at most 256 characters", f"invalid {what}")
    return value


def _tool_calls(where: str, calls: Any) -> list[dict[str, Any]]:
    if type(calls) is not list or not 0 < len(calls) <= MAX_TOOL_CALLS:
        raise _Bad(
            where,
            calls,
            f"a list of 1 to {MAX_TOOL_CALLS} tool calls",
            "tool_calls is not a list of calls",
        )
    return [_tool_call(f"{where}[{i}]", call) for i, call in enumerate(calls)]


def _tool_call(where: str, call: Any) -> dict[str, Any]:
    expected = '{"id", "type": "function", "function": {"name", "arguments"}}'
    if type(call) is not dict or not set(call) <= {"id", "type", "function"}:
        raise _Bad(where, call, expected, "a tool call is not an OpenAI function call")
    if call.get("type", "function") not in ("function", None):
        raise _Bad(f"{where}.type", call["type"], '"function"', "unknown tool call type")
    function = call.get("function")
    if type(function) is not dict or not set(function) <= {"name", "arguments"}:
        raise _Bad(f"{where}.function", function, "{name, arguments}", "the call has no function")
    return {
        "id": _name(f"{where}.id", call.get("id")),
        "type": "function",
        "function": {
            "name": _name(f"{where}.function.name", function.get("name")),
            "arguments": _arguments(f"{where}.function.arguments", function.get("arguments")),
        },
    }


def _arguments(where: str, value: Any) -> str:
    """JSON text, as the chat-completions API carries it; an object is written out as such."""
    if value is None:
        return "{}"
    if type(value) is str:
        return value
    if type(value) is dict:
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            pass
    raise _Bad(where, value, "a JSON object, or JSON text", "the call's arguments are not JSON")


# --- ShareGPT -----------------------------------------------------------------------------


def _from_sharegpt(fields: dict[str, Any]) -> dict[str, Any]:
    turns = fields["conversations"]
    _check_list("fields.conversations", turns, "{from, value} objects")
    messages: list[dict[str, Any]] = []
    pending: list[str] = []
    for index, turn in enumerate(turns):
        messages.append(_turn(f"fields.conversations[{index}]", index, turn, pending))
    system = fields.get("system")
    folded = type(system) is str and bool(system.strip()) and messages[0]["role"] != "system"
    if folded:
        messages.insert(0, {"role": "system", "content": _content("fields.system", system)})
        _check_list("fields.conversations", messages, "{from, value} objects")
    return {
        ("messages" if key == "conversations" else key): (
            messages if key == "conversations" else value
        )
        for key, value in fields.items()
        if not (folded and key == "system")
    }


def _turn(where: str, index: int, turn: Any, pending: list[str]) -> dict[str, Any]:
    """One ShareGPT turn as a message; an observation answers the oldest call not yet
    answered, so its tool message names that call."""
    if type(turn) is not dict:
        raise _Bad(where, turn, "an object with from and value", "a turn is not an object")
    for key, value in turn.items():
        if key not in _SHAREGPT_KEYS:
            hint = " (OpenAI messages, with role and content, go in 'messages')"
            raise _Bad(
                f"{where}.{key}",
                value,
                "only from, value and weight",
                f"unknown turn key {key!r}" + (hint if key == "role" else ""),
            )
    speaker = turn.get("from")
    name = speaker.lower() if type(speaker) is str else ""
    role = SHAREGPT_ROLES.get(name)
    if role is None:
        raise _Bad(f"{where}.from", speaker, f"one of {_SHAREGPT_CHOICES}", "unknown speaker")
    message: dict[str, Any] = {"role": role}
    if name == "function_call":
        calls = _sharegpt_calls(f"{where}.value", index, turn.get("value"))
        pending.extend(call["id"] for call in calls)
        message |= {"content": "", "tool_calls": calls}
    else:
        message["content"] = _content(f"{where}.value", turn.get("value"))
        if role == "tool" and pending:
            message["tool_call_id"] = pending.pop(0)
    weight = turn.get("weight")
    if weight is not None:
        message["weight"] = _optional(f"{where}.weight", "weight", role, weight)
    return message


def _sharegpt_calls(where: str, index: int, value: Any) -> list[dict[str, Any]]:
    """LLaMA-Factory's function_call value: JSON text of one call or a list of them."""
    expected = 'JSON text: {"name": ..., "arguments": {...}}, or a list of those'
    try:
        parsed = orjson.loads(value) if type(value) is str else None
    except orjson.JSONDecodeError:
        parsed = None
    calls = parsed if type(parsed) is list else [parsed]
    if not calls or not all(type(c) is dict and set(c) <= {"name", "arguments"} for c in calls):
        raise _Bad(where, value, expected, "the function call is not JSON")
    return _tool_calls(
        where,
        [{"id": f"call_{index}_{n}", "function": call} for n, call in enumerate(calls)],
    )
