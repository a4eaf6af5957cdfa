"""Who am I, and API tokens (created with email and password, shown once, revocable)."""

from typing import Any

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from fairlabel.auth import service
from fairlabel.auth.schemas import MembershipOut, TokenCreate, TokenCreated, TokenOut, UserOut
from fairlabel.db import finish
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.models import Organization, User

router = APIRouter(tags=["auth"])

_SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "wrong email or password (the failure is counted)"},
    429: {
        "description": "too many failed sign-ins for this email address or from this client "
        "address: refused without checking the password until the time Retry-After gives"
    },
}


def sign_in(db: Session, request: Request, email: str, password: str) -> User:
    """The account these credentials open, throttled. A wrong password's answer is an error,
    which rolls the request's transaction back: the failure it counted is committed first."""
    address = request.client.host if request.client else None
    try:
        return service.sign_in(db, email, password, address)
    except service.SignInFailed:
        finish(db, success=True)
        raise


@router.get("/me", operation_id="get_me")
def get_me(principal: CurrentPrincipal, db: SessionDep) -> UserOut:
    names = {
        org.id: org.name
        for org in (db.get(Organization, org_id) for org_id in principal.roles)
        if org
    }
    return UserOut(
        id=principal.user.id,
        email=principal.user.email,
        display_name=principal.user.display_name,
        pseudonym=principal.user.pseudonym,
        is_operator=principal.is_operator,
        is_worker=principal.is_worker,
        organizations=[
            MembershipOut(organization_id=org_id, organization_name=names[org_id], role=role)
            for org_id, role in principal.roles.items()
        ],
    )


@router.post(
    "/tokens",
    operation_id="create_token",
    status_code=status.HTTP_201_CREATED,
    responses=_SIGN_IN_RESPONSES,
)
def create_token(body: TokenCreate, request: Request, db: SessionDep) -> TokenCreated:
    user = sign_in(db, request, body.email, body.password)
    token, secret = service.create_token(db, user, body.name)
    return TokenCreated(token=secret, **TokenOut.model_validate(token).model_dump())


@router.get("/tokens", operation_id="list_tokens")
def list_tokens(principal: CurrentPrincipal, db: SessionDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_tokens(db, principal.user)]


@router.delete("/tokens/{token_id}", operation_id="revoke_token")
def revoke_token(token_id: int, principal: CurrentPrincipal, db: SessionDep) -> TokenOut:
    return TokenOut.model_validate(service.revoke_token(db, principal.user, token_id))
