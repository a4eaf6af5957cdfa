"""API keys at rest: AES-GCM under a key derived (HKDF-SHA256) from the deployment secret,
bound to the organization, so that a ciphertext copied to another organization's row does
not decrypt. Changing FAIRLABEL_SECRET_KEY makes stored keys unreadable: they must then be
entered again."""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fairlabel.errors import Conflict, ValidationFailed

VERSION = "v1"
_INFO = b"fairlabel model endpoint api keys v1"
#: Keys shorter than this show no last characters: four of eight would be half the key.
SHOWN_FROM_LENGTH = 12


def _cipher(secret_key: str) -> AESGCM:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return AESGCM(kdf.derive(secret_key.encode()))


def _context(organization_id: int) -> bytes:
    return f"organization:{organization_id}".encode()


def encrypt(secret_key: str, organization_id: int, api_key: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(secret_key).encrypt(nonce, api_key.encode(), _context(organization_id))
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(secret_key: str, organization_id: int, stored: str, endpoint_id: int) -> str:
    version, _, payload = stored.partition(".")
    try:
        if version != VERSION:
            raise ValueError(version)
        raw = base64.urlsafe_b64decode(payload)
        opened = _cipher(secret_key).decrypt(raw[:12], raw[12:], _context(organization_id))
    except (InvalidTag, ValueError):
        raise Conflict(
            "the endpoint's stored API key cannot be read with this deployment's secret key "
            "(was FAIRLABEL_SECRET_KEY changed?); enter the key again",
            field="endpoint_id",
            value=endpoint_id,
            expected="an API key stored under the current secret key",
        ) from None
    return opened.decode()


MAX_LENGTH = 1000


def clean(api_key: str | None) -> str | None:
    """The key as given, trimmed; blank is no key. A refusal never repeats the value."""
    if api_key is None or not api_key.strip():
        return None
    api_key = api_key.strip()
    if len(api_key) > MAX_LENGTH or not api_key.isascii() or not api_key.isprintable():
        raise ValidationFailed(
            "not an API key (the value is not repeated here)",
            field="api_key",
            value=None,
            expected=f"printable ASCII, at most {MAX_LENGTH} characters",
        )
    if any(c.isspace() for c in api_key):
        raise ValidationFailed(
            "an API key has no spaces inside (the value is not repeated here)",
            field="api_key",
            value=None,
            expected="the key as the provider shows it",
        )
    return api_key


def last4(api_key: str) -> str | None:
    return api_key[-4:] if len(api_key) >= SHOWN_FROM_LENGTH else None
