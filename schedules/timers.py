"""Countdown timers (respondents' slots and any named timer), replayed from host actions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from schedules.adjustments import (
    Adjustment,
    TimerAdd,
    TimerPause,
    TimerResume,
    TimerStart,
    TimerStop,
)


class TimerStatus(StrEnum):
    running = "running"
    paused = "paused"
    stopped = "stopped"


@dataclass(frozen=True)
class Timer:
    """A countdown's state after replaying every action on it."""

    id: str
    label: str
    started_at: datetime
    seconds: int
    segment: str | None = None
    slot: int | None = None
    person: str | None = None
    paused_total: timedelta = timedelta(0)
    paused_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def status(self) -> TimerStatus:
        if self.stopped_at is not None:
            return TimerStatus.stopped
        return TimerStatus.paused if self.paused_at is not None else TimerStatus.running

    @property
    def ends_at(self) -> datetime | None:
        """When it reaches zero, or None while paused or stopped."""
        if self.status is not TimerStatus.running:
            return None
        return self.started_at + timedelta(seconds=self.seconds) + self.paused_total

    def remaining_at(self, now: datetime) -> timedelta:
        """Time left at `now` (negative once over time)."""
        frozen = self.stopped_at or self.paused_at
        at = min(now, frozen) if frozen else now
        used = at - self.started_at - self.paused_total
        return timedelta(seconds=self.seconds) - used


def replay_timers(adjustments: list[Adjustment]) -> dict[str, Timer]:
    """Every timer's state after the host actions, keyed by timer id (in start order)."""
    timers: dict[str, Timer] = {}
    for adj in sorted(adjustments, key=lambda a: (a.at, a.seq)):
        if isinstance(adj, TimerStart):
            timers[adj.timer_id] = Timer(adj.timer_id, adj.label, adj.at, adj.seconds, adj.segment,
                                         adj.slot, adj.person)
            continue
        timer = timers.get(getattr(adj, "timer_id", ""))
        if timer is None or timer.status is TimerStatus.stopped:
            continue
        if isinstance(adj, TimerPause) and timer.paused_at is None:
            timers[timer.id] = replace(timer, paused_at=adj.at)
        elif isinstance(adj, TimerResume) and timer.paused_at is not None:
            timers[timer.id] = replace(timer, paused_at=None,
                                       paused_total=timer.paused_total + (adj.at - timer.paused_at))
        elif isinstance(adj, TimerAdd):
            timers[timer.id] = replace(timer, seconds=max(0, timer.seconds + adj.seconds))
        elif isinstance(adj, TimerStop):
            timers[timer.id] = replace(timer, stopped_at=adj.at)
    return timers
