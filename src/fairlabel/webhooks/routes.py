"""Webhooks API: an organization's receivers (members see them and every delivery with its
attempts; owners and managers add, change and remove them) and the event types. How a
delivery is signed: fairlabel.webhooks.signing."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.webhooks import events, policies, schemas, service

router = APIRouter(tags=["webhooks"])


@router.get("/webhook-events", operation_id="list_webhook_event_types")
def event_types(_principal: CurrentPrincipal) -> list[schemas.EventType]:
    return service.event_types()


@router.get("/organizations/{organization_id}/webhooks", operation_id="list_webhooks")
def list_receivers(
    organization_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[schemas.ReceiverOut]:
    policies.view_webhooks(principal, organization_id)
    return [service.describe(r) for r in service.list_receivers(db, organization_id)]


@router.post(
    "/organizations/{organization_id}/webhooks",
    operation_id="create_webhook",
    status_code=status.HTTP_201_CREATED,
)
def create_receiver(
    organization_id: int,
    body: schemas.ReceiverCreate,
    principal: CurrentPrincipal,
    db: SessionDep,
) -> schemas.ReceiverCreated:
    """The answer carries the signing secret, this once. Each delivery is a POST with
    `Fairlabel-Timestamp` and `Fairlabel-Signature: v1=<hex HMAC-SHA256 of
    "<timestamp>.<body>">`; retried with exponential backoff until a 2xx answer."""
    policies.manage_webhooks(principal, organization_id)
    receiver, secret = service.create_receiver(db, organization_id, body, principal.id)
    return schemas.ReceiverCreated(**service.describe(receiver).model_dump(), secret=secret)


@router.get("/webhooks/{receiver_id}", operation_id="get_webhook")
def get_receiver(
    receiver_id: int, principal: CurrentPrincipal, db: SessionDep
) -> schemas.ReceiverOut:
    return service.describe(policies.visible_receiver(db, principal, receiver_id))


@router.patch("/webhooks/{receiver_id}", operation_id="update_webhook")
def update_receiver(
    receiver_id: int, body: schemas.ReceiverUpdate, principal: CurrentPrincipal, db: SessionDep
) -> schemas.ReceiverOut:
    receiver = policies.managed_receiver(db, principal, receiver_id)
    return service.describe(service.update_receiver(db, receiver, body))


@router.delete(
    "/webhooks/{receiver_id}",
    operation_id="delete_webhook",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_receiver(receiver_id: int, principal: CurrentPrincipal, db: SessionDep) -> Response:
    service.delete_receiver(db, policies.managed_receiver(db, principal, receiver_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/{receiver_id}/test",
    operation_id="test_webhook",
    status_code=status.HTTP_202_ACCEPTED,
)
def test_receiver(
    receiver_id: int, principal: CurrentPrincipal, db: SessionDep
) -> schemas.TestSent:
    """A `webhook.test` event to this receiver alone, sent as any event is (a paused
    receiver gets it once resumed); its delivery and attempts are listed like the others."""
    receiver = policies.managed_receiver(db, principal, receiver_id)
    return schemas.TestSent(event_id=events.ping(db, receiver, principal.id))


@router.get("/webhooks/{receiver_id}/deliveries", operation_id="list_webhook_deliveries")
def list_deliveries(
    receiver_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    status: Annotated[str | None, Query(description="pending, delivered or failed")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[schemas.DeliveryOut]:
    """Newest first, each with every attempt: its answer's status or why none came."""
    receiver = policies.visible_receiver(db, principal, receiver_id)
    return service.list_deliveries(db, receiver.id, status, limit)
