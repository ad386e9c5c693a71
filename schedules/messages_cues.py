"""Default wording of cues: short, time-free text (each target shows times in its own zone)."""

from __future__ import annotations

from schedules.model import Person, Schedule, Segment


def person_line(person: Person) -> str:
    """'Dr. Patrick Duigan, Regional Migration Health Advisor, IOM'."""
    name = f"{person.honorific} {person.name}" if person.honorific else person.name
    return ", ".join(x for x in (name, person.title, person.organisation) if x)


def people_line(schedule: Schedule, ids: list[str]) -> str:
    """Semicolon-separated descriptions of the given people."""
    people = [schedule.person(i) for i in ids]
    return "; ".join(person_line(p) for p in people if p is not None)


def respondent_label(schedule: Schedule, segment: Segment, slot: int) -> str:
    """Who speaks in a respondent slot: the named person, the country, or 'to be invited'."""
    named = segment.respondents.slots[slot] if segment.respondents and slot < len(segment.respondents.slots) else None
    if named and named.person and (person := schedule.person(named.person)):
        country = f" ({named.country or person.country})" if (named.country or person.country) else ""
        return person.name + country
    if named and named.country:
        return f"respondent for {named.country}"
    return "respondent to be invited"


def segment_start_text(schedule: Schedule, segment: Segment) -> str:
    """What hosts need when a segment begins: who moderates, who speaks, respondents."""
    parts = [f"{segment.title} is starting."]
    if segment.moderators:
        parts.append(f"Moderators: {people_line(schedule, segment.moderators)}.")
    if segment.speakers:
        parts.append(f"Speakers: {people_line(schedule, segment.speakers)}.")
    if segment.respondents:
        r = segment.respondents
        who = ", ".join(respondent_label(schedule, segment, i) for i in range(r.count))
        parts.append(f"Respondents: {r.summary()} ({who}).")
    return " ".join(parts)
