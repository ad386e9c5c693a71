"""Resolve a schedule's local times into aware UTC datetimes (the planned, unadjusted agenda)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedules.clock import read_local
from schedules.durations import combine_local
from schedules.model import Schedule, Segment


def zone(name: str) -> ZoneInfo | None:
    """The ZoneInfo for an IANA name, or None if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file path
        return None


@dataclass(frozen=True)
class PlannedSegment:
    """A segment's planned UTC start and end, as the file says."""

    id: str
    index: int
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def to_utc(schedule: Schedule, clock: time | datetime) -> datetime:
    """A time in the file (on the event date, in the event zone) as aware UTC.

    A local time that does not exist or happens twice on a clock-change day takes its first
    reading here; the rules report it as an error, so a valid schedule never relies on that.
    """
    moment = combine_local(schedule.event.date, clock)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return read_local(moment, zone(schedule.event.timezone) or UTC).instant


def segment_bounds(schedule: Schedule, segment: Segment) -> tuple[datetime, datetime]:
    """Planned (start, end) of one segment in UTC."""
    start = to_utc(schedule, segment.start)
    end = to_utc(schedule, segment.end) if segment.end is not None else start + segment.duration  # type: ignore[operator]  # a segment without end has a duration
    return start, end


def planned_segments(schedule: Schedule) -> list[PlannedSegment]:
    """Every segment with its planned UTC times, in file order."""
    out = []
    for index, segment in enumerate(schedule.segments):
        start, end = segment_bounds(schedule, segment)
        out.append(PlannedSegment(segment.id, index, start, end))
    return out


def event_window(schedule: Schedule) -> tuple[datetime, datetime]:
    """The event's opening and closing instants in UTC (defaults: first start, last end)."""
    planned = planned_segments(schedule)
    start = to_utc(schedule, schedule.event.start) if schedule.event.start else min(p.start for p in planned)
    end = to_utc(schedule, schedule.event.end) if schedule.event.end else max(p.end for p in planned)
    return start, end
