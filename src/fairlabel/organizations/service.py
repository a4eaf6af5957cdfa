"""Organizations and memberships."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.errors import Conflict, NotFound
from fairlabel.models import Membership, Organization, User


def create_organization(db: Session, name: str, slug: str) -> Organization:
    if db.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise Conflict(
            "an organization with this slug exists",
            field="slug",
            value=slug,
            expected="a slug not yet taken",
        )
    org = Organization(name=name, slug=slug)
    db.add(org)
    db.flush()
    return org


def get_organization(db: Session, organization_id: int) -> Organization:
    org = db.get(Organization, organization_id)
    if org is None:
        raise NotFound(
            "no such organization",
            field="organization_id",
            value=organization_id,
            expected="an existing organization id",
        )
    return org


def organization_by_slug(db: Session, slug: str) -> Organization | None:
    return db.scalar(select(Organization).where(Organization.slug == slug))


def list_organizations(db: Session, ids: list[int] | None) -> list[Organization]:
    """All organizations (ids=None, for operators) or the given ones."""
    query = select(Organization).order_by(Organization.id)
    if ids is not None:
        query = query.where(Organization.id.in_(ids))
    return list(db.scalars(query))


def add_member(db: Session, organization_id: int, email: str, role: str) -> Membership:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(
            "no user with this email",
            field="email",
            value=email,
            expected="the email of a registered user",
        )
    membership = db.scalar(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(organization_id=organization_id, user_id=user.id, role=role)
        db.add(membership)
    else:
        membership.role = role
    db.flush()
    return membership


def list_members(db: Session, organization_id: int) -> list[Membership]:
    return list(
        db.scalars(
            select(Membership)
            .where(Membership.organization_id == organization_id)
            .order_by(Membership.id)
        )
    )
