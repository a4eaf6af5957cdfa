"""Organizations: created by operators, their members managed by owners."""

from fastapi import APIRouter, status

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.organizations import service
from fairlabel.organizations.schemas import (
    MemberAdd,
    MemberOut,
    OrganizationCreate,
    OrganizationOut,
)

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.post("", operation_id="create_organization", status_code=status.HTTP_201_CREATED)
def create_organization(
    body: OrganizationCreate, principal: CurrentPrincipal, db: SessionDep
) -> OrganizationOut:
    policies.require_operator(principal)
    return OrganizationOut.model_validate(service.create_organization(db, body.name, body.slug))


@router.get("", operation_id="list_organizations")
def list_organizations(principal: CurrentPrincipal, db: SessionDep) -> list[OrganizationOut]:
    ids = None if principal.is_operator else list(principal.roles)
    return [OrganizationOut.model_validate(o) for o in service.list_organizations(db, ids)]


@router.get("/{organization_id}", operation_id="get_organization")
def get_organization(
    organization_id: int, principal: CurrentPrincipal, db: SessionDep
) -> OrganizationOut:
    policies.view_organization(principal, organization_id)
    return OrganizationOut.model_validate(service.get_organization(db, organization_id))


@router.get("/{organization_id}/members", operation_id="list_members")
def list_members(
    organization_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[MemberOut]:
    policies.view_organization(principal, organization_id)
    return [_member_out(m) for m in service.list_members(db, organization_id)]


@router.post(
    "/{organization_id}/members", operation_id="add_member", status_code=status.HTTP_201_CREATED
)
def add_member(
    organization_id: int, body: MemberAdd, principal: CurrentPrincipal, db: SessionDep
) -> MemberOut:
    policies.manage_organization(principal, organization_id)
    return _member_out(service.add_member(db, organization_id, body.email, body.role))


def _member_out(membership: "service.Membership") -> MemberOut:
    return MemberOut(
        user_id=membership.user_id,
        email=membership.user.email,
        display_name=membership.user.display_name,
        role=membership.role,
    )
