"""Injectable clocks: real time for events, scaled time for rehearsals, manual time for tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the engine needs to know about time."""

    def now(self) -> datetime:
        """The current event time (aware UTC)."""

    def real_delay(self, until: datetime) -> float:
        """Real seconds to wait until event time `until` (0 if already past)."""

    def owe(self, who: str, at: datetime | None) -> None:
        """`who` has something to do at event time `at` (None: nothing now). A paced clock (a
        rehearsal's) does not run past `at` until `who` says otherwise; real time cannot wait."""


class SystemClock:
    """Wall-clock time."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def real_delay(self, until: datetime) -> float:
        return max(0.0, (until - self.now()).total_seconds())

    def owe(self, who: str, at: datetime | None) -> None:
        pass  # the day itself does not wait for the service


class ScaledClock:
    """Event time runs `speed` times faster than real time from `start` (for rehearsals)."""

    def __init__(self, start: datetime, speed: float = 1.0):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start, self.speed = start, speed
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def real_delay(self, until: datetime) -> float:
        return max(0.0, (until - self.now()).total_seconds() / self.speed)

    def owe(self, who: str, at: datetime | None) -> None:
        pass  # unpaced: see the rehearsal's clock (app/rehearsal/clock.py) for one that waits


class ManualClock:
    """A clock tests move by hand; real_delay is 0 so nothing ever really waits."""

    speed = 1.0

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def real_delay(self, until: datetime) -> float:
        return 0.0 if until <= self._now else 3600.0

    def owe(self, who: str, at: datetime | None) -> None:
        pass  # it only moves when the test moves it
