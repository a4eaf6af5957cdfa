"""Errors that reach clients as a specific 4xx naming the field, the value and what was expected."""

from typing import Any


class FairlabelError(Exception):
    """Base of every expected failure; the app turns it into a JSON 4xx answer."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        expected: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.expected = expected
        self.details = details or []

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the answer carries besides its body (a Retry-After)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
            body["value"] = shorten(self.value)
        if self.expected is not None:
            body["expected"] = self.expected
        if self.details:
            body["details"] = self.details
        return {"error": body}


def shorten(value: Any, limit: int = 200) -> Any:
    """Echo the offending value back, but never a megabyte of it."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    if isinstance(value, list | dict) and len(repr(value)) > limit:
        return repr(value)[:limit] + "…"
    return value


class ValidationFailed(FairlabelError):
    status_code = 422
    code = "invalid"


class NotFound(FairlabelError):
    status_code = 404
    code = "not_found"


class Forbidden(FairlabelError):
    status_code = 403
    code = "forbidden"


class Unauthorized(FairlabelError):
    status_code = 401
    code = "unauthorized"


class Conflict(FairlabelError):
    status_code = 409
    code = "conflict"


class Gone(FairlabelError):
    """A lease that expired: the work is no longer this worker's to submit."""

    status_code = 410
    code = "lease_expired"


class PayloadTooLarge(FairlabelError):
    status_code = 413
    code = "too_large"


class TooManyRequests(FairlabelError):
    """429: refused without being looked at, until `retry_after` seconds have passed."""

    status_code = 429
    code = "too_many_requests"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        field: str | None = None,
        value: Any = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message, field=field, value=value, expected=expected)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
