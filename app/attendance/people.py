"""Who the schedule expects, which participant is which scheduled person, and who is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.attendance.intervals import Attendance, Participant
from app.attendance.names import names_country, normalise_name
from schedules.model import Schedule, Segment


@dataclass(frozen=True)
class Expected:
    """Someone a segment needs: a scheduled person, or a respondent slot known only by country."""

    id: str | None
    name: str
    role: str
    country: str | None = None

    @property
    def label(self) -> str:
        return self.name if self.id is None else f"{self.name} ({self.role})"

    @property
    def key(self) -> str:
        """Stable id for announcements: the person id, or the slot's country."""
        return self.id or "country-" + "-".join(normalise_name(self.country).split())


def expected_people(schedule: Schedule, segment: Segment) -> list[Expected]:
    """Moderators, speakers and named respondents (and country-only respondent slots), once each."""
    out: list[Expected] = []
    seen: set[str] = set()
    slots = segment.respondents.slots if segment.respondents else []
    pairs = [(i, "moderator") for i in segment.moderators] + [(i, "speaker") for i in segment.speakers]
    pairs += [(s.person, "respondent") for s in slots if s.person]
    for person_id, role in pairs:
        person = schedule.person(person_id)
        if person is not None and person_id not in seen:
            seen.add(person_id)
            out.append(Expected(person_id, person.name, role))
    for slot in slots:
        if not slot.person and slot.country:
            out.append(Expected(None, f"respondent for {slot.country}", "respondent", slot.country))
    return out


def match_people(schedule: Schedule, attendance: Attendance) -> dict[str, list[Participant]]:
    """Scheduled person id -> their participants: by email first, then by normalised name."""
    by_email = {str(p.email).casefold(): p.id for p in schedule.people if p.email}
    by_name: dict[str, str] = {}
    for p in schedule.people:
        by_name.setdefault(normalise_name(p.name), p.id)
    out: dict[str, list[Participant]] = {}
    for part in attendance.participants:
        person_id = by_email.get((part.email or "").casefold()) or by_name.get(normalise_name(part.name))
        if person_id:
            out.setdefault(person_id, []).append(part)
    return out


@dataclass(frozen=True)
class Check:
    """Readiness of one segment at one moment."""

    missing: list[Expected]
    present: list[Expected]
    waiting: set[str]  # keys of missing people seen in the waiting room right now


def check_segment(
    schedule: Schedule,
    segment: Segment,
    attendance: Attendance,
    matches: dict[str, list[Participant]] | None = None,
) -> Check:
    """Who of the segment's expected people is in the meeting now."""
    matches = match_people(schedule, attendance) if matches is None else matches
    matched = {p.key for parts in matches.values() for p in parts}
    spare = [p for p in attendance.participants if p.present and p.key not in matched]
    missing: list[Any] = []
    present: list[Any] = []
    waiting: set[Any] = set()
    for exp in expected_people(schedule, segment):
        if exp.id is not None:
            parts = matches.get(exp.id, [])
            (present if any(p.present for p in parts) else missing).append(exp)
            if any(p.waiting_now for p in parts) and not any(p.present for p in parts):
                waiting.add(exp.key)
            continue
        found = next((p for p in spare if names_country(p.name, exp.country or "")), None)
        if found is not None:
            spare.remove(found)
            present.append(exp)
        else:
            missing.append(exp)
    return Check(missing, present, waiting)


def person_presence(parts: list[Participant]) -> tuple[bool, datetime | None]:
    """Present (any of their participants) and since when (earliest current stay)."""
    since = [p.since for p in parts if p.present and p.since is not None]
    return bool(since), min(since) if since else None
