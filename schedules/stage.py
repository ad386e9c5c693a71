"""What the stage sees: each person's own slots and call time, and the message shown to the stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schedules.adjustments import Adjustment, StageClear, StageMessage, effective
from schedules.model import Role, Schedule
from schedules.plan import SegmentTiming
from schedules.timeline import Timeline


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


def stage_message(
    adjustments: list[Adjustment] | tuple, timeline: Timeline | None = None, now: datetime | None = None
) -> StageMessage | None:
    """The message on the presenter view after these host actions, at `now` (None once cleared;
    undo counts).

    With the timeline and `now` it is also None once the message has gone by itself (its segment
    ended, or its `expires_after` passed: see message_until) and whenever the event has ended, so
    the END screen never shows an old message. A pure function of schedule, run log and now."""
    shown = None
    for adj in sorted(effective(adjustments), key=lambda a: (a.at, a.seq)):
        if isinstance(adj, StageMessage):
            shown = adj
        elif isinstance(adj, StageClear):
            shown = None
    if shown is None or timeline is None or now is None:
        return shown
    if timeline.state_at(now).status == "ended":
        return None
    until = message_until(shown, timeline)
    return shown if until is None or now < until else None


def message_until(message: StageMessage, timeline: Timeline) -> datetime | None:
    """When a stage message goes by itself (None: only when a host clears it or the event ends).

    The earliest of: `expires_after` seconds after it was sent, and, unless `until_cleared`, the
    end of the segment live when it was sent (never while that segment is held) or, sent outside
    any segment, the start of the next one."""
    ends = []
    if message.expires_after is not None:
        ends.append(message.at + timedelta(seconds=message.expires_after))
    if not message.until_cleared:
        active = [r for r in timeline.segments if not r.skipped]
        live = next((r for r in active if r.start <= message.at < r.end), None)
        if live is None and timeline.held_segment is not None:
            live = next((r for r in active if r.id == timeline.held_segment and r.start <= message.at), None)
        if live is not None:
            if live.id != timeline.held_segment:
                ends.append(live.end)
        else:
            later = [r.start for r in active if r.start > message.at]
            if later:
                ends.append(min(later))
    return min(ends, default=None)
