"""The post-event report and the live attendance summary, as plain data (JSON-ready)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.attendance.intervals import Attendance, Participant
from app.attendance.people import check_segment, expected_people, match_people, person_presence
from app.report.units import iso as _iso
from app.report.units import minutes as _minutes
from app.views.times import iso_utc
from schedules.model import Schedule, Segment
from schedules.timeline import Timeline


def attendance_json(schedule: Schedule, timeline: Timeline, attendance: Attendance, now: datetime) -> dict[str, Any]:
    """The live summary the console shows (contract of GET /api/events/{event}/attendance)."""
    matches = match_people(schedule, attendance)
    people = []
    for person in schedule.people:
        present, since = person_presence(matches.get(person.id, []))
        people.append(
            {
                "id": person.id,
                "name": person.name,
                "roles": [r.value for r in person.roles],
                "present": present,
                "since": _iso(since),
            }
        )
    return {
        "present": len(attendance.present()),
        "peak": attendance.peak(now),
        "total_unique": sum(1 for p in attendance.participants if p.intervals),
        "people": people,
        "readiness": _readiness(schedule, timeline, attendance, now),
    }


def _readiness(schedule: Schedule, timeline: Timeline, attendance: Attendance, now: datetime) -> dict[str, Any]:
    for row in timeline.segments:
        segment = schedule.segments[row.index]
        if row.skipped or row.start <= now or not expected_people(schedule, segment):
            continue
        check = check_segment(schedule, segment, attendance)
        entry = lambda e: {"id": e.id, "name": e.name, "role": e.role}  # noqa: E731
        # The window is the readiness check's (schedule readiness.before): before it, nobody is late
        # yet, and a console showing MISSING eight days early teaches hosts to ignore it.
        checks_at = row.start - schedule.readiness.before
        return {
            "segment": segment.id,
            "title": segment.title,
            "starts_at": _iso(row.start),
            "checks_at": _iso(checks_at),
            "open": now >= checks_at,
            "missing": [entry(e) for e in check.missing],
            "present": [entry(e) for e in check.present],
        }
    return {
        "segment": None,
        "title": None,
        "starts_at": None,
        "checks_at": None,
        "open": False,
        "missing": [],
        "present": [],
    }


def _who(schedule: Schedule, attendance: Attendance) -> dict[str, str]:
    """Participant key -> scheduled person id."""
    return {p.key: pid for pid, parts in match_people(schedule, attendance).items() for p in parts}


def _segments(
    schedule: Schedule,
    timeline: Timeline,
    attendance: Attendance,
    now: datetime,
    who: dict[str, str],
) -> list[dict[str, Any]]:
    out = []
    series = attendance.concurrency(now)
    for row in timeline.segments:
        seg = schedule.segments[row.index]
        end = min(row.end, now)
        attended = [p for p in attendance.participants if row.start < end and p.seconds(now, row.start, end) > 0]
        peak = max([c for t, c in series if row.start <= t < end] + [_count_at(series, row.start)])
        expected = []
        for exp in expected_people(schedule, seg):
            parts = [p for p in attendance.participants if exp.id and who.get(p.key) == exp.id]
            seconds = sum(p.seconds(now, row.start, end) for p in parts) if row.start < end else 0.0
            expected.append({"id": exp.id, "name": exp.name, "role": exp.role, "minutes": _minutes(seconds)})
        out.append(
            {
                "id": seg.id,
                "title": seg.title,
                "kind": seg.kind.value,
                "skipped": row.skipped,
                "status": row.status_at(now).value,
                "planned_start": _iso(row.planned_start),
                "planned_end": _iso(row.planned_end),
                "start": _iso(row.start),
                "end": _iso(row.end),
                "planned_minutes": _minutes((row.planned_end - row.planned_start).total_seconds()),
                "actual_minutes": _minutes((row.end - row.start).total_seconds()),
                "start_delay_seconds": round((row.start - row.planned_start).total_seconds()),
                "overrun_seconds": round((row.end - row.planned_end).total_seconds()),
                "attended": 0 if row.skipped else len(attended),
                "peak": 0 if row.skipped else peak,
                "expected": expected,
            }
        )
    return out


def _count_at(series: list[tuple[datetime, int]], moment: datetime) -> int:
    count = 0
    for t, c in series:
        if t > moment:
            break
        count = c
    return count


def _slot_person(segment: Segment | None, slot: int | None) -> str | None:
    """The person the schedule names for respondent slot `slot` (1-based), if any."""
    if segment is None or segment.respondents is None or slot is None:
        return None
    slots = segment.respondents.slots
    return slots[slot - 1].person if 0 < slot <= len(slots) else None


def _timers(schedule: Schedule, timeline: Timeline, now: datetime) -> list[dict[str, Any]]:
    out = []
    segment_end = {s.id: s.end for s in timeline.segments}
    for timer in timeline.timers:
        # A timer nobody stopped stops counting when its segment ended: the respondent could not
        # have spoken beyond it, and "now" may be days later when the report is made.
        cutoff = min(now, segment_end.get(timer.segment, now)) if timer.stopped_at is None else now  # type: ignore[arg-type]  # guarded: timers without a segment get now
        remaining = timer.remaining_at(max(cutoff, timer.started_at)).total_seconds()
        segment = schedule.segment(timer.segment) if timer.segment else None
        person = schedule.person(timer.person or _slot_person(segment, timer.slot) or "")
        out.append(
            {
                "id": timer.id,
                "label": timer.label,
                "segment": timer.segment,
                "slot": timer.slot,
                "session": segment.title if segment else None,
                "person": person.name if person else timer.person,
                "allotted_seconds": timer.seconds,
                "used_seconds": round(timer.seconds - remaining),
                "over_seconds": round(max(0.0, -remaining)),
                "status": timer.status.value,
                "started_at": _iso(timer.started_at),
            }
        )
    return out


def _participant(
    p: Participant, now: datetime, who: dict[str, str], schedule: Schedule, timeline: Timeline
) -> dict[str, Any]:
    person = schedule.person(who[p.key]) if p.key in who else None
    per_segment = {
        row.id: _minutes(p.seconds(now, row.start, min(row.end, now)))
        for row in timeline.segments
        if not row.skipped and row.start < now
    }
    return {
        "key": p.key,
        "name": p.name,
        "email": p.email,
        "person_id": person.id if person else None,
        "roles": [r.value for r in person.roles] if person else [],
        "total_seconds": round(p.seconds(now)),
        "total_minutes": _minutes(p.seconds(now)),
        "sessions": p.sessions,
        "first_join": _iso(p.intervals[0][0]) if p.intervals else None,
        "last_leave": _iso(p.intervals[-1][1]) if p.intervals else None,
        "present": p.present,
        "reconciled": p.reconciled,
        "rooms": sorted(p.rooms),
        "segments": per_segment,
    }


def build_report(schedule: Schedule, timeline: Timeline, attendance: Attendance, now: datetime) -> dict[str, Any]:
    """Planned vs actual segments, timers, attendance per segment, per person, over time."""
    who = _who(schedule, attendance)
    series = attendance.concurrency(now)
    peak = max(series, key=lambda x: x[1], default=None)
    event = schedule.event
    return {
        "event": {
            "id": event.id,
            "title": event.title,
            "timezone": event.timezone,
            "date": event.date.isoformat(),
        },
        "generated_at": iso_utc(now),
        "meeting": {
            "started": [_iso(t) for t in sorted(attendance.started.values())],
            "ended": [_iso(t) for t in sorted(attendance.ended.values())],
        },
        "segments": _segments(schedule, timeline, attendance, now, who),
        "timers": _timers(schedule, timeline, now),
        "attendance": {
            "total_unique": sum(1 for p in attendance.participants if p.intervals),
            "peak": peak[1] if peak else 0,
            "peak_at": _iso(peak[0]) if peak else None,
            "present": len(attendance.present()),
            "series": [[iso_utc(t), c] for t, c in series],
        },
        "participants": [_participant(p, now, who, schedule, timeline) for p in attendance.participants if p.intervals],
    }
