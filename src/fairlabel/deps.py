"""Typed dependencies: the database session of a request and the authenticated caller."""

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Annotated, ParamSpec, TypeVar, cast

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import service as auth_service
from fairlabel.auth.policies import Principal
from fairlabel.config import Settings
from fairlabel.db import Database, finish, is_finished
from fairlabel.errors import Forbidden, Unauthorized
from fairlabel.jobs import service as jobs_service
from fairlabel.jobs.runner import Runner
from fairlabel.models import Job, Membership, User

P = ParamSpec("P")
R = TypeVar("R")

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


async def get_runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent, so an
    acknowledged write is durable. Reads take no write lock. Opening a session does no
    I/O; the commit runs in the thread pool."""
    database: Database = request.app.state.database
    session = database.new_session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    except BaseException:
        if not is_finished(session):
            await run_in_threadpool(finish, session, success=False)
        raise
    if not is_finished(session):
        await run_in_threadpool(finish, session, success=True)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
RunnerDep = Annotated[Runner, Depends(get_runner)]


def commits_in_endpoint(endpoint: Callable[P, R]) -> Callable[P, R]:
    """For a sync route with a SessionDep: commit (or roll back) in the endpoint's own worker
    thread, still before the response is sent. That saves the request a thread hand-off,
    and on SQLite the write lock is never held while the request waits for the event loop."""

    sessions = [
        name
        for name, parameter in inspect.signature(endpoint).parameters.items()
        if parameter.annotation == SessionDep
    ]
    if len(sessions) != 1:
        raise TypeError(f"{endpoint.__name__} must take exactly one SessionDep parameter")

    @functools.wraps(endpoint)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session = cast(Session, kwargs[sessions[0]])
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            finish(session, success=False)
            raise
        finish(session, success=True)
        return result

    return run


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """The model as JSON. Building it validated it already; a route that returns the model
    itself has FastAPI validate it again, for a sync route in one more thread hand-off.
    The route names the model in `response_model=`, which keeps it in the OpenAPI schema."""
    body = model.__pydantic_serializer__.to_json(model)
    return Response(body, status_code=status_code, media_type="application/json")


def job_accepted(job: Job) -> Response:
    """202 with the queued job, and in `Location` where to follow it (GET /api/jobs/{id})."""
    response = model_response(jobs_service.job_out(job), 202)
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return response


def load_principal(db: Session, user: User, csrf_token: str | None = None) -> Principal:
    """The principal of a user already loaded (the browser pages), bound to `db`."""
    rows = db.execute(
        select(Membership.organization_id, Membership.role).where(Membership.user_id == user.id)
    ).all()
    return Principal(
        id=user.id,
        pseudonym=user.pseudonym,
        is_operator=user.is_operator,
        roles={organization_id: role for organization_id, role in rows},
        is_worker=user.worker is not None,
        csrf_token=csrf_token,
        session=db,
    )


async def optional_principal(request: Request, db: SessionDep) -> Principal | None:
    return await _authenticate(request, db)


async def current_principal(request: Request, db: SessionDep) -> Principal:
    """The caller, or 401. Not built on optional_principal: each dependency FastAPI solves
    costs a request about as much as a cached authentication does."""
    principal = await _authenticate(request, db)
    if principal is None:
        raise Unauthorized(
            "sign in or send an API token",
            field="Authorization",
            value=None,
            expected="Bearer <token> or a session cookie",
        )
    return principal


async def _authenticate(request: Request, db: Session) -> Principal | None:
    """Bearer token (API, SDK) or session cookie (browser; unsafe methods need the CSRF header).
    A cached credential costs no query and no thread hand-off."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        principal = await _principal(request, "token", header[7:].strip())
        if principal is None:
            raise Unauthorized(
                "invalid or revoked API token",
                field="Authorization",
                value=header[:17] + "…",
                expected="a valid bearer token",
            )
        return principal.bound_to(db)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = await _principal(request, "session", cookie)
    if principal is None:
        return None
    if request.method not in SAFE_METHODS and _csrf_sent(request) != principal.csrf_token:
        raise Forbidden(
            "missing or wrong CSRF token",
            field=CSRF_HEADER,
            value=None,
            expected="the csrf token of this browser session",
        )
    return principal.bound_to(db)


async def _principal(
    request: Request, kind: auth_service.CredentialKind, secret: str
) -> Principal | None:
    key, principal = auth_service.cached_principal(kind, secret)
    if principal is not None:
        return principal
    database: Database = request.app.state.database
    return await run_in_threadpool(auth_service.lookup_principal, database, kind, key)


def _csrf_sent(request: Request) -> str | None:
    return request.headers.get(CSRF_HEADER)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
