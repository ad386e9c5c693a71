"""Client-side pacing per Zoom rate-limit category, so Zoom never has to answer 429.

Every Zoom operation carries a Rate Limit Label (LIGHT, MEDIUM, HEAVY, resource-intensive); the
per-second and daily limits apply per category and account (API notes §2, [RL]). `Pacer`
spaces the calls of each category at most `rate` per second (a little under the limit, since
the network adds jitter) and counts them per UTC day; a spent daily budget raises
`ZoomRateLimited(daily=True)` before anything is sent.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from integrations.zoom.errors import ZoomRateLimited

LIGHT, MEDIUM, HEAVY, RESOURCE_INTENSIVE = "light", "medium", "heavy", "resource_intensive"
CATEGORIES = (LIGHT, MEDIUM, HEAVY, RESOURCE_INTENSIVE)

# (method, path pattern under /v2, category), from each operation's "Rate Limit Label" in the specs;
# tests/zoom/test_pacing.py checks this table against them.
_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), category)
    for method, pattern, category in (
        ("GET", r"^/users/[^/]+/settings$", MEDIUM),
        ("GET", r"^/users/[^/]+/(meetings|webinars)$", MEDIUM),
        ("GET", r"^/(meetings|webinars)/[^/]+/registrants$", MEDIUM),
        ("GET", r"^/webinars/[^/]+/panelists$", MEDIUM),
        ("POST", r"^/webinars/[^/]+/panelists$", MEDIUM),
        ("GET", r"^/past_(meetings|webinars)/.+/participants$", MEDIUM),
        ("GET", r"^/past_(meetings|webinars)/.+/polls$", MEDIUM),
        ("PATCH", r"^/live_meetings/[^/]+/events$", MEDIUM),
        ("GET", r"^/report/", HEAVY),
    )
)


def category_of(method: str, path: str) -> str:
    """The rate-limit category of `method path` (path relative to /v2); LIGHT unless listed."""
    for rule_method, pattern, category in _RULES:
        if rule_method == method.upper() and pattern.search(path):
            return category
    return LIGHT


@dataclass(frozen=True)
class RateLimits:
    """Calls per second and per UTC day (None: no daily cap) for each category."""

    per_second: dict[str, float]
    daily: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    def plan(cls, name: str) -> RateLimits:
        """Zoom's published limits for an account plan: "free", "pro" or "business" ([RL])."""
        ri = 10 / 60
        if name == "free":
            return cls(
                {LIGHT: 4, MEDIUM: 2, HEAVY: 1, RESOURCE_INTENSIVE: ri},
                {LIGHT: 6000, MEDIUM: 2000, HEAVY: 1000, RESOURCE_INTENSIVE: 30000},
            )
        if name == "pro":
            return cls({LIGHT: 30, MEDIUM: 20, HEAVY: 10, RESOURCE_INTENSIVE: ri}, {HEAVY: 30000})
        if name == "business":
            return cls({LIGHT: 80, MEDIUM: 60, HEAVY: 40, RESOURCE_INTENSIVE: 20 / 60}, {HEAVY: 60000})
        raise ValueError(f"unknown Zoom plan {name!r}: use free, pro or business")


Sleep = Callable[[float], Awaitable[None]]


def _utc_today() -> date:
    return datetime.now(UTC).date()


class Pacer:
    """Spaces calls per category and counts them per UTC day (one per process and account)."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        headroom: float = 0.95,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        today: Callable[[], date] = _utc_today,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be within (0, 1]")
        self.limits = limits
        self._interval = {c: 1.0 / (r * headroom) for c, r in limits.per_second.items() if r > 0}
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._used: dict[tuple[str, date], int] = {}
        self._monotonic = monotonic
        self._sleep = sleep
        self._today = today
        self.waited = 0.0
        self.calls: dict[str, int] = {}

    def used_today(self, category: str) -> int:
        """Calls of `category` counted today."""
        return self._used.get((category, self._today()), 0)

    async def acquire(self, category: str) -> None:
        """Wait for `category`'s next slot; ZoomRateLimited(daily=True) when today's budget is spent."""
        day = self._today()
        cap = self.limits.daily.get(category)
        if cap is not None and self._used.get((category, day), 0) >= cap:
            raise ZoomRateLimited(
                f"the daily {category} budget of {cap} calls is spent; it resets at 00:00 UTC", daily=True, status=0
            )
        self._used[(category, day)] = self._used.get((category, day), 0) + 1
        self.calls[category] = self.calls.get(category, 0) + 1
        interval = self._interval.get(category)
        if interval is None:
            return
        # One caller of a category at a time, and the next slot counted from when this one really
        # woke: slots handed out ahead to many sleepers all came due together after a stall of the
        # event loop (a burst Zoom's one-second window answered with 429 in B6b, one run in two).
        async with self._locks.setdefault(category, asyncio.Lock()):
            now = self._monotonic()
            slot = max(now, self._next.get(category, now))
            if slot > now:
                self.waited += slot - now
                await self._sleep(slot - now)
            self._next[category] = max(slot, self._monotonic()) + interval
