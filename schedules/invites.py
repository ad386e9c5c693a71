"""Personal calendar invites: one VEVENT per person and event, from their call time to their last slot.

The UID names the person and the event, never a time, so a changed file updates the invite people
already have instead of adding a second one; the caller supplies SEQUENCE (it rises with each change).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from schedules.messages_cues import people_line, person_line
from schedules.model import Person, Schedule
from schedules.plan import SegmentTiming
from schedules.resolve import event_window, zone
from schedules.stage import Slot, call_time, person_slots
from schedules.vtimezone import in_zone_or_utc, vtimezone


@dataclass(frozen=True)
class JoinLink:
    """The Zoom link that fits one person, and what it is (never the host's start link)."""

    url: str
    label: str


@dataclass(frozen=True)
class PresenterLink:
    """A person's presenter link: `url` only in the invite that hands out a new one (tokens are shown
    once); `id` names the link, so an unchanged link leaves the invite unchanged."""

    id: str
    url: str | None


@dataclass(frozen=True)
class InvitePart:
    """Everything a person's invite says, before it becomes iCalendar text."""

    person: Person
    uid: str
    zone: str
    call: datetime
    end: datetime
    slots: list[Slot]
    introduced_by: list[str]
    join: JoinLink | None
    presenter: PresenterLink | None

    def fingerprint(self) -> str:
        """A hash of the content: equal for an unchanged part, so SEQUENCE only rises on a real change."""
        data = {
            "person": self.person.model_dump(mode="json"),
            "zone": self.zone,
            "call": self.call.isoformat(),
            "end": self.end.isoformat(),
            "slots": [
                [s.role.value, s.segment, s.title, s.start.isoformat(), s.end.isoformat(), s.number, s.country]
                for s in self.slots
            ],
            "introduced_by": self.introduced_by,
            "join": self.join and [self.join.url, self.join.label],
            "presenter": self.presenter and self.presenter.id,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def invite_uid(schedule: Schedule, person_id: str) -> str:
    """The stable UID of a person's invite to an event."""
    return f"{schedule.event.id}.{person_id}.invite@showcaller"


def invite_slots(schedule: Schedule, rows: list[SegmentTiming], person: Person) -> list[Slot]:
    """A person's slots; someone with a role but no segment (an interpreter) is called for the whole event."""
    slots = person_slots(schedule, rows, person.id)
    if slots or not person.roles:
        return slots
    start, end = event_window(schedule)
    return [Slot(person.id, person.roles[0], "", schedule.event.title, start, end)]


def invite_part(
    schedule: Schedule,
    rows: list[SegmentTiming],
    person: Person,
    join: JoinLink | None,
    presenter: PresenterLink | None,
) -> InvitePart | None:
    """What one person's invite holds, or None if they have no part in the event."""
    slots = invite_slots(schedule, rows, person)
    if not slots:
        return None
    hosts: list[str] = []
    for slot in slots:
        seg = schedule.segment(slot.segment)
        for ref in seg.moderators if seg else []:
            if ref != person.id and ref not in hosts:
                hosts.append(ref)
    return InvitePart(
        person,
        invite_uid(schedule, person.id),
        person.timezone or schedule.event.timezone,
        call_time(schedule, slots),  # type: ignore[arg-type]  # slots are non-empty
        max(s.end for s in slots),
        slots,
        hosts,
        join,
        presenter,
    )


def _role_text(slot: Slot) -> str:
    if slot.number is not None:
        return f"respondent {slot.number}" + (f" ({slot.country})" if slot.country else "")
    return slot.role.value.replace("_", " ")


def _times(moment: datetime, zones: list[str]) -> str:
    parts = []
    for name in zones:
        local = moment.astimezone(zone(name))
        parts.append(f"{local:%H:%M} {local.tzname()} ({name})")
    return " / ".join(parts)


def invite_text(schedule: Schedule, part: InvitePart) -> str:
    """The invite's description: call time, each slot, who introduces them, links, the time zones."""
    zones = list(dict.fromkeys([part.zone, schedule.event.timezone]))
    lines = [f"Please join at {_times(part.call, zones)}."]
    for slot in part.slots:
        lines.append(
            f"- {slot.title}: {_role_text(slot)}, {_times(slot.start, zones)} to "
            f"{slot.end.astimezone(zone(part.zone)):%H:%M}"
        )
    if part.introduced_by:
        lines.append(f"Moderators: {people_line(schedule, part.introduced_by)}")
    if part.join:
        lines.append(f"{part.join.label}: {part.join.url}")
    if part.presenter and part.presenter.url:
        lines.append(f"Your presenter view (timer and messages from the hosts): {part.presenter.url}")
    elif part.presenter:
        lines.append(
            "Your presenter view (timer and messages from the hosts): open the personal link you were sent "
            "earlier; ask the organisers for a new one if it is lost."
        )
    lines.append(f"Event time zone: {schedule.event.timezone}.")
    return "\n".join(lines)


def invite_ics(schedule: Schedule, part: InvitePart, sequence: int, stamp: datetime) -> bytes:
    """A METHOD:REQUEST calendar with the person's one event (times in their zone, with its VTIMEZONE).

    A time in the repeated hour of a fall-back night is written in UTC instead (see `in_zone_or_utc`).
    """
    tz = zone(part.zone)
    assert tz is not None, part.zone  # the schedule's zones are validated when it is loaded
    start, end = in_zone_or_utc(part.call, tz), in_zone_or_utc(part.end, tz)
    cal = Calendar()
    cal.add("prodid", "-//Showcaller//personal invite//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    cal.add("x-wr-timezone", part.zone)
    item = VEvent()
    item.add("uid", part.uid)
    item.add("sequence", sequence)
    item.add("dtstamp", stamp.astimezone(UTC))
    item.add("dtstart", start)
    item.add("dtend", end)
    roles = ", ".join(dict.fromkeys(_role_text(s) for s in part.slots))
    item.add("summary", f"{schedule.event.title}: {roles}")
    item.add("description", invite_text(schedule, part))
    if part.join:
        item.add("location", part.join.url)
        item.add("url", part.join.url)
    if schedule.zoom.host:
        organiser = vCalAddress(f"mailto:{schedule.zoom.host}")
        organiser.params["cn"] = vText((schedule.event.organisers or [schedule.event.title])[0])
        item.add("organizer", organiser)
    if part.person.email:
        attendee = vCalAddress(f"mailto:{part.person.email}")
        attendee.params.update(
            {
                "cn": vText(person_line(part.person)),
                "role": "REQ-PARTICIPANT",
                "partstat": "NEEDS-ACTION",
                "rsvp": "TRUE",
            }
        )
        item.add("attendee", attendee)
    item.add("categories", sorted({s.role.value for s in part.slots}))
    item.add("status", "CONFIRMED")
    if start.tzinfo is not UTC or end.tzinfo is not UTC:
        cal.add_component(vtimezone(part.zone, tz))
    cal.add_component(item)
    return cal.to_ical()
