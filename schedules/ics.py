"""iCalendar export of an agenda: a publication (METHOD:PUBLISH) with one VEVENT per segment.

A publication has no ATTENDEE (RFC 5546 allows them only in scheduling messages, with an ORGANIZER):
moderators and speakers are named in the description. Times are UTC, exact on clock-change nights.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar
from icalendar import Event as VEvent

from schedules.messages_cues import people_line
from schedules.model import Schedule
from schedules.plan import SegmentTiming


def to_ics(schedule: Schedule, segments: list[SegmentTiming], stamp: datetime, sequence: int) -> bytes:
    """An .ics calendar with the event's segments (UTC times; calendars show them locally).

    `stamp` is the time of writing (DTSTAMP); `sequence` is the plan's revision (SEQUENCE), so a calendar
    that re-imports an edited agenda takes it as newer.
    """
    cal = Calendar()
    cal.add("prodid", "-//Showcaller//schedule export//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", schedule.event.title)
    cal.add("x-wr-timezone", schedule.event.timezone)
    for row in segments:
        if row.skipped:
            continue
        seg = schedule.segments[row.index]
        item = VEvent()
        item.add("uid", f"{schedule.event.id}.{seg.id}@showcaller")
        item.add("summary", f"{seg.title} | {schedule.event.title}")
        item.add("dtstart", row.start.astimezone(UTC))
        item.add("dtend", row.end.astimezone(UTC))
        item.add("dtstamp", stamp.astimezone(UTC))
        item.add("sequence", sequence)
        lines = []
        if seg.moderators:
            lines.append(f"Moderators: {people_line(schedule, seg.moderators)}")
        if seg.speakers:
            lines.append(f"Speakers: {people_line(schedule, seg.speakers)}")
        if seg.respondents:
            lines.append(f"Respondents: {seg.respondents.summary()}")
        if seg.description:
            lines.append(seg.description)
        if lines:
            item.add("description", "\n\n".join(lines))
        item.add("categories", [seg.kind.value])
        cal.add_component(item)
    return cal.to_ical()
