"""Resolve a schedule's local times into aware UTC datetimes (the planned, unadjusted agenda)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedules.durations import combine_local
from schedules.model import Schedule, Segment


def zone(name: str) -> ZoneInfo | None:
    """The ZoneInfo for an IANA name, or None if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
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
    """A time in the file (on the event date, in the event zone) as aware UTC."""
    if isinstance(clock, datetime) and clock.tzinfo is not None:
        return clock.astimezone(UTC)
    tz = zone(schedule.event.timezone) or UTC
    return combine_local(schedule.event.date, clock).replace(tzinfo=tz).astimezone(UTC)


def segment_bounds(schedule: Schedule, segment: Segment) -> tuple[datetime, datetime]:
    """Planned (start, end) of one segment in UTC."""
    start = to_utc(schedule, segment.start)
    end = to_utc(schedule, segment.end) if segment.end is not None else start + segment.duration
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
    start = to_utc(schedule, schedule.event.start) if schedule.event.start else planned[0].start
    end = to_utc(schedule, schedule.event.end) if schedule.event.end else max(p.end for p in planned)
    return start, end
