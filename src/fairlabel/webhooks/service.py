"""Webhook receivers: registration with its checks (the URL's form and where it points,
through the model endpoints' guard; known event types), the secret stored encrypted, and
the deliveries with every attempt for the receivers' pages and API."""

import secrets
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.config import Settings
from fairlabel.db import settings_of
from fairlabel.errors import FairlabelError, NotFound, ValidationFailed
from fairlabel.llm import addresses, keys
from fairlabel.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookReceiver
from fairlabel.questions.base import one_of
from fairlabel.webhooks import schemas
from fairlabel.webhooks.events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
DELIVERY_STATUSES = ("pending", "delivered", "failed")


def event_types() -> list[schemas.EventType]:
    return [schemas.EventType(type=t, description=d) for t, d in EVENT_TYPES.items()]


def list_receivers(db: Session, organization_id: int) -> list[WebhookReceiver]:
    query = select(WebhookReceiver).where(WebhookReceiver.organization_id == organization_id)
    return list(db.scalars(query.order_by(WebhookReceiver.id)))


def get_receiver(db: Session, receiver_id: int) -> WebhookReceiver:
    receiver = db.get(WebhookReceiver, receiver_id)
    if receiver is None:
        raise receiver_not_found(receiver_id)
    return receiver


def receiver_not_found(receiver_id: int) -> NotFound:
    return NotFound(
        "no such webhook receiver",
        field="receiver_id",
        value=receiver_id,
        expected="a webhook receiver of your organization",
    )


def create_receiver(
    db: Session, organization_id: int, body: schemas.ReceiverCreate, actor_id: int | None
) -> tuple[WebhookReceiver, str]:
    """The receiver and its secret in clear (the only time it is shown). Every check runs
    before anything is added."""
    settings = settings_of(db)
    url = checked_url(settings, body.url)
    types = checked_events(body.events)
    secret = body.secret or SECRET_PREFIX + secrets.token_urlsafe(32)
    receiver = WebhookReceiver(
        organization_id=organization_id,
        url=url,
        description=body.description,
        events=types,
        active=True,
        created_by_id=actor_id,
    )
    _set_secret(receiver, settings, secret)
    db.add(receiver)
    db.flush()
    return receiver, secret


def update_receiver(
    db: Session, receiver: WebhookReceiver, body: schemas.ReceiverUpdate
) -> WebhookReceiver:
    url = checked_url(settings_of(db), body.url) if body.url is not None else None
    types = checked_events(body.events) if body.events is not None else None
    if url is not None:
        receiver.url = url
    if types is not None:
        receiver.events = types
    if body.description is not None:
        receiver.description = body.description
    if body.active is not None:
        receiver.active = body.active
    db.flush()
    return receiver


def delete_receiver(db: Session, receiver: WebhookReceiver) -> None:
    """The receiver goes, with its deliveries and their attempts."""
    db.delete(receiver)
    db.flush()


def checked_url(settings: Settings, url: str) -> str:
    """The model endpoints' checks, the refusal naming this form's field."""
    try:
        checked = addresses.check_url(url)
        addresses.check_host(checked, settings.llm_allow_private_endpoints)
    except FairlabelError as error:
        error.field = "url"
        error.message = error.message.replace("an endpoint", "a receiver").replace(
            "endpoint", "receiver"
        )
        raise
    return checked


def checked_events(types: list[str]) -> list[str]:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            f"unknown event type {unknown[0]!r}",
            field="events",
            value=unknown[0],
            expected=one_of(list(EVENT_TYPES)),
        )
    return list(dict.fromkeys(types))


def _set_secret(receiver: WebhookReceiver, settings: Settings, secret: str) -> None:
    receiver.secret_encrypted = keys.encrypt(settings.secret_key, receiver.organization_id, secret)
    receiver.secret_last4 = secret[-4:]


def describe(receiver: WebhookReceiver) -> schemas.ReceiverOut:
    return schemas.ReceiverOut(
        id=receiver.id,
        organization_id=receiver.organization_id,
        url=receiver.url,
        description=receiver.description,
        events=receiver.events,
        active=receiver.active,
        secret_last4=receiver.secret_last4,
        created_at=receiver.created_at,
    )


def list_deliveries(
    db: Session, receiver_id: int, status: str | None, limit: int
) -> list[schemas.DeliveryOut]:
    """Newest first, each with every attempt made at it, oldest attempt first."""
    if status is not None and status not in DELIVERY_STATUSES:
        raise ValidationFailed(
            f"unknown delivery status {status!r}",
            field="status",
            value=status,
            expected=one_of(DELIVERY_STATUSES),
        )
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.receiver_id == receiver_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    rows = db.execute(query).all()
    attempts: defaultdict[int, list[schemas.AttemptOut]] = defaultdict(list)
    found = db.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([d.id for d, _ in rows]))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    for attempt in found:
        attempts[attempt.delivery_id].append(
            schemas.AttemptOut(
                number=attempt.number,
                started_at=attempt.started_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                error=attempt.error,
            )
        )
    return [
        schemas.DeliveryOut(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            attempt_log=attempts[delivery.id],
        )
        for delivery, event_type in rows
    ]
