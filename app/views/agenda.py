"""The public agenda as JSON: only what an audience may see (no emails, notes, tokens, targets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.views.segments import public_people, segment_view
from app.views.times import iso_utc
from schedules.model import Schedule
from schedules.timeline import Timeline


def iso_ms(moment: datetime) -> str:
    """UTC with milliseconds, so browsers can correct their clock offset to well under a second."""
    return iso_utc(moment)[:-1] + f".{moment.microsecond // 1000:03d}Z"


def agenda_json(schedule: Schedule, timeline: Timeline, now: datetime) -> dict[str, Any]:
    """Event, run status, current/next ids, and every segment with projected/planned UTC times."""
    state = timeline.state_at(now)
    segments = []
    for row in timeline.segments:
        seg = schedule.segments[row.index]
        view = segment_view(schedule, row, public_people)
        segments.append({**view, "skipped": row.skipped, "description": seg.description})
    active = [row for row in timeline.segments if not row.skipped]
    starts_at = active[0].start if active else state.planned_end
    event = schedule.event
    return {
        "event": {
            "id": event.id,
            "title": event.title,
            "date": event.date.isoformat(),
            "timezone": event.timezone,
            "language": event.language,
            "organisers": list(event.organisers),
            "description": event.description,
        },
        "now": iso_ms(now),
        "status": state.status,
        "held": state.held,
        "starts_at": iso_utc(starts_at),
        "starts_in": round((starts_at - now).total_seconds(), 3),
        "current": state.current.id if state.current else None,
        "next": state.next.id if state.next else None,
        "remaining": None if state.remaining is None else round(state.remaining.total_seconds(), 3),
        "delay": round(state.delay.total_seconds(), 3),
        "projected_end": iso_utc(state.projected_end),
        "planned_end": iso_utc(state.planned_end),
        "segments": segments,
    }
