"""Parsing of the human time notations used in schedule files ("3m", "1h30m", "14:15")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

_DURATION = re.compile(
    r"^\s*(?P<sign>[-+])?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?\s*(?:(?P<s>\d+)\s*s)?\s*$",
    re.ASCII,  # ASCII digits only: "๓m" (Thai three) is refused, never read as 3 minutes
)


class YamlNumber(str):
    """An unquoted 1:30 or 1:30:00: YAML 1.1 reads it as a base-60 number (5400); kept as written
    so a time stays a time and a mistake can be explained."""

    @property
    def number(self) -> int:
        """What YAML 1.1 makes of it."""
        sign = -1 if self.startswith("-") else 1
        total = 0
        for part in self.lstrip("+-").replace("_", "").split(":"):
            total = total * 60 + int(part)
        return sign * total


_EMPTY = "is empty (nothing after the colon)"
DURATION_PATTERN = r"^[-+]?(\d+h)?(\d+m)?(\d+s)?$"
TIME_PATTERN = r"^([01]?\d|2[0-3]):[0-5]\d([+-]([01]\d|2[0-3]):[0-5]\d|Z)?$"


def parse_duration(value: object) -> timedelta:
    """Parse "90s", "3m", "1h30m" or "-2m" (a bare integer means minutes) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if value is None:
        raise ValueError(f"the duration {_EMPTY}; write one such as 30m, or remove the key")
    if isinstance(value, YamlNumber):
        raise ValueError(
            f"'{value}' is not a duration (unquoted, YAML 1.1 reads it as the base-60 number "
            f"{value.number}); write it like 1h30m, 3m or 90s"
        )
    if isinstance(value, bool):
        raise ValueError("this is not a duration; write it like 3m, 90s or 1h30m")
    if isinstance(value, int):
        if abs(value) > MAX_DURATION.total_seconds() // 60:
            raise ValueError(f"'{value}' minutes is longer than 7 days; write a duration such as 30m or 1h30m")
        return timedelta(minutes=value)
    if not isinstance(value, str):
        raise ValueError("this is not a duration; write it like 3m, 90s or 1h30m")
    match = _DURATION.match(value)
    if not match or not any(match.group(k) for k in ("h", "m", "s")):
        raise ValueError(f"'{value}' is not a duration; write it like 3m, 90s or 1h30m")
    seconds = int(match.group("h") or 0) * 3600 + int(match.group("m") or 0) * 60
    seconds += int(match.group("s") or 0)
    if seconds > MAX_DURATION.total_seconds():  # before timedelta, which overflows past 10**9 days
        raise ValueError(f"'{value}' is longer than 7 days; write a duration such as 30m or 1h30m")
    return _bounded(timedelta(seconds=-seconds if match.group("sign") == "-" else seconds), value)


MAX_DURATION = timedelta(days=7)


def _bounded(delta: timedelta, written: object) -> timedelta:
    """No duration in an event is longer than a week; larger numbers are typos (and overflow dates)."""
    if abs(delta) > MAX_DURATION:
        raise ValueError(f"'{written}' is longer than 7 days; write a duration such as 30m or 1h30m")
    return delta


def format_duration(delta: timedelta) -> str:
    """Format a timedelta the way schedule files write it ("1h30m", "3m", "45s")."""
    total = int(delta.total_seconds())
    sign, total = ("-" if total < 0 else ""), abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return sign + ("".join(parts) or "0s")


def parse_clock(value: object) -> time | datetime:
    """Parse "14:15" (a time of day on the event's date) or an ISO date-time."""
    if isinstance(value, time | datetime):
        return value
    if value is None:
        raise ValueError(f'the time {_EMPTY}; write one in quotes, such as "14:15"')
    if isinstance(value, YamlNumber) and value.count(":") > 1:
        hours, minutes = value.lstrip("+-").split(":")[:2]
        raise ValueError(
            f"'{value}' is not a time (unquoted, YAML 1.1 reads it as the base-60 number "
            f'{value.number}); write HH:MM in quotes, e.g. "{int(hours):02d}:{minutes}"'
        )
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 14:15 as the sexagesimal integer 855.
        whole_hours, whole_minutes = divmod(value, 60)
        if 0 <= whole_hours < 24:
            return time(whole_hours, whole_minutes)
    if isinstance(value, str):
        text = value.strip()
        if re.match(TIME_PATTERN, text, re.ASCII):  # ASCII digits only, as for durations
            # "02:30+01:00": a wall time with the offset that picks one reading on a clock-change day.
            hours, rest = text.split(":", 1)
            offset = rest[2:]
            return time(int(hours), int(rest[:2]), tzinfo=_offset(offset) if offset else None)
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"'{value}' is not a time; write HH:MM (24-hour) or an ISO date-time")


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = text[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def format_clock(value: time | datetime) -> str:
    """A clock value the way a schedule file writes it: 14:15, 02:30+01:00 or an ISO date-time."""
    if isinstance(value, datetime):
        return value.isoformat()
    offset = value.utcoffset()
    if offset is None:
        return value.strftime("%H:%M")
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return value.strftime("%H:%M") + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def combine_local(day: date, clock: time | datetime) -> datetime:
    """A local datetime for a time of day on `day` (ISO date-times keep their own date); aware if the
    file wrote an offset."""
    if isinstance(clock, datetime):
        return clock
    return datetime.combine(day, clock)
