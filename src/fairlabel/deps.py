"""Typed dependencies: the database session of a request and the authenticated caller."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import service as auth_service
from fairlabel.auth.policies import Principal
from fairlabel.config import Settings
from fairlabel.db import Database, finish
from fairlabel.errors import Forbidden, Unauthorized
from fairlabel.models import Membership, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "fairlabel_session"
CSRF_HEADER = "x-csrf-token"


# Dependencies that do no I/O are `async def`: FastAPI runs sync dependencies in the thread
# pool, and each hand-off costs more than the work of a typical request.


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent, so an
    acknowledged write is durable. Reads take no write lock. Opening a session does no
    I/O; the commit runs in the thread pool."""
    database: Database = request.app.state.database
    session = database.new_session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    except BaseException:
        await run_in_threadpool(finish, session, success=False)
        raise
    await run_in_threadpool(finish, session, success=True)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]


def load_principal(db: Session, user: User, csrf_token: str | None = None) -> Principal:
    rows = db.execute(
        select(Membership.organization_id, Membership.role).where(Membership.user_id == user.id)
    ).all()
    roles = {organization_id: role for organization_id, role in rows}
    is_worker = user.worker is not None
    return Principal(user=user, roles=roles, is_worker=is_worker, csrf_token=csrf_token)


def optional_principal(request: Request, db: SessionDep) -> Principal | None:
    """Bearer token (API, SDK) or session cookie (browser; unsafe methods need the CSRF header)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = auth_service.user_for_token(db, header[7:].strip())
        if user is None:
            raise Unauthorized(
                "invalid or revoked API token",
                field="Authorization",
                value=header[:17] + "…",
                expected="a valid bearer token",
            )
        return load_principal(db, user)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    web_session = auth_service.web_session_for(db, cookie)
    if web_session is None:
        return None
    if request.method not in SAFE_METHODS and _csrf_sent(request) != web_session.csrf_token:
        raise Forbidden(
            "missing or wrong CSRF token",
            field=CSRF_HEADER,
            value=None,
            expected="the csrf token of this browser session",
        )
    return load_principal(db, web_session.user, web_session.csrf_token)


def _csrf_sent(request: Request) -> str | None:
    return request.headers.get(CSRF_HEADER)


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized(
            "sign in or send an API token",
            field="Authorization",
            value=None,
            expected="Bearer <token> or a session cookie",
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
