"""Local wall-clock times on clock-change days: which exist, which happen twice, and what changed when.

Everything comes from the zone database (zoneinfo); no offset is ever written by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class Reading:
    """How a naive local time maps to instants: once (ok), never (gap) or twice (ambiguous)."""

    kind: str  # "ok" | "gap" | "ambiguous"
    instant: datetime  # the fold=0 reading, in UTC (what a plain zoneinfo lookup gives)
    before: timedelta  # the zone's offset before the change (equal to `after` when kind is "ok")
    after: timedelta


def read_local(naive: datetime, zone: tzinfo) -> Reading:
    """Classify a naive local time in `zone`."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    instant = first.astimezone(UTC)
    if before == after:
        return Reading("ok", instant, before, after)  # type: ignore[arg-type]  # aware datetimes have an offset
    exists = instant.astimezone(zone).replace(tzinfo=None) == naive
    return Reading("ambiguous" if exists else "gap", instant, before, after)  # type: ignore[arg-type]  # aware datetimes have an offset


def change_between(zone: tzinfo, start: datetime, end: datetime) -> tuple[datetime, timedelta, timedelta] | None:
    """The clock change inside [start, end) as (instant, offset before, offset after), or None.

    Changes are months apart, so a span of an event has at most one; comparing its two ends finds it.
    """
    last = end - timedelta(microseconds=1)
    if last < start:
        return None
    before = start.astimezone(zone).utcoffset()
    if last.astimezone(zone).utcoffset() == before:
        return None
    low, high = start, last
    # Offsets are step functions of time: bisect to the second where the change happens.
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0), before, high.astimezone(zone).utcoffset()  # type: ignore[return-value]  # aware datetimes have an offset


def wall(moment: datetime, zone: tzinfo) -> str:
    """HH:MM in `zone`, with the offset ("02:30+01:00") when that wall time happens twice that day."""
    local = moment.astimezone(zone)
    if read_local(local.replace(tzinfo=None), zone).kind == "ambiguous":
        return local.strftime("%H:%M") + utc_offset(local.utcoffset())  # type: ignore[arg-type]  # aware datetimes have an offset
    return local.strftime("%H:%M")


def utc_offset(delta: timedelta) -> str:
    """'+01:00' for one hour east of UTC."""
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def utc_label(delta: timedelta) -> str:
    """'UTC+1', 'UTC+5:30', 'UTC-3'."""
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def describe_change(at: datetime, before: timedelta, after: timedelta) -> str:
    """'clocks go forward 1h at 02:00 (02:00 -> 03:00)', in the zone's local time."""
    local_before = (at + before).strftime("%H:%M")
    local_after = (at + after).strftime("%H:%M")
    step = after - before
    way = "forward" if step > timedelta(0) else "back"
    return f"clocks go {way} {_span(abs(step))} at {local_before} ({local_before} -> {local_after})"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")
