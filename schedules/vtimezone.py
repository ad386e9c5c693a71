"""VTIMEZONE blocks every calendar reads alike, for every date a schedule may use (2000-2099).

icalendar's `add_missing_timezones()` wrote each observance as one multi-valued `RDATE:` line for
1970-2037: Mozilla's ical.js (Thunderbird) reads only that line's first value, so summer times came out an
hour late there, and nothing was said after 2037. Here the block is built from the zone database itself:

- the zone's current rule, as Google and Outlook write it: one STANDARD and one DAYLIGHT component with
  a yearly RRULE (`BYMONTH=3;BYDAY=-1SU`), starting with the first year that rule has held, so it stays
  right for every later year (zoneinfo extends the same rule);
- every change before that year, back to 1999, as its own component with a single DTSTART (no RDATE
  list), the same if the zone's recent changes follow no yearly rule (then listed up to 2100).

The whole 1999-2100 range is always covered, not just the event's year: vobject keeps the first
VTIMEZONE it reads for a TZID for the rest of the process, so a block must be right for any event.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from schedules.clock import read_local

FIRST_YEAR, LAST_YEAR = 1999, 2100  # around the dates a schedule may use (2000-2099)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Change:
    """One clock change: the instant, the offsets before and after."""

    at: datetime
    before: timedelta
    after: timedelta

    @property
    def local(self) -> datetime:
        """When it happens on the clock before the change (what DTSTART says, RFC 5545)."""
        return (self.at + self.before).replace(tzinfo=None)

    def key(self) -> tuple:
        """What a yearly rule keeps the same: month, weekday, clock time and offsets."""
        return (self.local.month, self.local.weekday(), self.local.time(), self.before, self.after)

    def positions(self) -> set[str]:
        """The RRULE BYDAY positions that name its day: the nth weekday of the month, and -1 if it is the last."""
        day, length = self.local.day, calendar.monthrange(self.local.year, self.local.month)[1]
        found = {str((day - 1) // 7 + 1)} if day <= 28 else set()
        return found | ({"-1"} if day + 7 > length else set())


def vtimezone(tzid: str, tz: tzinfo) -> Timezone:
    """The VTIMEZONE for `tzid`, right from 1999 to 2100 and, under the zone's current rule, beyond."""
    changes = _changes(tz)
    rules, since = _yearly_rules(changes)
    block = Timezone()
    block.add("tzid", tzid)
    begin = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    offset = begin.astimezone(tz).utcoffset()
    # The offset in force on 1 January 1999: a component that changes nothing, so every time has an observance.
    block.add_component(_observance(tz, Change(begin, offset, offset)))  # type: ignore[arg-type]  # aware datetimes have an offset
    for change in changes:
        if change.local.year < since:
            block.add_component(_observance(tz, change))
    for change, position in rules:
        part = _observance(tz, change)
        part.add(
            "rrule",
            {"freq": "yearly", "bymonth": change.local.month, "byday": position + WEEKDAYS[change.local.weekday()]},
        )
        block.add_component(part)
    return block


@lru_cache(maxsize=64)
def _changes(tz: tzinfo) -> tuple[Change, ...]:
    """Every change of offset from 1999 to 2100, to the second (zoneinfo is the only source)."""
    out = []
    day = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    stop = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    offset = day.astimezone(tz).utcoffset()
    while day < stop:
        # Changes are months apart: checking once a day and bisecting to the second finds all of them.
        following = day + timedelta(days=1)
        then = following.astimezone(tz).utcoffset()
        if then != offset:
            low, high = day, following
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                low, high = (mid, high) if mid.astimezone(tz).utcoffset() == offset else (low, mid)
            out.append(Change(high.replace(microsecond=0), offset, then))  # type: ignore[arg-type]  # aware datetimes have an offset
            offset = then
        day = following
    return tuple(out)


def _yearly_rules(changes: tuple[Change, ...]) -> tuple[list[tuple[Change, str]], int]:
    """The zone's current yearly rule as (first change under it, BYDAY position) pairs, and its first year.

    Walks back from 2100 while each year has exactly the same kinds of change on days one BYDAY
    position names; with no such rule (no changes now, or irregular ones) it is ([], 2101).
    """
    by_year: dict[int, list[Change]] = {}
    for change in changes:
        by_year.setdefault(change.local.year, []).append(change)
    last = by_year.get(LAST_YEAR, [])
    keys = [c.key() for c in last]
    if not last or len(set(keys)) != len(keys):
        return [], LAST_YEAR + 1
    positions = {c.key(): c.positions() for c in last}
    since = LAST_YEAR
    for year in range(LAST_YEAR - 1, FIRST_YEAR - 1, -1):
        found = by_year.get(year, [])
        if sorted(c.key() for c in found) != sorted(keys):
            break
        narrowed = {c.key(): positions[c.key()] & c.positions() for c in found}
        if not all(narrowed.values()):
            break
        positions, since = narrowed, year
    first = {c.key(): c for c in by_year[since]}
    # "-1" (last) when it fits every year, as Outlook and Google write the usual "last Sunday" rules.
    return [(first[k], "-1" if "-1" in positions[k] else min(positions[k])) for k in keys], since


def _observance(tz: tzinfo, change: Change) -> TimezoneStandard | TimezoneDaylight:
    """One change as a STANDARD or DAYLIGHT component with a single DTSTART."""
    after = change.at.astimezone(tz)
    part = TimezoneDaylight() if after.dst() else TimezoneStandard()
    part.add("dtstart", change.local)
    part.add("tzoffsetfrom", change.before)
    part.add("tzoffsetto", change.after)
    part.add("tzname", after.tzname() or "")
    return part


def in_zone_or_utc(moment: datetime, tz: tzinfo) -> datetime:
    """`moment` in `tz`, or in UTC when that local time happens twice (a fall-back night's repeated hour).

    RFC 5545 reads an ambiguous local time as its first occurrence, so the second one cannot be written
    with a TZID at all, and readers differ on the first; UTC is exact in every reader. (A time in a
    skipped hour never arises: the local time of an instant always exists.)
    """
    local = moment.astimezone(tz)
    if read_local(local.replace(tzinfo=None), tz).kind == "ambiguous":
        return moment.astimezone(UTC)
    return local
