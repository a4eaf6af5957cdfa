"""Who may see and change an organization's model endpoints: its members see them (an
endpoint of another organization answers 404, as if it did not exist); owners and managers
register, change, test and remove them (a viewer gets 403)."""

from fairlabel.auth import policies
from fairlabel.auth.policies import MANAGING_ROLES, Principal
from fairlabel.errors import Forbidden


def view_endpoints(principal: Principal, organization_id: int) -> None:
    policies.view_organization(principal, organization_id)


def manage_endpoints(principal: Principal, organization_id: int) -> None:
    policies.view_organization(principal, organization_id)
    role = principal.roles.get(organization_id)
    if not principal.is_operator and role not in MANAGING_ROLES:
        raise Forbidden(
            "viewers cannot change model endpoints",
            field="role",
            value=role,
            expected="owner or manager",
        )


def can_manage(principal: Principal, organization_id: int) -> bool:
    return principal.is_operator or principal.roles.get(organization_id) in MANAGING_ROLES
