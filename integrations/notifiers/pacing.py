"""Slack pacing: at most one message per second per webhook URL (a per-key token bucket)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class SlackPacer:
    """Per-key token bucket (GCRA): `burst` messages at once, then one per `interval` seconds.

    `await pacer.wait(key)` reserves the next slot and sleeps until it. Reservation happens
    before the first await, so concurrent callers on one key are spaced, never bunched.
    """

    def __init__(
        self,
        *,
        interval: float = 1.0,
        burst: int = 1,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval <= 0 or burst < 1:
            raise ValueError("interval must be > 0 and burst >= 1")
        self.interval = interval
        self.burst = burst
        self.enabled = enabled
        self._clock = clock
        self._sleep = sleep
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next message

    def reserve(self, key: str) -> float:
        """Take the next slot for `key`; return how many seconds to wait for it (0 if free)."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        delay = max(0.0, tat - (self.burst - 1) * self.interval - now)
        self._tat[key] = tat + self.interval
        return delay

    def ready_in(self, key: str) -> float:
        """Seconds until `key` may send again, without taking the slot (0 if free now)."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        return max(0.0, tat - (self.burst - 1) * self.interval - now)

    async def wait(self, key: str) -> float:
        """Wait until `key` may send again; return the seconds waited."""
        delay = self.reserve(key)
        if delay > 0:
            await self._sleep(delay)
        return delay

    def defer(self, key: str, seconds: float) -> None:
        """Hold `key` back for `seconds` (after Slack answered 429 with Retry-After)."""
        if not self.enabled or seconds <= 0:
            return
        until = self._clock() + seconds
        self._tat[key] = max(self._tat.get(key, until), until)
