"""Typed errors raised by the notifier adapters.

    NotifierError
    ├── TargetConfigError   a target is misconfigured (bad URL for its kind, missing token...)
    ├── TemplateError       a message template does not compile or names unknown variables
    ├── SignatureError      a Standard Webhooks signature is missing, malformed, stale or wrong
    └── DeliveryError       a remote answered non-2xx or could not be reached (status, vendor code)

`send()` never raises for remote failures: it returns a `DeliveryOutcome`, whose `as_error()`
gives the matching `DeliveryError` for callers that prefer exceptions.
"""

from __future__ import annotations


class NotifierError(Exception):
    """Base class of every notifier error."""


class TargetConfigError(NotifierError, ValueError):
    """A target configuration is invalid; the message says how to fix it (secrets masked)."""

    def __init__(self, message: str, *, target_id: str | None = None) -> None:
        prefix = f"target '{target_id}': " if target_id else ""
        super().__init__(prefix + message)
        self.target_id = target_id


class TemplateError(NotifierError, ValueError):
    """A message template is invalid (syntax error or unknown variable), found at config time."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(message + where)
        self.line = line


class SignatureError(NotifierError):
    """A Standard Webhooks signature did not verify."""


class DeliveryError(NotifierError):
    """A delivery failed: HTTP status (0 when there was no answer), vendor code, retryability."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        vendor_code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.vendor_code = vendor_code
        self.retryable = retryable
        self.retry_after = retry_after

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.vendor_code}, "
            f"retryable={self.retryable}): {self.message}"
        )
