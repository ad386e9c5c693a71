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

from schedules.audience import person_reader
from schedules.cue_words import event_title, segment_title
from schedules.i18n import N_, SHIPPED, Catalogs, Words, words_for
from schedules.messages_cues import people_line, person_line
from schedules.model import Person, Role, Schedule
from schedules.plan import SegmentTiming
from schedules.resolve import event_window, zone
from schedules.stage import Slot, call_time, person_slots
from schedules.vtimezone import in_zone_or_utc, vtimezone

# Person fields added after invites were first stored, with their defaults (see fingerprint).
ADDED_LATER: dict[str, object] = {"digits": "latin", "chat_ids": None}


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
    locale: str = "en"  # the BCP 47 tag the invite is written in (people[].locale, else event.language)

    def fingerprint(self) -> str:
        """A hash of the content: equal for an unchanged part, so SEQUENCE only rises on a real change."""
        person = self.person.model_dump(mode="json")
        for field, default in ADDED_LATER.items():  # at their defaults they leave stored hashes as they were
            if field in person and person[field] == default:
                del person[field]
        data = {
            "person": person,
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
        if self.locale != "en":  # English invites keep the hash (and SEQUENCE) they had before locales
            data["locale"] = self.locale
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
        person_reader(schedule, person).tag,
    )


# Each role as people read it in an invite or on a run sheet (issue 30).
ROLE_NAMES = {
    Role.moderator: N_("moderator"),
    Role.speaker: N_("speaker"),
    Role.respondent: N_("respondent"),
    Role.interpreter: N_("interpreter"),
    Role.technical_host: N_("technical host"),
    Role.host: N_("host"),
    Role.alternative_host: N_("alternative host"),
    Role.panelist: N_("panelist"),
    Role.organiser: N_("organiser"),
}


def person_words(schedule: Schedule, person: Person, catalogs: Catalogs = SHIPPED) -> Words:
    """The words of `person`'s invite and run sheet: their locale, else the event's (English when
    neither), from the catalogs `catalogs` finds."""
    return words_for(person_reader(schedule, person), catalogs)


def role_name(w: Words, role: Role) -> str:
    """'technical host', 'modérateur' or 'modératrice'... as the reader's catalog names the role."""
    return w._(ROLE_NAMES.get(role, role.value.replace("_", " ")))


def slot_part(w: Words, slot: Slot) -> str:
    """'respondent 1', 'speaker': the person's part in a slot, without the country."""
    if slot.number is not None:
        return w._("{role} {number}", role=role_name(w, slot.role), number=w.number(slot.number))
    return role_name(w, slot.role)


def _role_text(slot: Slot, w: Words | None = None) -> str:
    w = w or Words()
    text = slot_part(w, slot)
    if slot.country and slot.number is not None:
        return w._("{part} ({country})", part=text, country=slot.country)
    return text


def slot_title(w: Words, schedule: Schedule, slot: Slot) -> str:
    """The slot's segment title in the reader's locale (the event's title for a whole-event slot)."""
    if not slot.segment:
        return event_title(w, schedule)
    return segment_title(w, schedule.segment(slot.segment), slot.title)


def _times(moment: datetime, zones: list[str], w: Words | None = None) -> str:
    parts = []
    for name in zones:
        if w is not None and not w.reader.english:
            parts.append(w.reader.time(moment, name))  # "14:00 (heure d’Indochine)"
            continue
        local = moment.astimezone(zone(name))
        parts.append(f"{local:%H:%M} {local.tzname()} ({name})")
    return " / ".join(parts)


def invite_text(schedule: Schedule, part: InvitePart, catalogs: Catalogs = SHIPPED) -> str:
    """The invite's description in the person's locale: call time, each slot, who introduces them,
    links, the time zones. English (no locale anywhere) reads exactly as it always did."""
    w = person_words(schedule, part.person, catalogs)
    zones = list(dict.fromkeys([part.zone, schedule.event.timezone]))
    lines = [w._("Please join at {time}.", time=_times(part.call, zones, w))]
    for slot in part.slots:
        lines.append(
            w._(
                "- {title}: {part}, {start} to {end}",
                title=slot_title(w, schedule, slot),
                part=_role_text(slot, w),
                start=_times(slot.start, zones, w),
                end=w.reader.clock(slot.end, part.zone),
            )
        )
    if part.introduced_by:
        lines.append(w._("Moderators: {people}", people=people_line(schedule, part.introduced_by)))
    if part.join:
        lines.append(w._("{label}: {url}", label=w._(part.join.label), url=part.join.url))
    if part.presenter and part.presenter.url:
        lines.append(w._("Your presenter view (timer and messages from the hosts): {url}", url=part.presenter.url))
    elif part.presenter:
        lines.append(
            w._(
                "Your presenter view (timer and messages from the hosts): open the personal link you were sent "
                "earlier; ask the organisers for a new one if it is lost."
            )
        )
    lines.append(w._("Event time zone: {zone}.", zone=schedule.event.timezone))
    return "\n".join(lines)


def invite_summary(schedule: Schedule, part: InvitePart, catalogs: Catalogs = SHIPPED) -> str:
    """The invite's SUMMARY: 'Mekong Dialogue: speaker, respondent 2 (Lao PDR)', in the person's locale."""
    w = person_words(schedule, part.person, catalogs)
    roles = ", ".join(dict.fromkeys(_role_text(s, w) for s in part.slots))
    return w._("{event}: {roles}", event=event_title(w, schedule), roles=roles)


def invite_ics(
    schedule: Schedule, part: InvitePart, sequence: int, stamp: datetime, catalogs: Catalogs = SHIPPED
) -> bytes:
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
    item.add("summary", invite_summary(schedule, part, catalogs))
    item.add("description", invite_text(schedule, part, catalogs))
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
