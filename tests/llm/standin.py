"""A stand-in OpenAI-compatible chat-completions server, run by the tests as a real process.

It stands in for vLLM, llama.cpp's server, Ollama or a hosted API because no model weights
can be loaded here. The code path under test is the production client (the `openai` SDK
over real HTTP); only the model is replaced, by deterministic words from the prompt and
the seed. How it answers is set by the model name, so an endpoint row picks it:

    standin;ttft=300;gap=5;tokens=20     300 ms to the first token, 5 ms between, 20 tokens
    standin;status=429                   every request answers 429 (also 401, 500, 503, ...)
    standin;flaky=2;status=503           the first 2 requests for this name answer 503
    standin;key=9f86d081884c7d65         401 unless sha256(bearer token) starts so
                                         (`key_model` builds it; a model name is shown,
                                         so it never holds the key itself)
    standin;hang                         never answers (a timeout)
    standin;stall=3                      3 tokens, then silence
    standin;break=3                      3 tokens, then the connection is closed mid-body
    standin;garbage=3                    3 tokens, then a data line that is not JSON
    standin;truncate=3                   3 tokens, then the body ends with no finish_reason
    standin;error_event=3                3 tokens, then an SSE event carrying an error
    standin;nousage                      no token counts, even when asked for them
    standin;judge=longer                 a judge's JSON verdict (see `judge_reply`): the
                                         longer response wins (also judge=first, unsure,
                                         prose, badverdict); a rubric prompt is scored
  standin;prelabel=label                 an assist pre-label in JSON (see `prelabel_reply`;
                                         also prelabel=multi, bad, prose)

Any other model name answers 404 as an unknown model. GET /standin/stats?model=... says
how many requests a model name had and the most it held in flight at once (the tests check
concurrency caps with it); GET /standin/first-token?model=... when its latest stream sent
its first token (the chat bench times the relay to the browser with it); GET
/standin/elapsed/{id} the server's own time for a response; GET /standin/response-format?
model=... the `response_format` its latest request asked for (structured output).

Run: python -m tests.llm.standin [--port 0]; it prints "listening on PORT" when ready.
"""

import argparse
import asyncio
import hashlib
import json
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "standin"
# fmt: off
WORDS = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "amber", "blue", "cedar", "dune",
    "ember", "fern", "granite", "harbor", "iris", "jade", "kelp", "lumen", "maple", "nectar",
    "opal", "pine", "quartz", "river", "sage", "tide", "umber", "violet", "willow", "yarrow",
    "zephyr",
)
# fmt: on
DEFAULT_TOKENS = 8


@dataclass(frozen=True)
class Behaviour:
    """What a model name asks the stand-in to do."""

    ttft_ms: float = 0
    gap_ms: float = 0
    tokens: int = DEFAULT_TOKENS
    status: int | None = None
    flaky: int = 0
    key: str | None = None
    hang: bool = False
    stall: int | None = None
    broken: int | None = None
    garbage: int | None = None
    truncate: int | None = None
    error_event: int | None = None
    usage: bool = True
    judge: str | None = None
    prelabel: str | None = None

    @classmethod
    def parse(cls, model: str) -> "Behaviour | None":
        name, *options = model.split(";")
        if name != MODEL:
            return None
        values: dict[str, Any] = {}
        for option in options:
            key, _, raw = option.partition("=")
            values[key] = raw
        return cls(
            ttft_ms=float(values.get("ttft", 0)),
            gap_ms=float(values.get("gap", 0)),
            tokens=int(values.get("tokens", DEFAULT_TOKENS)),
            status=_int(values.get("status")),
            flaky=int(values.get("flaky", 0)),
            key=values.get("key"),
            hang="hang" in values,
            stall=_int(values.get("stall")),
            broken=_int(values.get("break")),
            garbage=_int(values.get("garbage")),
            truncate=_int(values.get("truncate")),
            error_event=_int(values.get("error_event")),
            usage="nousage" not in values,
            judge=values.get("judge"),
            prelabel=values.get("prelabel"),
        )


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(f"{m.get('role')}: {m.get('content') or ''}" for m in messages)


def prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Whitespace words of every message's content: the stand-in's tokenizer."""
    return sum(len(str(m.get("content") or "").split()) for m in messages)


def reply_tokens(messages: Sequence[Mapping[str, Any]], seed: int | None, count: int) -> list[str]:
    """The reply's tokens: the same prompt and seed always give the same words; no seed
    gives different words each time, as sampling does."""
    if seed is None:
        rng = random.Random()
        return [rng.choice(WORDS) for _ in range(count)]
    prompt = prompt_text(messages)
    tokens = []
    for index in range(count):
        digest = hashlib.sha256(f"{seed}|{index}|{prompt}".encode()).digest()
        tokens.append(WORDS[int.from_bytes(digest[:4], "big") % len(WORDS)])
    return tokens


def reply_text(
    messages: Sequence[Mapping[str, Any]],
    seed: int | None,
    count: int,
    stop: Sequence[str] = (),
) -> tuple[str, str]:
    """The whole reply and its finish reason, for the tests to compare with."""
    pieces, finish = _pieces(reply_tokens(messages, seed, count), stop)
    return "".join(pieces), finish


def _pieces(tokens: list[str], stop: Sequence[str]) -> tuple[list[str], str]:
    """The text deltas (a space before every word but the first) cut before a stop word."""
    pieces: list[str] = []
    for index, token in enumerate(tokens):
        if token in stop:
            return pieces, "stop"
        pieces.append(token if index == 0 else f" {token}")
    return pieces, "length"


def _between(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", text, re.DOTALL)
    return match.group(1) if match else None


def judge_reply(prompt: str, mode: str) -> str:
    """What a judge says to fairlabel's default templates, which put the responses between
    <response_a>, <response_b> (pairwise) or <response> tags and list a rubric's criteria as
    `- name (min to max)`. Pairwise: `longer` prefers the longer response (the same text
    length: a tie) with confidence 0.9; `unsure` the same at confidence 0.3; `first` always
    says a (position bias: the swapped order disagrees); `prose` answers in words, not JSON;
    `badverdict` gives a verdict that is none of the choices. A rubric: every criterion
    scored with the response's word count, kept inside the scale."""
    response = _between(prompt, "response")
    if response is not None:
        words = len(response.split())
        scores = {
            name: max(int(low), min(int(high), words))
            for name, low, high in re.findall(r"^- ([\w-]+) \((\d+) to (\d+)\)", prompt, re.M)
        }
        return json.dumps({"scores": scores, "confidence": 0.9, "reason": "counted words"})
    if mode == "prose":
        return "Response A is better, I think."
    a, b = _between(prompt, "response_a") or "", _between(prompt, "response_b") or ""
    verdict = "a" if len(a) > len(b) else "b" if len(b) > len(a) else "tie"
    verdict = {"first": "a", "badverdict": "maybe"}.get(mode, verdict)
    confidence = 0.3 if mode == "unsure" else 0.9
    return json.dumps({"verdict": verdict, "confidence": confidence, "reason": "by length"})


def prelabel_reply(messages: Sequence[Mapping[str, Any]], mode: str) -> str:
    """A pre-label for fairlabel's assist prompt, which lists the labels between <labels>
    tags (one a line) and puts the item's text last, between <item> tags: `label` picks the
    first label the text contains (else the first label), `multi` every label it contains,
    `bad` answers a label that is not offered, `prose` answers in words."""
    prompt = str(messages[-1].get("content") or "") if messages else ""
    labels = (_between(prompt, "labels") or "").splitlines()
    text = (_between(prompt, "item") or "").lower()
    found = [label for label in labels if label.lower() in text]
    if mode == "prose":
        return "It is probably positive."
    answer: Any = found if mode == "multi" else (found or labels or [""])[0]
    if mode == "bad":
        answer = "not-a-label"
    return json.dumps({"answer": answer, "confidence": 0.7})


class Stats:
    """Requests per model name and the most in flight at once."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.elapsed_ms: dict[str, float] = {}
        #: Wall-clock time (time.time()) of the latest stream's first token, per model name,
        #: so that a benchmark on the same machine can time its way to the client.
        self.first_token_at: dict[str, float] = {}
        self.response_format: dict[str, Any] = {}

    def enter(self, model: str) -> int:
        self.requests[model] += 1
        self.in_flight[model] += 1
        self.max_in_flight[model] = max(self.max_in_flight[model], self.in_flight[model])
        return self.requests[model]

    def leave(self, model: str, response_id: str, started: float) -> None:
        self.in_flight[model] -= 1
        self.elapsed_ms[response_id] = (time.perf_counter() - started) * 1000


stats = Stats()


def _error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    headers = {"retry-after-ms": "20"} if status == 429 else {}
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


async def chat_completions(request: Request) -> Response:
    body = await request.json()
    model = str(body.get("model", ""))
    behaviour = Behaviour.parse(model)
    if behaviour is None:
        return _error(404, f"The model `{model}` does not exist", "invalid_request_error", "404")
    started = time.perf_counter()
    number = stats.enter(model)
    response_id = f"chatcmpl-{uuid.uuid4().hex[:16]}"
    refused = _refusal(request, behaviour, number)
    if refused is not None:
        stats.leave(model, response_id, started)
        return refused
    if behaviour.hang:
        try:
            await asyncio.sleep(3600)
        finally:
            stats.leave(model, response_id, started)
    messages = body.get("messages") or []
    stats.response_format[model] = body.get("response_format")
    count = min(behaviour.tokens, int(body.get("max_tokens") or behaviour.tokens))
    stop = body.get("stop") or []
    pieces, finish = _pieces(reply_tokens(messages, body.get("seed"), count), _list(stop))
    if behaviour.judge is not None:
        pieces, finish = [judge_reply(prompt_text(messages), behaviour.judge)], "stop"
    if behaviour.prelabel is not None:
        pieces, finish = [prelabel_reply(messages, behaviour.prelabel)], "stop"
    usage = {
        "prompt_tokens": prompt_tokens(messages),
        "completion_tokens": len(pieces),
        "total_tokens": prompt_tokens(messages) + len(pieces),
    }
    reply = Reply(response_id, model, pieces, finish, usage, behaviour)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = _tracked(reply.events(include_usage), model, response_id, started)
        return StreamingResponse(events, media_type="text/event-stream")
    try:
        return JSONResponse(await reply.whole())
    finally:
        stats.leave(model, response_id, started)


def _list(stop: Any) -> list[str]:
    return [stop] if isinstance(stop, str) else list(stop)


def _refusal(request: Request, behaviour: Behaviour, number: int) -> Response | None:
    if behaviour.key is not None:
        sent = request.headers.get("authorization", "")
        digest = hashlib.sha256(sent.removeprefix("Bearer ").encode()).hexdigest()
        if not sent.startswith("Bearer ") or not digest.startswith(behaviour.key):
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "bad_key")
    failing = behaviour.status is not None or behaviour.flaky
    if failing and (not behaviour.flaky or number <= behaviour.flaky):
        status = behaviour.status or 503
        return _error(status, f"stand-in answers {status}", "server_error")
    return None


async def _tracked(
    events: AsyncIterator[bytes], model: str, response_id: str, started: float
) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield event
    finally:
        stats.leave(model, response_id, started)


@dataclass
class Reply:
    response_id: str
    model: str
    pieces: list[str]
    finish: str
    usage: dict[str, int]
    behaviour: Behaviour

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {
            "id": self.response_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return _sse(chunk)

    async def events(self, include_usage: bool) -> AsyncIterator[bytes]:
        b = self.behaviour
        yield self._chunk({"role": "assistant", "content": ""})
        await _sleep_ms(b.ttft_ms)
        for index, piece in enumerate(self.pieces):
            if index:
                await _sleep_ms(b.gap_ms)
            await self._misbehave(index)
            if b.garbage == index:
                yield b'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n'
                return
            if b.error_event == index:
                yield _sse({"error": {"message": "the stand-in failed mid-stream", "type": "x"}})
                return
            if b.truncate == index:
                return
            if index == 0:
                stats.first_token_at[self.model] = time.time()
            yield self._chunk({"content": piece})
        await self._misbehave(len(self.pieces))
        yield self._chunk({}, self.finish)
        if include_usage and b.usage:
            yield _sse(
                {
                    "id": self.response_id,
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": self.model,
                    "choices": [],
                    "usage": self.usage,
                }
            )
        yield b"data: [DONE]\n\n"

    async def _misbehave(self, index: int) -> None:
        if self.behaviour.stall == index:
            await asyncio.sleep(3600)
        if self.behaviour.broken == index:
            raise ConnectionAbortedError("the stand-in closes the stream mid-way")

    async def whole(self) -> dict[str, Any]:
        b = self.behaviour
        await _sleep_ms(b.ttft_ms + b.gap_ms * max(len(self.pieces) - 1, 0))
        message = {"role": "assistant", "content": "".join(self.pieces)}
        return {
            "id": self.response_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish}],
            "usage": self.usage if b.usage else None,
        }


def _sse(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


async def _sleep_ms(ms: float) -> None:
    if ms > 0:
        await asyncio.sleep(ms / 1000)


async def list_models(_request: Request) -> Response:
    return JSONResponse(
        {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "fairlabel"}]}
    )


async def model_stats(request: Request) -> Response:
    model = request.query_params.get("model", "")
    return JSONResponse(
        {"requests": stats.requests[model], "max_in_flight": stats.max_in_flight[model]}
    )


async def first_token(request: Request) -> Response:
    model = request.query_params.get("model", "")
    return JSONResponse({"first_token_at": stats.first_token_at.get(model)})


async def response_format(request: Request) -> Response:
    model = request.query_params.get("model", "")
    return JSONResponse({"response_format": stats.response_format.get(model)})


async def elapsed(request: Request) -> Response:
    found = stats.elapsed_ms.get(request.path_params["response_id"])
    if found is None:
        return JSONResponse({"error": "unknown response id"}, status_code=404)
    return JSONResponse({"elapsed_ms": found})


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", list_models),
        Route("/standin/stats", model_stats),
        Route("/standin/first-token", first_token),
        Route("/standin/response-format", response_format),
        Route("/standin/elapsed/{response_id}", elapsed),
    ]
)


@dataclass(frozen=True)
class StandIn:
    """A running stand-in: its base URL (what an endpoint is registered with) and helpers."""

    origin: str

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def stats(self, model: str) -> dict[str, int]:
        response = httpx.get(f"{self.origin}/standin/stats", params={"model": model})
        result: dict[str, int] = response.json()
        return result

    def first_token_at(self, model: str) -> float:
        """When the latest stream for this model name sent its first token (time.time())."""
        response = httpx.get(f"{self.origin}/standin/first-token", params={"model": model})
        return float(response.json()["first_token_at"])

    def response_format(self, model: str) -> Any:
        """The `response_format` the latest request for this model name asked for."""
        response = httpx.get(f"{self.origin}/standin/response-format", params={"model": model})
        return response.json()["response_format"]

    def elapsed_ms(self, response_id: str) -> float:
        response = httpx.get(f"{self.origin}/standin/elapsed/{response_id}")
        return float(response.json()["elapsed_ms"])


def unique_model(*options: str) -> str:
    """A model name of its own, so that per-name counters (flaky, stats) start at zero."""
    return ";".join((MODEL, *options, f"run={uuid.uuid4().hex[:8]}"))


def key_model(api_key: str, *options: str) -> str:
    """A model name that answers only to this API key."""
    return unique_model(f"key={hashlib.sha256(api_key.encode()).hexdigest()[:16]}", *options)


@contextmanager
def running(log_path: Path) -> Iterator[StandIn]:
    """The stand-in as a separate process on 127.0.0.1, its output in `log_path`."""
    root = Path(__file__).resolve().parents[2]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.llm.standin"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            yield StandIn(_wait_until_serving(process))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: "subprocess.Popen[bytes]") -> str:
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("listening on "):
        raise RuntimeError(f"the stand-in did not start: {line!r}")
    origin = f"http://127.0.0.1:{int(line.split()[-1])}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{origin}/v1/models").status_code == 200:
                return origin
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the stand-in did not answer within 15 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    sys.stdout.flush()
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
