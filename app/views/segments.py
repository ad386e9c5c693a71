"""One projection of a timeline's segments, shared by the read models: the plan (`schedule.py`),
the console's live state (`state.py`), the public agenda (`agenda.py`) and the presenter view
(`stage.py`).

Every view of a segment carries the same core, computed here once: its id, title, kind, projected
and planned times (UTC), and who is on stage. What differs is who may see whom, a privacy tier,
side by side below: the plan names people by id (an organiser's file), a host sees their names and
organisations, the audience a public card (no ids, emails or notes). The presenter view
(`stage.py`) shows the current and next segment in the audience's tier, with the seconds left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.views.times import iso_utc
from schedules.messages_cues import respondent_label
from schedules.model import Person, Schedule, Segment
from schedules.plan import SegmentTiming

People = Callable[[Schedule, list[str]], list[Any]]


def plan_people(_schedule: Schedule, ids: list[str]) -> list[str]:
    """The plan's tier: person ids, as the schedule file has them."""
    return ids


def host_people(schedule: Schedule, ids: list[str]) -> list[dict[str, Any]]:
    """A host's tier: id, name and organisation of each person known to the schedule."""
    return [{"id": i, "name": p.name, "organisation": p.organisation} for i in ids if (p := schedule.person(i))]


def public_person(person: Person) -> dict[str, Any]:
    """A speaker as the audience sees them: name, honorific, title, organisation, country."""
    return {
        "name": person.name,
        "honorific": person.honorific,
        "title": person.title,
        "organisation": person.organisation,
        "country": person.country,
    }


def public_people(schedule: Schedule, ids: list[str]) -> list[dict[str, Any]]:
    """The audience's tier: a public card per person, no id."""
    return [public_person(p) for i in ids if (p := schedule.person(i))]


def respondents_view(schedule: Schedule, seg: Segment, *, slots: bool = False) -> dict[str, Any] | None:
    """A segment's respondents: how many and how long; with `slots`, each slot's minutes and label."""
    r = seg.respondents
    if r is None:
        return None
    out: dict[str, Any] = {"count": r.count, "minutes": r.minutes}
    if slots:
        out["slot_minutes"] = [r.slot_minutes(n) for n in range(1, r.count + 1)]
        out["labels"] = [respondent_label(schedule, seg, i) for i in range(r.count)]
    return out


def segment_view(schedule: Schedule, row: SegmentTiming, people: People, *, slots: bool = False) -> dict[str, Any]:
    """The core every read model shows of one segment, with people in the given tier."""
    seg = schedule.segments[row.index]
    return {
        "id": seg.id,
        "title": seg.title,
        "kind": seg.kind.value,
        "start": iso_utc(row.start),
        "end": iso_utc(row.end),
        "planned_start": iso_utc(row.planned_start),
        "planned_end": iso_utc(row.planned_end),
        "moderators": people(schedule, seg.moderators),
        "speakers": people(schedule, seg.speakers),
        "respondents": respondents_view(schedule, seg, slots=slots),
    }
