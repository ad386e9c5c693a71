"""Countdown timers (respondents' slots and any named timer), replayed from host actions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from schedules.adjustments import (
    Adjustment,
    EndEvent,
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
    keep: bool = False  # runs on after the show leaves its segment (see timeline.stop_timers_left_behind)

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


def replay_timers(
    adjustments: list[Adjustment], over_grace: timedelta | None = None, until: datetime | None = None
) -> dict[str, Timer]:
    """Every timer's state after the host actions, keyed by timer id (in start order).

    A timer that ran out stops by itself `over_grace` after time-up (None: it runs on until a host
    stops it); the end of the event stops every timer. `until` is the moment the state is wanted for.
    """
    timers: dict[str, Timer] = {}
    changed: dict[str, datetime] = {}  # a timer never stops before the action that last changed it

    def expire(at: datetime) -> None:
        if over_grace is None:
            return
        for timer in list(timers.values()):
            ends = timer.ends_at
            if ends is not None and ends + over_grace <= at:
                timers[timer.id] = replace(timer, stopped_at=max(ends + over_grace, changed[timer.id]))

    ended = False
    for adj in sorted(adjustments, key=lambda a: (a.at, a.seq)):
        expire(adj.at)
        if isinstance(adj, EndEvent) and not ended:
            ended = True
            for running in list(timers.values()):
                if running.status is not TimerStatus.stopped:
                    timers[running.id] = replace(running, stopped_at=adj.at)
            continue
        if hasattr(adj, "timer_id"):
            changed[adj.timer_id] = adj.at
        if isinstance(adj, TimerStart):
            timers[adj.timer_id] = Timer(
                adj.timer_id, adj.label, adj.at, adj.seconds, adj.segment, adj.slot, adj.person, keep=adj.keep
            )
            continue
        timer = timers.get(getattr(adj, "timer_id", ""))
        if timer is None or timer.status is TimerStatus.stopped:
            continue
        if isinstance(adj, TimerPause) and timer.paused_at is None:
            timers[timer.id] = replace(timer, paused_at=adj.at)
        elif isinstance(adj, TimerResume) and timer.paused_at is not None:
            timers[timer.id] = replace(
                timer, paused_at=None, paused_total=timer.paused_total + (adj.at - timer.paused_at)
            )
        elif isinstance(adj, TimerAdd):
            timers[timer.id] = replace(timer, seconds=max(0, timer.seconds + adj.seconds))
        elif isinstance(adj, TimerStop):
            timers[timer.id] = replace(timer, stopped_at=adj.at)
    if until is not None:
        expire(until)
    return timers
