"""How a delivery is signed, after Stripe's scheme, so that a receiver can tell it came
from this server and is not a replay of an old one.

Each POST carries `Fairlabel-Timestamp` (Unix seconds at the attempt) and
`Fairlabel-Signature: v1=<hex>`, the HMAC-SHA256 under the receiver's secret of the bytes
`<timestamp>.<body>`. A receiver recomputes it over the raw body, compares in constant time,
and refuses a timestamp more than a few minutes from its own clock. Each attempt is signed
afresh; the body (and its `id`, to drop a repeat) is the same in every attempt."""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "Fairlabel-Timestamp"
SIGNATURE_HEADER = "Fairlabel-Signature"
EVENT_HEADER = "Fairlabel-Event"
DELIVERY_HEADER = "Fairlabel-Delivery"
VERSION = "v1"
#: How far a receiver should let the timestamp be from its own clock, in seconds.
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    signed = str(timestamp).encode() + b"." + body
    return f"{VERSION}={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    sent: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: a timestamp close to now and a matching signature (one of
    several, comma-separated, may match: a secret being rotated)."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - moment) > tolerance:
        return False
    expected = signature(secret, moment, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in sent.split(","))
