"""iCalendar export of an agenda: one VEVENT per segment, carrying its moderators and speakers."""

from __future__ import annotations

from icalendar import Calendar
from icalendar import Event as VEvent

from schedules.messages_cues import people_line
from schedules.model import Schedule
from schedules.plan import SegmentTiming


def to_ics(schedule: Schedule, segments: list[SegmentTiming]) -> bytes:
    """An .ics calendar with the event's segments (UTC times; calendars show them locally)."""
    cal = Calendar()
    cal.add("prodid", "-//Showcaller//schedule export//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", schedule.event.title)
    cal.add("x-wr-timezone", schedule.event.timezone)
    for row in segments:
        if row.skipped:
            continue
        seg = schedule.segments[row.index]
        item = VEvent()
        item.add("uid", f"{schedule.event.id}.{seg.id}@showcaller")
        item.add("summary", f"{seg.title} | {schedule.event.title}")
        item.add("dtstart", row.start)
        item.add("dtend", row.end)
        item.add("dtstamp", row.planned_start)
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
        for ref in [*seg.moderators, *seg.speakers]:
            person = schedule.person(ref)
            if person and person.email:
                item.add(
                    "attendee",
                    f"mailto:{person.email}",
                    parameters={"CN": person.name, "ROLE": "CHAIR" if ref in seg.moderators else "REQ-PARTICIPANT"},
                )
        item.add("categories", [seg.kind.value])
        cal.add_component(item)
    return cal.to_ical()
