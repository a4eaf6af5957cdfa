"""Accounts, API tokens and browser sessions. Functions flush, the caller commits."""

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from fairlabel.auth.security import digest, hash_password, new_secret, verify_password
from fairlabel.db import utcnow
from fairlabel.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from fairlabel.models import ApiToken, User, WebSession, Worker

MIN_PASSWORD_LENGTH = 8


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
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    return user


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


def user_for_token(db: Session, secret: str) -> User | None:
    """One query per API call: the token's active user with its worker profile."""
    return db.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest(secret), ApiToken.revoked_at.is_(None), User.is_active)
        .options(joinedload(User.worker))
    )


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
