"""The model client: streamed chat completions from one endpoint through the official
`openai` SDK (its retries with backoff, its timeouts), with the platform's own rules
around it: at most `max_concurrency` calls in flight per endpoint, each connection to a
checked address (fairlabel.llm.addresses), and every failure turned into one of a few
error codes with a message of our own, since the SDK's exceptions carry request details.

The concurrency cap is an asyncio semaphore per endpoint per event loop: per server
process, so a deployment running W processes lets up to W x max_concurrency calls reach
one endpoint."""

import asyncio
import functools
import hashlib
import json
import ssl
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypedDict

import httpcore2
import httpx2
import openai
import orjson

from fairlabel.db import utcnow
from fairlabel.llm.addresses import GuardedBackend, RefusedAddress
from fairlabel.llm.schemas import SamplingParams
from fairlabel.models import CallStatus


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant", "tool"]
    content: str


@dataclass(frozen=True)
class EndpointConfig:
    """What a call needs of an endpoint, as plain values: no database session is held while
    a model streams. The key is decrypted and never shown in a repr."""

    id: int
    organization_id: int
    name: str
    base_url: str
    model: str
    api_key: str | None = field(repr=False)
    sampling: SamplingParams
    max_concurrency: int
    timeout_seconds: float
    max_retries: int
    currency: str
    input_price_micros: int
    output_price_micros: int
    allow_private: bool

    @property
    def fingerprint(self) -> str:
        """Changes whenever a setting that the SDK client or the cap is built from does."""
        parts = (
            self.base_url,
            self.api_key or "",
            self.max_concurrency,
            self.timeout_seconds,
            self.max_retries,
            self.allow_private,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass(frozen=True)
class TextDelta:
    """The next piece of the reply, as the endpoint streamed it."""

    text: str


ErrorCode = Literal[
    "unreachable",
    "refused_address",
    "timeout",
    "unauthorized",
    "unknown_model",
    "rate_limited",
    "server_error",
    "rejected",
    "upstream_error",
    "broken_stream",
    "malformed_stream",
    "stopped",
]


@dataclass(frozen=True)
class CallError:
    code: ErrorCode
    message: str
    upstream_status: int | None = None


@dataclass(frozen=True)
class CallResult:
    """The last event of every call, also handed to the recorder: the whole text, the
    sampling parameters sent, token counts (None where the server reported none) and
    timings in milliseconds from the moment the request was sent."""

    endpoint: EndpointConfig
    status: CallStatus
    text: str
    sampling: SamplingParams
    started_at: datetime
    queue_ms: float
    latency_ms: float
    first_token_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    finish_reason: str | None = None
    response_id: str | None = None
    error: CallError | None = None

    @property
    def ok(self) -> bool:
        return self.status == CallStatus.ok


Event = TextDelta | CallResult
#: A conversation in the OpenAI `messages` shape ({role, content} each).
Messages = Sequence[ChatMessage] | Sequence[Mapping[str, str]]
Recorder = Callable[[CallResult], Awaitable[None]]


@dataclass
class _Lane:
    """One endpoint's SDK client and concurrency cap in one event loop."""

    fingerprint: str
    client: openai.AsyncOpenAI
    slots: asyncio.Semaphore


_lanes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Lane]]" = (
    weakref.WeakKeyDictionary()
)


def _lane(config: EndpointConfig) -> _Lane:
    """Clients and semaphores belong to the event loop they were made in: kept per loop,
    and made again when the endpoint's settings change (calls in flight keep theirs)."""
    lanes = _lanes.setdefault(asyncio.get_running_loop(), {})
    lane = lanes.get(config.id)
    if lane is None or lane.fingerprint != config.fingerprint:
        lane = _Lane(
            config.fingerprint, _sdk_client(config), asyncio.Semaphore(config.max_concurrency)
        )
        lanes[config.id] = lane
    return lane


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One per process: loading the trust store takes longer than a model call's overhead."""
    return httpx2.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's transport with its connection pool opened through GuardedBackend; httpx2
    takes no network backend of its own, so the pool it made is replaced."""

    def __init__(self, allow_private: bool, connections: int) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=30,
            network_backend=GuardedBackend(allow_private),
        )


def guarded_http_client(
    allow_private: bool, connections: int, timeout: float
) -> httpx2.AsyncClient:
    """An HTTP client for URLs that organizations give this server (model endpoints, webhook
    receivers): each connection to a checked address, no proxy from the environment (the
    guard must see the real destination), no redirects (a second destination nobody
    registered)."""
    return httpx2.AsyncClient(
        transport=_GuardedTransport(allow_private, connections),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx2.Timeout(timeout),
    )


def _sdk_client(config: EndpointConfig) -> openai.AsyncOpenAI:
    http = guarded_http_client(config.allow_private, config.max_concurrency, config.timeout_seconds)
    return openai.AsyncOpenAI(
        api_key=config.api_key or "none",
        base_url=config.base_url,
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
        http_client=http,
    )


async def stream_chat(
    config: EndpointConfig,
    messages: Messages,
    *,
    sampling: SamplingParams | None = None,
    record: Recorder | None = None,
    response_format: Mapping[str, Any] | None = None,
) -> AsyncGenerator[Event]:
    """Stream one chat completion: TextDelta events, then one CallResult (also when the
    call failed: its `error` says why). `sampling` overrides the endpoint's defaults field
    by field; `response_format` asks for structured output (a JSON schema) where the
    server takes it. `record` gets the result exactly once: right after the result is handed on
    (so that the consumer does not wait on the write), or when the consumer stops early
    (status "stopped", which is how a stop-generation button ends a call)."""
    lane = _lane(config)
    call = _Call(config, config.sampling.merged(sampling), response_format)
    completed = False
    try:
        async with lane.slots:
            call.begin()
            async with aclosing(call.run(lane.client, messages)) as pieces:
                async for piece in pieces:
                    yield TextDelta(piece)
        completed = True
    finally:
        result = call.result(completed)
        if not completed and record is not None and call.sent is not None:
            await asyncio.shield(record(result))
    try:
        yield result
    finally:
        if record is not None:
            await asyncio.shield(record(result))


class _Call:
    """The state of one call while it streams, and the result it comes to."""

    def __init__(
        self,
        config: EndpointConfig,
        params: SamplingParams,
        response_format: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.params = params
        self.extra: dict[str, Any] = (
            {} if response_format is None else {"response_format": response_format}
        )
        self.started_at = utcnow()
        self.created = time.perf_counter()
        self.sent: float | None = None
        self.first_token: float | None = None
        self.ended: float | None = None
        self.pieces: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.response_id: str | None = None
        self.error: CallError | None = None
        self.streaming = False

    def begin(self) -> None:
        """The request goes out now, after waiting for a free slot."""
        self.sent = time.perf_counter()
        self.started_at = utcnow()

    async def run(self, client: openai.AsyncOpenAI, messages: Messages) -> AsyncGenerator[str]:
        """The SDK sends the request (auth, retries with backoff, timeouts, status errors);
        the stream's events are read here as plain JSON: the SDK's building of a typed
        model per chunk took most of the platform's time per call. The body goes as
        `extra_body`, already plain JSON: the SDK's walk of typed parameters over every
        message took 1.5 ms per call before the request went out."""
        body = {
            "messages": list(messages),
            "stream_options": {"include_usage": True},
            **self.params.request_fields(),
            **self.extra,
        }
        try:
            request = client.chat.completions.with_streaming_response.create(
                model=self.config.model, messages=[], stream=True, extra_body=body
            )
            async with request as response:
                self.streaming = True
                async for chunk in sse_data(response.iter_lines()):
                    piece = self._take(chunk)
                    if piece:
                        yield piece
            if self.finish_reason is None:
                self.error = CallError(
                    "broken_stream", "the stream ended before the model said it had finished"
                )
        except (openai.OpenAIError, httpx2.HTTPError, RefusedAddress, *UNREADABLE) as error:
            self.error = describe(error, self.streaming, self.config)
        finally:
            self.ended = time.perf_counter()

    def _take(self, chunk: dict[str, Any]) -> str:
        self.response_id = self.response_id or chunk.get("id")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices") or []
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise MalformedStream("a chunk whose choices are not a list of objects")
        if not choices:
            return ""
        if choices[0].get("finish_reason"):
            self.finish_reason = str(choices[0]["finish_reason"])
        delta = choices[0].get("delta") or {}
        piece = delta.get("content") if isinstance(delta, dict) else None
        if piece is not None and not isinstance(piece, str):
            raise MalformedStream("a delta whose content is not text")
        if piece:
            if self.first_token is None:
                self.first_token = time.perf_counter()
            self.pieces.append(piece)
        return piece or ""

    def result(self, completed: bool) -> CallResult:
        """`completed`: the stream was read to its end, rather than left by the consumer."""
        sent = self.sent or self.created
        ended = self.ended or time.perf_counter()
        error = self.error
        if not completed and error is None:
            error = CallError("stopped", "the call was stopped before the model finished")
        status = CallStatus.ok
        if error is not None:
            status = CallStatus.stopped if error.code == "stopped" else CallStatus.failed
        usage = self.usage or {}
        return CallResult(
            endpoint=self.config,
            status=status,
            text="".join(self.pieces),
            sampling=self.params,
            started_at=self.started_at,
            queue_ms=(sent - self.created) * 1000,
            latency_ms=(ended - sent) * 1000,
            first_token_ms=None if self.first_token is None else (self.first_token - sent) * 1000,
            tokens_in=_count(usage, "prompt_tokens"),
            tokens_out=_count(usage, "completion_tokens"),
            finish_reason=self.finish_reason,
            response_id=self.response_id,
            error=error,
        )


class MalformedStream(ValueError):
    """A stream event that is JSON but not a chat completion chunk, or an error event."""


async def sse_data(lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any]]:
    """The JSON of each server-sent event's data, up to `[DONE]`; an event that carries an
    error (as OpenAI-compatible servers send one mid-stream) raises MalformedStream."""
    data: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
            continue
        if line or not data:
            continue  # another field (event:, id:, a comment), or a blank line alone
        payload, data = "\n".join(data), []
        if payload == "[DONE]":
            async for _rest in lines:
                pass  # read to the body's end, so that the connection is kept for reuse
            return
        chunk = orjson.loads(payload)
        if not isinstance(chunk, dict):
            raise MalformedStream("an event that is not a JSON object")
        if chunk.get("error"):
            raise MalformedStream("an error event")
        yield chunk


def _count(usage: dict[str, Any], name: str) -> int | None:
    value = usage.get(name)
    return value if isinstance(value, int) else None


_STATUS_ERRORS: dict[int, tuple[ErrorCode, str]] = {
    401: ("unauthorized", "the endpoint refused the API key (401): check the key"),
    403: ("unauthorized", "the endpoint refused the API key (403): check its permissions"),
    404: (
        "unknown_model",
        "the endpoint answered 404: check the model name, and that the base URL is where "
        "/chat/completions is served (often ending in /v1)",
    ),
    429: ("rate_limited", "the endpoint is rate limiting (429) and retries did not get through"),
}
#: What a stream that is not JSON, not text or not chunks raises as it is read.
UNREADABLE = (json.JSONDecodeError, UnicodeDecodeError, MalformedStream)
#: Statuses whose upstream message helps (a parameter out of range) and may be shown.
_EXPLAINED = frozenset({400, 404, 422})


def describe(error: Exception, streaming: bool, config: EndpointConfig) -> CallError:
    """Our own code and message for an SDK or transport failure. Upstream messages are
    passed on only for a rejected request, with the key cut out of them."""
    refused = _caused_by(error, RefusedAddress)
    if isinstance(refused, RefusedAddress):
        return CallError("refused_address", refused.message)
    if isinstance(error, openai.APITimeoutError | httpx2.TimeoutException):
        seconds = f"{config.timeout_seconds:g} s"
        if streaming:
            return CallError("timeout", f"the endpoint went silent mid-reply for {seconds}")
        return CallError("timeout", f"the endpoint did not answer within {seconds}")
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, config.api_key)
    if isinstance(error, openai.APIConnectionError | httpx2.TransportError):
        if streaming:
            return CallError("broken_stream", "the endpoint closed the stream mid-way")
        return CallError("unreachable", "the endpoint cannot be reached (connection failed)")
    if isinstance(error, MalformedStream):
        return CallError("malformed_stream", f"the endpoint sent {error} in the stream")
    if isinstance(error, openai.APIError):
        return CallError("malformed_stream", "the endpoint sent an error in the stream")
    return CallError("malformed_stream", "the endpoint sent a stream that is not valid JSON")


def _status_error(error: openai.APIStatusError, api_key: str | None) -> CallError:
    status = error.status_code
    if status in _STATUS_ERRORS:
        code, message = _STATUS_ERRORS[status]
    elif status >= 500:
        code, message = "server_error", f"the endpoint failed with {status}"
    elif status in _EXPLAINED:
        code, message = "rejected", f"the endpoint rejected the request ({status})"
    else:
        code, message = "upstream_error", f"the endpoint answered {status}"
    if status in _EXPLAINED:
        detail = _upstream_message(error, api_key)
        if detail:
            message = f"{message}: {detail}"
    return CallError(code, message, status)


def _upstream_message(error: openai.APIStatusError, api_key: str | None) -> str:
    body = error.body
    detail = body.get("message") if isinstance(body, dict) else None
    if not isinstance(detail, str):
        return ""
    if api_key:
        detail = detail.replace(api_key, "[key]")
    return detail[:300]


def _caused_by(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
