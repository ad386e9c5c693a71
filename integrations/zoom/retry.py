"""Retry policy for Zoom calls: what may be repeated, and how long to wait in between."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from integrations.zoom.errors import (
    ZoomError,
    ZoomRateLimited,
    ZoomServerError,
    ZoomTransportError,
)

Sleep = Callable[[float], Awaitable[None]]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD"})
RETRYABLE_5XX = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a call gets and how the waits between them grow.

    `base * 2**(n-1)` seconds before retry n, capped at `cap`, then reduced by up to `jitter`
    (a fraction, 0..1) so that many clients do not retry in lockstep. A `Retry-After` from Zoom
    replaces the computed wait; one longer than `max_retry_after` is not waited for at all.
    """

    max_attempts: int = 4
    base: float = 0.5
    cap: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within 0..1")
        if self.base < 0 or self.cap < 0:
            raise ValueError("base and cap must be >= 0")

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry `retry_number` (1-based) when Zoom gave no Retry-After."""
        raw = min(self.cap, self.base * (2 ** max(0, retry_number - 1)))
        return raw * (1.0 - self.jitter * rand())


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from `now` named by a Retry-After header (delta-seconds, HTTP-date or ISO-8601)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    when: datetime | None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        when = None
    if when is None:
        try:
            # Zoom's daily-limit answers carry an ISO instant such as 2020-05-31T00:00:00Z.
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def may_retry(method: str, error: ZoomError, *, idempotent: bool | None = None) -> bool:
    """Whether repeating `method` after `error` is both useful and safe.

    A create (POST) is repeated only when Zoom provably did not act on it: the connection was
    never made, or Zoom refused it with a per-second 429. After a read timeout or a 5xx the
    meeting may already exist, so a blind repeat could create a duplicate.
    A write of any method whose answer was lost in transit (read timeout, reset) is not repeated
    either: Zoom may have applied it, and convergence re-reads Zoom and plans only what is left.
    `idempotent=False` marks a PATCH/PUT that acts like a create (e.g. `recording.start` on
    /live_meetings/{id}/events): it is then repeated only where a POST would be.
    """
    if idempotent is None:
        idempotent = method.upper() in IDEMPOTENT_METHODS
    if isinstance(error, ZoomRateLimited):
        return not error.daily
    if isinstance(error, ZoomTransportError):
        if error.reached_zoom is False:
            return True
        return method.upper() in READ_METHODS
    if isinstance(error, ZoomServerError):
        return idempotent and error.status in RETRYABLE_5XX
    return False
