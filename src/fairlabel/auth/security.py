"""Secrets: argon2 password hashes, and random tokens stored only as SHA-256."""

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "fl_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _unused_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_verification(password: str) -> None:
    """Take the time a verification takes, for an email without an account: a quicker
    answer would tell which addresses are registered."""
    verify_password(_unused_hash(), password)


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Tokens are long random strings, so a fast hash is enough (no brute force is feasible)."""
    return hashlib.sha256(secret.encode()).hexdigest()
