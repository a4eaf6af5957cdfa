"""Sign-in throttling: failed sign-ins counted per email address and per client address in
the database, so that every server process counts the same failures and honours the same
locks; past a limit, signing in is locked for a while and refused without the password being
checked (429 with Retry-After).

An email address is counted whether an account has it or not, and a locked one is refused
in the same words, so the answers never tell which addresses are registered."""

import hashlib
import hmac
import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.config import Settings
from fairlabel.errors import TooManyRequests
from fairlabel.models import SignInThrottle

THROTTLES = cast(Table, SignInThrottle.__table__)


class Scope(StrEnum):
    account = "account"
    client = "client"


SUBJECTS = {Scope.account: "with this email address", Scope.client: "from your network address"}


@dataclass(frozen=True, slots=True)
class Limits:
    """The deployment's limits; a limit of 0 counts nothing in its scope."""

    account_failures: int
    client_failures: int
    window: timedelta
    lockout: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(
            account_failures=settings.sign_in_max_failures,
            client_failures=settings.sign_in_client_max_failures,
            window=timedelta(minutes=settings.sign_in_window_minutes),
            lockout=timedelta(minutes=settings.sign_in_lockout_minutes),
        )

    def most(self, scope: Scope) -> int:
        return self.account_failures if scope == Scope.account else self.client_failures


@dataclass(frozen=True, slots=True)
class Attempt:
    """Where one sign-in attempt counts: the email address as typed, and the two keys."""

    email: str
    account_key: str
    client_key: str | None

    def scoped(self, limits: Limits) -> list[tuple[Scope, str]]:
        keys = [(Scope.account, self.account_key), (Scope.client, self.client_key)]
        return [(scope, key) for scope, key in keys if key is not None and limits.most(scope)]


@dataclass(frozen=True, slots=True)
class Lock:
    scope: Scope
    until: datetime


def attempt(settings: Settings, email: str, address: str | None) -> Attempt:
    """The email is keyed by an HMAC under the deployment's secret: the table never holds
    what was typed in the email box (sometimes a password)."""
    email = email.strip().lower()
    account_key = hmac.new(settings.secret_key.encode(), email.encode(), hashlib.sha256)
    return Attempt(email, account_key.hexdigest(), client_key(address))


def client_key(address: str | None) -> str | None:
    """An IPv6 client counts by its /64 network, which one subscriber is usually given whole;
    an IPv4-mapped IPv6 address counts as its IPv4 address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


class SignInLocked(TooManyRequests):
    """429 for a sign-in refused while its email address or its client address is locked."""

    code = "sign_in_locked"

    def __init__(self, attempt: Attempt, locks: Sequence[Lock], now: datetime) -> None:
        self.phrase = locked_phrase(locks, now)
        until = max(lock.until for lock in locks)
        scope = max(locks, key=lambda lock: lock.until).scope
        super().__init__(
            f"too many failed sign-ins: {self.phrase}; the password was not checked",
            retry_after=max(1, math.ceil((until - now).total_seconds())),
            field="email" if scope == Scope.account else "client",
            value=attempt.email if scope == Scope.account else attempt.client_key,
            expected=f"a sign-in after {until.isoformat(timespec='seconds')}",
        )


def locked_phrase(locks: Sequence[Lock], now: datetime) -> str:
    """'signing in with this email address is locked until 2026-12-05 14:05 UTC (in 15
    minutes)'; the time is rounded up to the minute, never shown earlier than it is."""
    until = max(lock.until for lock in locks)
    subjects = " and ".join(SUBJECTS[lock.scope] for lock in locks)
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return (
        f"signing in {subjects} is locked until {shown:%Y-%m-%d %H:%M} UTC "
        f"(in {minutes} minute{'s' if minutes != 1 else ''})"
    )


LOCKS = select(THROTTLES.c.scope, THROTTLES.c.locked_until).where(
    or_(
        and_(THROTTLES.c.scope == Scope.account.value, THROTTLES.c.key == bindparam("p_account")),
        and_(THROTTLES.c.scope == Scope.client.value, THROTTLES.c.key == bindparam("p_client")),
    ),
    THROTTLES.c.locked_until > bindparam("p_now"),
)


def refuse_if_locked(db: Session, attempt: Attempt, now: datetime) -> None:
    """Before the password is looked at, so that a locked sign-in tells nothing about it."""
    params = {"p_account": attempt.account_key, "p_client": attempt.client_key, "p_now": now}
    locks = [Lock(Scope(scope), until) for scope, until in db.execute(LOCKS, params)]
    if locks:
        raise SignInLocked(attempt, locks, now)


def _count_failure(dialect_insert: Any) -> Any:
    """One more failure in the window, or the first of a new window once it has passed: one
    statement, so concurrent failures from several processes are all counted."""
    statement = dialect_insert(THROTTLES).values(
        scope=bindparam("p_scope"),
        key=bindparam("p_key"),
        failures=1,
        window_started_at=bindparam("p_now"),
        locked_until=None,
    )
    window_over = THROTTLES.c.window_started_at <= bindparam("p_window_start")
    return statement.on_conflict_do_update(
        index_elements=[THROTTLES.c.scope, THROTTLES.c.key],
        set_={
            "failures": case((window_over, 1), else_=THROTTLES.c.failures + 1),
            "window_started_at": case(
                (window_over, statement.excluded.window_started_at),
                else_=THROTTLES.c.window_started_at,
            ),
        },
    ).returning(THROTTLES.c.failures)


COUNT_FAILURE = {
    "postgresql": _count_failure(postgresql.insert),
    "sqlite": _count_failure(sqlite.insert),
}

#: A lock starts a new window, so that failures go on counting from nothing once it ends.
LOCK = (
    update(THROTTLES)
    .where(THROTTLES.c.scope == bindparam("p_scope"), THROTTLES.c.key == bindparam("p_key"))
    .values(failures=0, window_started_at=bindparam("p_now"), locked_until=bindparam("p_until"))
)

#: Rows whose window has passed and that lock nothing mean nothing any more.
PRUNE = delete(THROTTLES).where(
    THROTTLES.c.window_started_at <= bindparam("p_window_start"),
    or_(THROTTLES.c.locked_until.is_(None), THROTTLES.c.locked_until <= bindparam("p_now")),
)


def record_failure(db: Session, limits: Limits, attempt: Attempt, now: datetime) -> list[Lock]:
    """Count a failed sign-in in each scope; the locks this failure started."""
    count = COUNT_FAILURE[db.get_bind().dialect.name]
    window_start = now - limits.window
    db.execute(PRUNE, {"p_window_start": window_start, "p_now": now})
    locks = []
    for scope, key in attempt.scoped(limits):
        where = {"p_scope": scope.value, "p_key": key, "p_now": now}
        failures = db.execute(count, {**where, "p_window_start": window_start}).scalar_one()
        if failures >= limits.most(scope):
            until = now + limits.lockout
            db.execute(LOCK, {**where, "p_until": until})
            locks.append(Lock(scope, until))
    return locks


def clear_account(db: Session, attempt: Attempt) -> None:
    """A successful sign-in forgets its email address's failures; its client address's stay,
    or one account of their own would let an attacker reset the count of their address."""
    db.execute(
        delete(THROTTLES).where(
            THROTTLES.c.scope == Scope.account.value, THROTTLES.c.key == attempt.account_key
        )
    )
