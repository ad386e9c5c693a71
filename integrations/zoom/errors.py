"""Typed errors raised by the Zoom client.

Every non-2xx answer from Zoom (and every network or decoding failure) becomes one of these::

    ZoomError(status, code, message, retryable)
    ├── ZoomAuthError            401/124 on the API, or any token-endpoint failure (OAuth body)
    ├── ZoomNotFound             404 with 3001 (meeting/webinar) or 1001 (user)
    ├── ZoomValidationError      400 with 300; `.field_errors` lists {"field", "message"}
    ├── ZoomRateLimited          429/4001 per-second (retryable) or the daily cap (`.daily`)
    ├── ZoomServerError          5xx (retryable for idempotent calls only)
    ├── ZoomTransportError       network failure, no HTTP answer (`.reached_zoom` may be unknown)
    └── ZoomProtocolError        Zoom answered 2xx/4xx with a body that is not the JSON we expect

`status` is the HTTP status (0 when there was no answer), `code` the vendor code from the body
(None when absent). `retryable` says whether repeating the same request can succeed without change;
the retry layer still decides per method whether a repeat is safe.
"""

from __future__ import annotations

from dataclasses import dataclass


class ZoomError(Exception):
    """Base class: a failed Zoom call, with HTTP status, Zoom code, message and retryability."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: int | str | None = None,
        retryable: bool = False,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retryable = retryable
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" [{self.method} {self.path}]" if self.method else ""
        return f"{type(self).__name__}(status={self.status}, code={self.code}): {self.message}{where}"


class ZoomAuthError(ZoomError):
    """Credentials rejected: token endpoint error (OAuth `error`/`reason`) or 401 on the API."""

    def __init__(self, message: str, *, oauth_error: str | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.oauth_error = oauth_error


class ZoomNotFound(ZoomError):
    """The user (1001) or meeting/webinar (3001) does not exist in Zoom."""


@dataclass(frozen=True)
class FieldError:
    """One entry of Zoom's `errors` list on a 300 validation failure."""

    field: str
    message: str


class ZoomValidationError(ZoomError):
    """Zoom rejected the request body or parameters (code 300 and friends, HTTP 400)."""

    def __init__(self, message: str, *, field_errors: tuple[FieldError, ...] = (), **kw) -> None:
        super().__init__(message, **kw)
        self.field_errors = field_errors


class ZoomRateLimited(ZoomError):
    """HTTP 429 (or the legacy 300 daily-cap answer); `daily` means wait until 00:00 UTC."""

    def __init__(self, message: str, *, daily: bool = False, retry_after: float | None = None, **kw) -> None:
        kw.setdefault("retryable", not daily)
        super().__init__(message, **kw)
        self.daily = daily
        self.retry_after = retry_after


class ZoomServerError(ZoomError):
    """Zoom answered 5xx."""


class ZoomTransportError(ZoomError):
    """No HTTP answer: connect failure, timeout or broken connection."""

    def __init__(self, message: str, *, reached_zoom: bool | None = None, **kw) -> None:
        kw.setdefault("retryable", True)
        super().__init__(message, **kw)
        # False only when we know the request never left (connect failed); None = unknown.
        self.reached_zoom = reached_zoom


class ZoomProtocolError(ZoomError):
    """Zoom's answer could not be decoded into the expected shape."""
