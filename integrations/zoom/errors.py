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

import re
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


_CREATES = ("/meetings", "/webinars")


def explain(exc: ZoomError) -> str:
    """One line for a person: what went wrong with Zoom and what to do next (never a traceback)."""
    if isinstance(exc, ZoomTransportError):
        lost_create = exc.method == "POST" and (exc.path or "").endswith(_CREATES)
        if exc.reached_zoom is False:
            return "cannot reach Zoom (connect error): check the network or proxy, and SHOWCALLER_ZOOM_API_BASE"
        if lost_create:
            return (
                "the answer was lost after Zoom may have created the meeting: run `apply` again, it adopts the meeting"
            )
        found = re.search(r"\b[A-Z][A-Za-z]*(?:Error|Timeout)\b", exc.message)
        cause = found.group(0) if found else exc.message
        return f"Zoom did not answer ({cause}): check the network or proxy, then run the command again"
    if isinstance(exc, ZoomAuthError):
        return (
            f"Zoom refused the credentials ({exc.message}): check SHOWCALLER_ZOOM_ACCOUNT_ID, _CLIENT_ID and "
            "_CLIENT_SECRET against the Server-to-Server OAuth app, and that the app is activated"
        )
    if isinstance(exc, ZoomRateLimited):
        if exc.daily:
            return f"Zoom's daily limit is spent ({exc.message}): run the command again after 00:00 UTC"
        return f"Zoom's rate limit was hit ({exc.message}): wait a minute and run the command again"
    if isinstance(exc, ZoomServerError):
        return f"Zoom failed (HTTP {exc.status}): try again in a few minutes (status.zoom.us shows outages)"
    if isinstance(exc, ZoomNotFound):
        return f"Zoom has no such object ({exc.message}): check zoom.host, or run `apply` to create it again"
    if isinstance(exc, ZoomValidationError):
        fields = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors)
        detail = f"{exc.message}" + (f" ({fields})" if fields else "")
        return f"Zoom refused the request: {detail}: correct the schedule's zoom section and run `apply` again"
    if isinstance(exc, ZoomProtocolError):
        return f"Zoom's answer could not be read ({exc.message}): check that SHOWCALLER_ZOOM_API_BASE points at Zoom"
    code = f", code {exc.code}" if exc.code is not None else ""
    return f"Zoom refused (HTTP {exc.status}{code}): {exc.message}: correct the cause and run the command again"
