"""The events receivers may subscribe to, and the outbox they are written to.

An event is written in the transaction of the change that caused it, with one pending
delivery per active receiver subscribed to its type, so that it is sent if and only if
the change commits; the senders are woken once it has. Nothing is sent here, so a receiver
that is down never slows or fails the change."""

from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.db import Database, dialect_insert, utcnow
from fairlabel.models import (
    DeliveryStatus,
    Job,
    Project,
    WebhookDelivery,
    WebhookEvent,
    WebhookReceiver,
)

#: Every event type, with what it means (the API lists these).
EVENT_TYPES = {
    "job.finished": "a long job ended, succeeded or failed: a generation job, an export, a "
    "consensus recompute, any job of the jobs runner",
    "evaluation.finished": "every battle of an evaluation project (one with a pairwise "
    "question) is voted on and reviewed; the data carries the final leaderboard order",
    "project.finished": "every item of a project is complete: none open, none leased, "
    "none awaiting review",
    "leaderboard.order_changed": "the order of a project's leaderboard changed after new "
    "votes or a recompute; the data carries the order before and after",
}

#: Sent on request to one receiver (not subscribed to: it is never sent otherwise).
TEST_EVENT = "webhook.test"

#: Called once a transaction that wrote events has committed (the senders' wake-up).
_listeners: list[Any] = []


def on_commit(listener: Any) -> None:
    """`listener()` runs after each commit that wrote events (the dispatchers register)."""
    _listeners.append(listener)


def off_commit(listener: Any) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def subscribed(db: Session, organization_id: int, event_type: str) -> list[int]:
    """Ids of the organization's active receivers of this type."""
    rows = db.execute(
        select(WebhookReceiver.id, WebhookReceiver.events).where(
            WebhookReceiver.organization_id == organization_id, WebhookReceiver.active
        )
    )
    return [receiver_id for receiver_id, events in rows if event_type in events]


def emit(
    db: Session,
    organization_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    key: str | None = None,
    receiver_ids: list[int] | None = None,
) -> int | None:
    """The event's id, or None where nobody subscribes (nothing is stored) or `key` was
    used already (an event noticed twice happens once). `receiver_ids`: to these receivers
    only, subscribed or not (a test event)."""
    receivers = (
        subscribed(db, organization_id, event_type) if receiver_ids is None else receiver_ids
    )
    if not receivers:
        return None
    now = utcnow()
    values = {
        "organization_id": organization_id,
        "type": event_type,
        "key": key,
        "payload": data,
        "created_at": now,
    }
    statement = (
        dialect_insert(db)(WebhookEvent)
        .values(values)
        .on_conflict_do_nothing()
        .returning(WebhookEvent.id)
    )
    event_id = db.scalar(statement)
    if event_id is None:
        return None
    db.add_all(
        WebhookDelivery(
            event_id=event_id,
            receiver_id=receiver_id,
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for receiver_id in receivers
    )
    db.flush()
    orm_event.listen(db, "after_commit", _wake, once=True)
    return event_id


def _wake(_session: Session) -> None:
    for listener in list(_listeners):
        listener()


def ping(db: Session, receiver: WebhookReceiver, actor_id: int) -> int:
    """A `webhook.test` event to one receiver, to check that it is reached and that it
    checks the signature, before a real event depends on it."""
    event_id = emit(
        db,
        receiver.organization_id,
        TEST_EVENT,
        {"receiver_id": receiver.id, "sent_by": actor_id},
        receiver_ids=[receiver.id],
    )
    assert event_id is not None  # a keyless event to a named receiver is always stored
    return event_id


def body(event: WebhookEvent) -> dict[str, Any]:
    """What a receiver is sent: the same in every attempt at every receiver."""
    return {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "organization_id": event.organization_id,
        "data": event.payload,
    }


def job_finished(database: Database, job_id: int, title: str) -> None:
    """After a job of a project ended (the runner calls this once its outcome is stored;
    `title` is its kind in words)."""
    with database.session() as db:
        job = db.get(Job, job_id)
        if job is None or job.project_id is None:
            return
        project = db.get(Project, job.project_id)
        if project is None:
            return
        emit(
            db,
            project.organization_id,
            "job.finished",
            {
                "job_id": job.id,
                "kind": job.kind,
                "title": title,
                "status": job.status,
                "project_id": job.project_id,
                "result": job.result,
                "error": job.error,
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
                "location": f"/api/jobs/{job.id}",
            },
            key=f"job.finished:{job.id}",
        )
