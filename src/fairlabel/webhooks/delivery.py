"""Sending deliveries: a background thread per app that claims due deliveries from the
outbox, POSTs each signed to its receiver through the same address guard as model
endpoints, records every attempt, and schedules a failed one again with exponential
backoff until its attempts run out. It also runs the project watcher (`watch`).

A delivery is claimed by moving its `next_attempt_at` past the time its attempt can take,
so two servers never send it at once and a server that dies while sending leaves it due
again: receivers may see a delivery twice (the body's `id` tells them) but never lose one."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx2
import orjson
from sqlalchemy import Select, select

from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.errors import FairlabelError
from fairlabel.llm import keys
from fairlabel.llm.addresses import RefusedAddress
from fairlabel.llm.client import guarded_http_client
from fairlabel.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookReceiver,
)
from fairlabel.webhooks import events, signing

log = logging.getLogger("fairlabel.webhooks")

#: Deliveries claimed and sent at once by one pass.
BATCH = 50
#: Seconds beyond the receiver's timeout that a claim lasts.
CLAIM_MARGIN_SECONDS = 30
T = TypeVar("T")


@dataclass(frozen=True)
class Outgoing:
    """One claimed attempt, as plain values: no session is held while a receiver answers."""

    delivery_id: int
    number: int
    url: str
    event_type: str
    body: bytes
    secret: str | None


@dataclass(frozen=True)
class Answer:
    started_at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: the base, doubled after each, capped."""
    seconds = settings.webhook_retry_seconds * 2 ** (attempts - 1)
    return timedelta(seconds=min(seconds, settings.webhook_retry_max_seconds))


def deliver_due(database: Database, now: datetime | None = None) -> int:
    """Send every delivery due by `now` (default: the clock), a batch at a time; how many
    attempts were made."""
    made = 0
    while True:
        batch = claim(database, now or utcnow())
        if not batch:
            return made
        answers = _run(functools.partial(send_all, database.settings, batch))
        record(database, batch, answers)
        made += len(batch)
        if len(batch) < BATCH:
            return made


def _due(now: datetime) -> Select[WebhookDelivery, WebhookEvent, WebhookReceiver]:
    return (
        select(WebhookDelivery, WebhookEvent, WebhookReceiver)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookReceiver, WebhookReceiver.id == WebhookDelivery.receiver_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
            WebhookReceiver.active,
        )
    )


def claim(database: Database, now: datetime) -> list[Outgoing]:
    """Up to BATCH due deliveries, each claimed for the time its attempt can take. The usual
    answer, none, costs a read rather than the write lock."""
    settings = database.settings
    lease = timedelta(seconds=settings.webhook_timeout_seconds + CLAIM_MARGIN_SECONDS)
    with database.session(write=False) as db:
        if db.execute(_due(now).limit(1)).first() is None:
            return []
    with database.session() as db:
        query = _due(now).order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(BATCH)
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        batch = []
        for delivery, event, receiver in db.execute(query).all():
            delivery.next_attempt_at = now + lease
            batch.append(
                Outgoing(
                    delivery_id=delivery.id,
                    number=delivery.attempts + 1,
                    url=receiver.url,
                    event_type=event.type,
                    body=orjson.dumps(events.body(event)),
                    secret=_secret(settings, receiver),
                )
            )
    return batch


def _secret(settings: Settings, receiver: WebhookReceiver) -> str | None:
    try:
        return keys.decrypt(
            settings.secret_key,
            receiver.organization_id,
            receiver.secret_encrypted,
            receiver.id,
        )
    except FairlabelError:
        return None


async def send_all(settings: Settings, batch: list[Outgoing]) -> list[Answer]:
    async with guarded_http_client(
        settings.llm_allow_private_endpoints, BATCH, settings.webhook_timeout_seconds
    ) as client:
        return list(await asyncio.gather(*(send(client, settings, o) for o in batch)))


async def send(client: httpx2.AsyncClient, settings: Settings, outgoing: Outgoing) -> Answer:
    started_at, clock = utcnow(), time.perf_counter()

    def answer(status_code: int | None, error: str | None) -> Answer:
        duration = (time.perf_counter() - clock) * 1000
        return Answer(started_at, round(duration, 1), status_code, error)

    if outgoing.secret is None:
        return answer(
            None,
            "the receiver's secret cannot be read with this deployment's secret key "
            "(was FAIRLABEL_SECRET_KEY changed?); give the receiver a new secret",
        )
    headers = signing.headers(outgoing.secret, int(time.time()), outgoing.body)
    headers[signing.EVENT_HEADER] = outgoing.event_type
    headers[signing.DELIVERY_HEADER] = str(outgoing.delivery_id)
    try:
        response = await client.post(outgoing.url, content=outgoing.body, headers=headers)
    except RefusedAddress as refused:
        return answer(None, f"refused: {refused.message}")
    except httpx2.TimeoutException:
        return answer(None, f"no answer within {settings.webhook_timeout_seconds:g} s")
    except httpx2.ConnectError:
        return answer(None, "could not connect to the receiver (refused, unreachable or no DNS)")
    except httpx2.HTTPError as error:
        return answer(None, f"the request failed: {type(error).__name__}")
    code = response.status_code
    if 200 <= code < 300:
        return answer(code, None)
    if 300 <= code < 400:
        return answer(code, f"answered {code}: redirects are not followed")
    return answer(code, f"answered {code}")


def record(database: Database, batch: list[Outgoing], answers: list[Answer]) -> None:
    """Each attempt, and its delivery delivered, failed for good, or scheduled again."""
    settings = database.settings
    with database.session() as db:
        for outgoing, answer in zip(batch, answers, strict=True):
            db.add(
                WebhookAttempt(
                    delivery_id=outgoing.delivery_id,
                    number=outgoing.number,
                    started_at=answer.started_at,
                    duration_ms=answer.duration_ms,
                    status_code=answer.status_code,
                    error=answer.error,
                )
            )
            delivery = db.get(WebhookDelivery, outgoing.delivery_id)
            if delivery is None:  # its receiver was removed meanwhile
                continue
            delivery.attempts = outgoing.number
            delivery.last_error = answer.error
            if answer.ok:
                delivery.status = DeliveryStatus.delivered
                delivery.delivered_at = utcnow()
                delivery.next_attempt_at = None
            elif outgoing.number >= settings.webhook_max_attempts:
                delivery.status = DeliveryStatus.failed
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = utcnow() + backoff(settings, outgoing.number)


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end from sync code, also where this thread has a loop running
    already (then in a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


class Dispatcher:
    """The background thread of one app: woken after each commit that wrote events, and
    otherwise every second for retries that fell due; every `webhook_watch_seconds` it
    also runs the project watcher."""

    POLL_SECONDS = 1.0

    def __init__(self, database: Database, watch: Callable[[Database], Any] | None) -> None:
        self.database = database
        self.watch = watch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watched_at = 0.0

    def start(self) -> None:
        events.on_commit(self.wake)
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name="fairlabel-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        events.off_commit(self.wake)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.database.settings.webhook_timeout_seconds + 5)
            self._thread = None

    def _work(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            self._pass()

    def _pass(self) -> None:
        every = self.database.settings.webhook_watch_seconds
        if self.watch is not None and every and time.monotonic() - self._watched_at >= every:
            self._watched_at = time.monotonic()
            try:
                self.watch(self.database)
            except Exception:
                log.exception("the webhook watcher failed; it runs again later")
        try:
            deliver_due(self.database)
        except Exception:
            log.exception("sending webhook deliveries failed; they stay due")
