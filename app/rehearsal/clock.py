"""The rehearsal's clock: the agenda at N times speed, paced by what the service still owes.

At 2400x one real second is forty minutes of the agenda. On a busy laptop (or a loaded CI
machine) a fire or a send that takes a second used to let the clock run on past the next cues,
which then fired late or were skipped, and a recording meant to start at the opening started an
hour later. Here the clock does not run past a moment the service still owes (the timer's next
wake until its cues have fired, the sends of a fired cue, the sandbox meeting's next move): the
rehearsal slows down instead of changing what happens. A hold lasts at most `valve` real
seconds, so a part that never answers slows a rehearsal but cannot hang it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime

from app.engine.clock import Clock, ScaledClock

log = logging.getLogger("showcaller.rehearsal")
VALVE = 10.0  # real seconds one moment may be held


class RehearsalClock(ScaledClock):
    """A fast clock that stands still at the rehearsal's start until `go()`, and never runs past
    what is owed (`owe`).

    Setting up (database, Zoom sandbox, servers) takes real seconds, which at 180x are minutes of
    the agenda: on a busy machine the first cues were skipped before anyone could watch them.
    """

    def __init__(self, start: datetime, speed: float, valve: float = VALVE):
        super().__init__(start, speed)
        self.going = False
        self.held = False
        self.valve = valve
        self._owed: dict[str, datetime] = {}
        self._stuck_since: float | None = None  # monotonic time the clock first stood at the limit
        self._released = False  # held past the valve: run on until what is owed changes

    def now(self) -> datetime:
        if not self.going:
            return self.start
        moment, limit = super().now(), self._limit()
        if limit is not None:
            limit = max(limit, self.start)  # a moment owed in the past holds it where it is, never back
        if limit is None or moment <= limit:
            self._stuck_since = None
            return moment
        mono = time.monotonic()
        if self._stuck_since is None:
            self._stuck_since = mono
        elif mono - self._stuck_since > self.valve:
            log.warning("the rehearsal clock waited %.0f s for %s; it runs on", self.valve, ", ".join(self._owed))
            self._released, self._stuck_since = True, None
            return moment
        # Standing at the limit: the time spent here is not made up later (no jump on release).
        self.start, self._t0 = limit, mono
        return limit

    def _limit(self) -> datetime | None:
        return None if self._released or not self._owed else min(self._owed.values())

    def owe(self, who: str, at: datetime | None) -> None:
        if self.going:  # settle where the clock stands before the limit moves (no jump on release)
            standing = self.now()
            at = None if at is None else max(at, standing)  # a past moment holds it there, never back
        if at is None:
            self._owed.pop(who, None)
        else:
            self._owed[who] = at
        self._released = False

    def real_delay(self, until: datetime) -> float:
        if self.going:
            return super().real_delay(until)
        if self.held:  # a moment's hold: whoever waits wakes as if the clock ran on
            return max(0.0, (until - self.start).total_seconds() / self.speed)
        return 0.0 if until <= self.start else 3600.0  # re-armed by go()

    def go(self) -> None:
        self._t0 = time.monotonic()
        self.going, self.held = True, False

    def hold(self) -> None:
        """Stand still at the present moment until `go()` again, for a moment (a button press at
        180x would otherwise take minutes of the agenda); re-arm the timer after `go()`."""
        if self.going:
            self.start, self.going, self.held = self.now(), False, True


@contextlib.asynccontextmanager
async def at_moment(clock: Clock, who: str, at: datetime) -> AsyncIterator[None]:
    """Wait until event time `at` on `clock`, and keep a paced clock from passing it until the
    body is done: a rehearsal's host action or meeting move happens at its moment of the agenda,
    not wherever a fast clock got to while a busy machine woke the task."""
    clock.owe(who, at)
    try:
        while clock.now() < at:
            await asyncio.sleep(clock.real_delay(at))
        yield
    finally:
        clock.owe(who, None)
