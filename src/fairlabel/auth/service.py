"""Accounts, API tokens and browser sessions. Functions flush, the caller commits.

Who a credential belongs to is cached for PRINCIPAL_TTL_SECONDS, so that an API call costs
no query for it. A change to accounts, tokens, sessions or memberships made through this
process's sessions empties the cache at once; one made by another process (a second
uvicorn worker, another server) takes effect within the TTL: a revoked token, a removed
member or a deactivated user keeps its access for at most that long there."""

import logging
import secrets
import threading
import time
from datetime import timedelta
from itertools import chain
from typing import Any, Literal

from sqlalchemy import Select, Table, bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from fairlabel.auth import throttle
from fairlabel.auth.policies import Principal
from fairlabel.auth.security import (
    digest,
    hash_password,
    new_secret,
    spend_verification,
    verify_password,
)
from fairlabel.db import Database, settings_of, utcnow
from fairlabel.dueprocess import audit
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from fairlabel.models import ApiToken, Membership, Organization, User, WebSession, Worker

log = logging.getLogger("fairlabel.auth")

MIN_PASSWORD_LENGTH = 8
PRINCIPAL_TTL_SECONDS = 5.0


def create_user(
    db: Session,
    email: str,
    password: str,
    display_name: str | None = None,
    *,
    is_operator: bool = False,
    worker_country: str | None = None,
    is_worker: bool = False,
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed(
            "not an email address",
            field="email",
            value=email,
            expected="an address like name@example.org",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "password too short",
            field="password",
            value="***",
            expected=f"at least {MIN_PASSWORD_LENGTH} characters",
        )
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            "a user with this email exists",
            field="email",
            value=email,
            expected="an email not yet registered",
        )
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        pseudonym=_new_pseudonym(db),
        password_hash=hash_password(password),
        is_operator=is_operator,
    )
    db.add(user)
    db.flush()
    if is_worker or worker_country:
        db.add(Worker(user_id=user.id, country=(worker_country or None)))
        db.flush()
    return user


def _new_pseudonym(db: Session) -> str:
    """Clients see work by pseudonym, never a worker's name or email."""
    while True:
        candidate = "W-" + secrets.token_hex(3).upper()
        if db.scalar(select(User.id).where(User.pseudonym == candidate)) is None:
            return candidate


def authenticate(db: Session, email: str, password: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        spend_verification(password)
    if user is None or not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized("wrong email or password")
    return user


class SignInFailed(Unauthorized):
    """401 for a wrong email or password; `locked` names the lock this failure started."""

    def __init__(self, locked: str | None) -> None:
        reason = "wrong email or password"
        super().__init__(f"{reason}; too many failed sign-ins: {locked}" if locked else reason)
        self.locked = locked


def sign_in(db: Session, email: str, password: str, address: str | None) -> User:
    """`authenticate`, throttled per email address and per client address (auth.throttle).
    The caller commits even when this raises SignInFailed: the failure it counted must stay."""
    settings = settings_of(db)
    now = utcnow()
    attempt = throttle.attempt(settings, email, address)
    throttle.refuse_if_locked(db, attempt, now)
    try:
        user = authenticate(db, email, password)
    except Unauthorized:
        limits = throttle.Limits.of(settings)
        locks = throttle.record_failure(db, limits, attempt, now)
        for lock in locks:
            _record_lock(db, attempt, lock, limits)
        raise SignInFailed(throttle.locked_phrase(locks, now) if locks else None) from None
    throttle.clear_account(db, attempt)
    return user


def _record_lock(
    db: Session, attempt: throttle.Attempt, lock: throttle.Lock, limits: throttle.Limits
) -> None:
    """A log line for the operator; an account's lock is also an event in its owner's
    audit trail, so that they learn someone tried their password."""
    until = lock.until.isoformat(timespec="seconds")
    if lock.scope == throttle.Scope.client:
        log.warning(
            "sign-ins from %s locked until %s: too many failures", attempt.client_key, until
        )
        return
    owner = db.scalar(select(User.id).where(User.email == attempt.email))
    log.warning(
        "sign-in to %s locked until %s: too many failures, the last from %s",
        f"user {owner}" if owner else "an email address without an account",
        until,
        attempt.client_key,
    )
    if owner is not None:
        data = {
            "locked_until": lock.until.isoformat(),
            "failures": limits.account_failures,
            "window_minutes": int(limits.window.total_seconds() // 60),
            "client": attempt.client_key,
        }
        audit.record(db, worker_id=owner, kind=AuditKind.sign_in_locked, data=data)


def create_token(db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    secret = new_secret()
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=digest(secret))
    db.add(token)
    db.flush()
    return token, secret


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(
            "no such token",
            field="token_id",
            value=token_id,
            expected="the id of one of your tokens",
        )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def start_web_session(db: Session, user: User, days: int) -> tuple[WebSession, str]:
    secret = new_secret("fls_")
    session = WebSession(
        user_id=user.id,
        token_hash=digest(secret),
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + timedelta(days=days),
    )
    db.add(session)
    db.flush()
    return session, secret


def web_session_for(db: Session, secret: str) -> WebSession | None:
    session = db.scalar(select(WebSession).where(WebSession.token_hash == digest(secret)))
    if session is None or session.expires_at < utcnow():
        return None
    if not session.user.is_active:
        return None
    return session


def end_web_session(db: Session, secret: str) -> None:
    session = db.scalar(select(WebSession).where(WebSession.token_hash == digest(secret)))
    if session is not None:
        db.delete(session)


# --- who is calling, cached ---------------------------------------------------------------

CredentialKind = Literal["token", "session"]


class PrincipalCache:
    """Principals by credential hash for `ttl` seconds at most. The generation, bumped on each
    invalidation, stops a lookup that read before one from storing what it read after it."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, principal: Principal, generation: int, until: float) -> None:
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (min(until, time.monotonic() + self.ttl), principal)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


principals = PrincipalCache(PRINCIPAL_TTL_SECONDS)


def _caller_query(
    credential: type[ApiToken] | type[WebSession],
) -> Select[int, str, bool, bool, int, str]:
    """The caller's columns in one statement, one row per membership (one row without any)."""
    return (
        select(
            User.id,
            User.pseudonym,
            User.is_operator,
            Worker.user_id.is_not(None),
            Membership.organization_id,
            Membership.role,
        )
        .select_from(credential)
        .join(User, User.id == credential.user_id)
        .outerjoin(Worker, Worker.user_id == User.id)
        .outerjoin(Membership, Membership.user_id == User.id)
        .where(credential.token_hash == bindparam("p_hash"), User.is_active)
    )


TOKEN_CALLER = _caller_query(ApiToken).where(ApiToken.revoked_at.is_(None))
SESSION_CALLER = _caller_query(WebSession).add_columns(WebSession.csrf_token, WebSession.expires_at)


def cached_principal(kind: CredentialKind, secret: str) -> tuple[str, Principal | None]:
    """The cache key of a credential and its principal, if cached."""
    key = f"{kind}:{digest(secret)}"
    return key, principals.get(key)


def lookup_principal(database: Database, kind: CredentialKind, key: str) -> Principal | None:
    """Look a credential up in a read transaction of its own (on SQLite a write request
    would otherwise take the write lock for it) and cache what is found."""
    generation = principals.generation
    query = TOKEN_CALLER if kind == "token" else SESSION_CALLER
    with database.session(write=False) as db:
        rows = db.execute(query, {"p_hash": key.split(":", 1)[1]}).all()
    if not rows:
        return None
    first = rows[0]
    until = time.monotonic() + principals.ttl
    csrf_token = None
    if kind == "session":
        csrf_token, expires_at = first[6], first[7]
        remaining = (expires_at - utcnow()).total_seconds()
        if remaining <= 0:
            return None
        until = min(until, time.monotonic() + remaining)
    principal = Principal(
        id=first[0],
        pseudonym=first[1],
        is_operator=first[2],
        is_worker=first[3],
        roles={row[4]: row[5] for row in rows if row[4] is not None},
        csrf_token=csrf_token,
    )
    principals.put(key, principal, generation, until)
    return principal


#: Tables whose changes can change who a credential belongs to or what it may do.
_ACCOUNT_TABLES = frozenset(
    {"users", "workers", "memberships", "organizations", "api_tokens", "web_sessions"}
)
_ACCOUNT_CLASSES = (User, Worker, Membership, Organization, ApiToken, WebSession)


@event.listens_for(Session, "after_flush")
def _forget_on_flush(session: Session, _context: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, _ACCOUNT_CLASSES) for obj in changed):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_statement(state: ORMExecuteState) -> None:
    """Bulk UPDATE and DELETE statements on account tables, ORM-enabled or plain Core."""
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if isinstance(table, Table) and table.name in _ACCOUNT_TABLES:
            _forget(state.session)


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session: Session) -> None:
    """Again once committed: a lookup between flush and commit may have read the old rows."""
    if session.info.pop("accounts_changed", False):
        principals.clear()


def _forget(session: Session) -> None:
    session.info["accounts_changed"] = True
    principals.clear()
