"""What the stage sees: each person's own slots and call time, and the message shown to the stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schedules.adjustments import Adjustment, StageClear, StageMessage, effective
from schedules.model import Role, Schedule
from schedules.plan import SegmentTiming


@dataclass(frozen=True)
class Slot:
    """One part a person plays: a segment they moderate or speak in, or their respondent turn."""

    person: str
    role: Role
    segment: str
    title: str
    start: datetime
    end: datetime
    number: int | None = None  # respondent slot number, 1-based
    country: str | None = None


def segment_slots(schedule: Schedule, row: SegmentTiming) -> list[Slot]:
    """Every named person's part in one segment (respondent turns at their own minutes)."""
    seg = schedule.segments[row.index]
    slots = [Slot(p, Role.moderator, seg.id, seg.title, row.start, row.end) for p in seg.moderators]
    slots += [Slot(p, Role.speaker, seg.id, seg.title, row.start, row.end) for p in seg.speakers]
    if seg.respondents:
        r = seg.respondents
        for k, named in enumerate(r.slots):
            start = row.end - timedelta(minutes=r.minutes * (r.count - k))
            if named.person:
                slots.append(
                    Slot(
                        named.person,
                        Role.respondent,
                        seg.id,
                        seg.title,
                        start,
                        start + timedelta(minutes=r.minutes),
                        k + 1,
                        named.country,
                    )
                )
    return slots


def person_slots(schedule: Schedule, rows: list[SegmentTiming], person_id: str) -> list[Slot]:
    """A person's parts in time order (skipped segments left out)."""
    out = [s for row in rows if not row.skipped for s in segment_slots(schedule, row) if s.person == person_id]
    return sorted(out, key=lambda s: (s.start, s.end))


def call_time(schedule: Schedule, slots: list[Slot]) -> datetime | None:
    """When a person is called: the earliest of each slot's start minus their call time for it."""
    return min((s.start - call_before(schedule, s.person, s.role) for s in slots), default=None)


def call_before(schedule: Schedule, person_id: str, role: Role) -> timedelta:
    """How long before a slot in `role` this person is called: their own `call_before`, else the
    role's in `stage.call_before`, else the default (moderator 30m, speaker 20m, respondent 15m)."""
    person = schedule.person(person_id)
    if person is not None and person.call_before is not None:
        return person.call_before
    return schedule.stage.call_for(role)


def stage_message(adjustments: list[Adjustment] | tuple) -> StageMessage | None:
    """The message on the presenter view after these host actions (None once cleared; undo counts)."""
    shown = None
    for adj in sorted(effective(adjustments), key=lambda a: (a.at, a.seq)):
        if isinstance(adj, StageMessage):
            shown = adj
        elif isinstance(adj, StageClear):
            shown = None
    return shown
