"""Who may see and change an organization's webhook receivers: its members see them and
their deliveries (another organization's answers 404); owners and managers add, change and
remove them (a viewer gets 403)."""

from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import MANAGING_ROLES, Principal
from fairlabel.errors import Forbidden, NotFound
from fairlabel.models import WebhookReceiver
from fairlabel.webhooks import service


def view_webhooks(principal: Principal, organization_id: int) -> None:
    policies.view_organization(principal, organization_id)


def can_manage(principal: Principal, organization_id: int) -> bool:
    return principal.is_operator or principal.roles.get(organization_id) in MANAGING_ROLES


def manage_webhooks(principal: Principal, organization_id: int) -> None:
    policies.view_organization(principal, organization_id)
    if not can_manage(principal, organization_id):
        raise Forbidden(
            "viewers cannot change webhook receivers",
            field="role",
            value=principal.roles.get(organization_id),
            expected="owner or manager",
        )


def visible_receiver(db: Session, principal: Principal, receiver_id: int) -> WebhookReceiver:
    receiver = service.get_receiver(db, receiver_id)
    try:
        view_webhooks(principal, receiver.organization_id)
    except NotFound:
        raise service.receiver_not_found(receiver_id) from None
    return receiver


def managed_receiver(db: Session, principal: Principal, receiver_id: int) -> WebhookReceiver:
    receiver = visible_receiver(db, principal, receiver_id)
    manage_webhooks(principal, receiver.organization_id)
    return receiver
