"""Replay live adjustments over the planned agenda: projected and actual segment times.

The model is Ontime's running offset: a late start or a reported delay pushes every later segment
back, unless flexible segments (open discussions) absorb it by shrinking (not below min_duration),
so the event still closes on time when it can. An early show ends early by default (run.early:
end_early); with run.early: absorb flexible segments grow, each up to its max_duration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from schedules.adjustments import Adjustment, Advance, Delay, EndEvent, Hold, Resume
from schedules.model import Schedule, Segment
from schedules.resolve import planned_segments


class SegmentStatus(StrEnum):
    upcoming = "upcoming"
    live = "live"
    done = "done"
    skipped = "skipped"


@dataclass(frozen=True)
class SegmentTiming:
    """One segment: what the file planned and what is projected (or happened)."""

    id: str
    index: int
    planned_start: datetime
    planned_end: datetime
    start: datetime
    end: datetime
    skipped: bool = False
    occurrence: int = 1

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def status_at(self, now: datetime) -> SegmentStatus:
        """Where this segment stands at `now`."""
        if self.skipped:
            return SegmentStatus.skipped
        if now < self.start:
            return SegmentStatus.upcoming
        return SegmentStatus.live if now < self.end else SegmentStatus.done


def flexible_floor(segment: Segment, row: SegmentTiming) -> timedelta:
    """The shortest a late show makes a flexible segment: its min_duration, else half its planned length."""
    return segment.min_duration or (row.planned_end - row.planned_start) / 2


def flexible_ceiling(segment: Segment, row: SegmentTiming) -> timedelta:
    """The longest an early show makes a flexible segment (run.early: absorb): its max_duration, else
    its planned length (it may win back what a delay took, never more than planned)."""
    return segment.max_duration or (row.planned_end - row.planned_start)


def absorbed_duration(
    segment: Segment, row: SegmentTiming, duration: timedelta, offset: timedelta, early: str
) -> timedelta:
    """The new length of a flexible segment of length `duration` when the show is `offset` late
    (negative: early), within the early/late budget.

    Late: it shrinks, not below its floor (nor grows if it is already below it). Early: with
    run.early `end_early` it keeps its length, so the rest moves up and the event ends early; with
    `absorb` it grows, not beyond its ceiling (nor shrinks if it is already above it). Whatever is not
    absorbed moves every later segment, so an early or late show is never hidden in one segment.
    """
    if offset > timedelta(0):
        return min(duration, max(flexible_floor(segment, row), duration - offset))
    if early != "absorb":
        return duration
    return max(duration, min(flexible_ceiling(segment, row), duration - offset))


@dataclass
class _Replay:
    """Rows in time order; `held` and every `i`/`k` here are positions in `rows`, not file indexes."""

    schedule: Schedule
    rows: list[SegmentTiming]
    held: tuple[int, datetime] | None = None
    ended_at: datetime | None = None

    def current(self, at: datetime) -> int | None:
        """Position of the segment running at `at` (the held one while on hold)."""
        if self.held is not None:
            return self.held[0]
        live = None
        for k, row in enumerate(self.rows):
            if not row.skipped and row.start <= at:
                live = k
        return live

    def reflow(self, first: int, offset: timedelta, mode: str) -> None:
        """Shift segments from `first` on by `offset`, letting flexible ones absorb it in absorb mode."""
        for k in range(first, len(self.rows)):
            row = self.rows[k]
            if row.skipped:
                continue
            start = row.start + offset
            duration = row.duration
            segment = self.schedule.segments[row.index]
            if mode == "absorb" and segment.flexible and offset:
                new_duration = absorbed_duration(segment, row, duration, offset, self.schedule.run.early)
                offset -= duration - new_duration
                duration = new_duration
            self.rows[k] = replace(row, start=start, end=start + duration)

    def apply(self, adj: Adjustment) -> None:
        mode = self.schedule.run.delay_mode
        if self.ended_at is not None:
            return
        i = self.current(adj.at)
        if isinstance(adj, Delay):
            offset = timedelta(seconds=adj.seconds)
            if i is None:
                self.reflow(0, offset, adj.mode or mode)
                return
            row = self.rows[i]
            self.rows[i] = replace(row, end=max(adj.at, row.end + offset))
            self.reflow(i + 1, self.rows[i].end - (row.end), adj.mode or mode)
        elif isinstance(adj, Advance):
            self._advance(i, adj, mode)
        elif isinstance(adj, Hold):
            if i is not None:
                self.held = (i, adj.at)
        elif isinstance(adj, Resume) and self.held is not None:
            h, _ = self.held
            self.held = None
            row = self.rows[h]
            if adj.at > row.end:
                self.rows[h] = replace(row, end=adj.at)
                self.reflow(h + 1, adj.at - row.end, mode)
        elif isinstance(adj, EndEvent):
            if i is not None:
                self.rows[i] = replace(self.rows[i], end=max(adj.at, self.rows[i].start))
            for k in range((i + 1) if i is not None else 0, len(self.rows)):
                self.rows[k] = replace(self.rows[k], skipped=True)
            self.ended_at = adj.at

    def _advance(self, i: int | None, adj: Advance, mode: str) -> None:
        if adj.to is not None:
            j = [r.id for r in self.rows].index(adj.to)
        else:
            following = [k for k, r in enumerate(self.rows) if not r.skipped and (i is None or k > i)]
            if not following:
                self.apply(EndEvent(adj.at, adj.seq))
                return
            j = following[0]
        self.held = None
        if i is not None:
            self.rows[i] = replace(self.rows[i], end=max(adj.at, self.rows[i].start))
        if i is not None and j <= i:
            # Jumping back re-runs segment j and what follows, re-planned from now.
            for k in range(j, len(self.rows)):
                row = self.rows[k]
                again = row.occurrence + 1 if k <= i else row.occurrence
                self.rows[k] = replace(
                    row, skipped=False, occurrence=again, start=row.planned_start, end=row.planned_end
                )
            self.reflow(j, adj.at - self.rows[j].start, mode)
            return
        for k in range(i + 1 if i is not None else 0, j):
            self.rows[k] = replace(self.rows[k], skipped=True)
        # The segment starting now moves to now; if it is flexible it absorbs the offset itself.
        self.reflow(j, adj.at - self.rows[j].start, mode)


def replay(
    schedule: Schedule, adjustments: list[Adjustment]
) -> tuple[list[SegmentTiming], tuple | None, datetime | None]:
    """Segment timings in time order after replaying `adjustments`, plus the open hold (its position in
    the rows) and the early end, if any."""
    # Validation refuses segments out of time order; sorting here keeps the run right regardless.
    planned = sorted(planned_segments(schedule), key=lambda p: (p.start, p.index))
    rows = [SegmentTiming(p.id, p.index, p.start, p.end, p.start, p.end) for p in planned]
    state = _Replay(schedule, rows)
    for adj in sorted(adjustments, key=lambda a: (a.at, a.seq)):
        if isinstance(adj, Delay | Advance | Hold | Resume | EndEvent):
            state.apply(adj)
    return state.rows, state.held, state.ended_at
