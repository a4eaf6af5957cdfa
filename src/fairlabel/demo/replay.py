"""The demo's replay model: an OpenAI-compatible chat-completions route that the demo app
serves itself, answering with canned replies from the demo data, streamed word by word like
a real model. It lets the demo's chat project work with no network and no model weights
while the platform calls it through the production client (fairlabel.llm.client, the
`openai` SDK, the address guard): only the model is replaced.

The reply is chosen from the request alone (model, messages, seed), so the same request
always gets the same answer and the seeded chat history is what the route would say. Two
personas answer: a careful one (the good reply of a demo exchange) and a hasty one (its
flawed reply), so a ranking has a right answer to find."""

import asyncio
import time
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from fairlabel.app import create_app
from fairlabel.config import Settings
from fairlabel.demo.replies import EXCHANGES

REPLAY_PATH = "/demo-llm/v1"
REPLAY_NAME = "Demo replay model — canned answers"
#: Between two streamed words: slow enough to watch a reply arrive, as from a real model.
WORD_SECONDS = 0.03


@dataclass(frozen=True, slots=True)
class Persona:
    """One replay model: its name on the endpoint, its sampling, how it answers."""

    label: str
    model: str
    temperature: float
    careful: bool
    openings: tuple[str, ...]
    follow_ups: tuple[str, ...]


PERSONAS = (
    Persona(
        "careful",
        "demo-replay-careful",
        0.2,
        True,
        ("", "Good question.", "Happy to help."),
        (
            "Here is a little more detail: start with the simplest step, check the result, "
            "and only then move on. If anything looks off, stop and check again.",
            "To add to that: safety first, then accuracy. If you tell me more about your "
            "situation, I can be more specific.",
            "Yes, that follows from what I said, with one caveat: it depends on the details, "
            "so check it against a reliable source before you rely on it.",
            "A worked example often helps: try it once with small numbers and compare the "
            "result with what you expected.",
        ),
    ),
    Persona(
        "hasty",
        "demo-replay-hasty",
        1.0,
        False,
        ("", "Easy:", "Short answer:"),
        (
            "It depends. There are many factors.",
            "Just do whatever seems easiest; it usually works out.",
            "As I said before, it is fine.",
            "That is a common question. Many people ask it.",
        ),
    ),
)
PERSONA_BY_MODEL = {p.model: p for p in PERSONAS}
_ANSWERS = {e.question: e for e in EXCHANGES}


def canned_reply(persona: Persona, messages: Sequence[Mapping[str, str]], seed: int | None) -> str:
    """The first answer to a demo question is the exchange's good or flawed reply; later
    turns pick a follow-up by the worker's words. The seed picks the opening, so samples
    of one persona differ."""
    asked = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    first = not any(m["role"] == "assistant" for m in messages)
    exchange = _ANSWERS.get(asked.strip())
    if first and exchange is not None:
        body = exchange.good if persona.careful else exchange.flawed
    else:
        body = persona.follow_ups[zlib.crc32(asked.encode()) % len(persona.follow_ups)]
    opening = persona.openings[(seed or 0) % len(persona.openings)]
    return f"{opening} {body}".strip()


class _Message(BaseModel):
    role: str
    content: str


class _Completion(BaseModel):
    """The fields of an OpenAI chat-completions request the replay reads; others (the
    temperature, stop sequences) are accepted and change nothing."""

    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    seed: int | None = None
    max_tokens: int | None = Field(default=None, ge=1)


router = APIRouter(prefix=REPLAY_PATH, include_in_schema=False)


@router.post("/chat/completions")
async def chat_completions(body: _Completion) -> Response:
    persona = PERSONA_BY_MODEL.get(body.model)
    if persona is None:
        return JSONResponse(
            {
                "error": {
                    "message": f"the demo replay serves {', '.join(PERSONA_BY_MODEL)}",
                    "type": "invalid_request_error",
                    "code": "model_not_found",
                }
            },
            status_code=404,
        )
    messages = [m.model_dump() for m in body.messages]
    words = canned_reply(persona, messages, body.seed).split(" ")
    finish = "stop"
    if body.max_tokens is not None and len(words) > body.max_tokens:
        words, finish = words[: body.max_tokens], "length"
    reply = _Reply(f"chatcmpl-replay-{time.time_ns()}", body.model, words, finish, messages)
    if not body.stream:
        return JSONResponse(reply.whole())
    usage = bool((body.stream_options or {}).get("include_usage"))
    return StreamingResponse(reply.stream(usage), media_type="text/event-stream")


@dataclass(frozen=True, slots=True)
class _Reply:
    """One answer in the two shapes the API has: a whole completion, or its chunks."""

    id: str
    model: str
    words: list[str]
    finish_reason: str
    messages: list[dict[str, str]]

    @property
    def usage(self) -> dict[str, int]:
        """Words counted as tokens: the demo has no tokenizer, and says so by being a replay."""
        prompt = sum(len(m["content"].split()) for m in self.messages)
        completion = len(self.words)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def whole(self) -> dict[str, Any]:
        message = {"role": "assistant", "content": " ".join(self.words)}
        choice = {"index": 0, "message": message, "finish_reason": self.finish_reason}
        return {**self._head("chat.completion"), "choices": [choice], "usage": self.usage}

    async def stream(self, usage: bool) -> AsyncIterator[bytes]:
        for number, word in enumerate(self.words):
            await asyncio.sleep(WORD_SECONDS)
            delta = {"content": word if number == 0 else " " + word}
            if number == 0:
                delta["role"] = "assistant"
            yield self._chunk([{"index": 0, "delta": delta, "finish_reason": None}])
        yield self._chunk([{"index": 0, "delta": {}, "finish_reason": self.finish_reason}])
        if usage:
            yield self._chunk([], usage=self.usage)
        yield b"data: [DONE]\n\n"

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {**self._head("chat.completion.chunk"), "choices": choices, **extra}
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    def _head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": int(time.time()), "model": self.model}


def demo_settings() -> Settings:
    """The deployment's settings with private addresses allowed for model endpoints: the
    replay is this very server, on a loopback address, so the operator's setting (and only
    it) lets the address guard pass it."""
    return Settings(llm_allow_private_endpoints=True)


def install(app: FastAPI) -> FastAPI:
    """The replay route on an app (the demo's, or a test's server standing in for it)."""
    app.include_router(router)
    return app


def create_demo_app() -> FastAPI:
    """`fairlabel demo --serve`: the site, and the replay model the demo's endpoints name."""
    return install(create_app(demo_settings()))
