"""The public agenda as JSON: only what an audience may see (no emails, notes, tokens, targets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.views.segments import public_people, segment_view
from app.views.times import iso_utc
from schedules.audience import event_locale
from schedules.locales import Reader, locale_id
from schedules.model import Schedule
from schedules.timeline import Timeline


def iso_ms(moment: datetime) -> str:
    """UTC with milliseconds, so browsers can correct their clock offset to well under a second."""
    return iso_utc(moment)[:-1] + f".{moment.microsecond // 1000:03d}Z"


def tags_of(translations: dict[str, str]) -> dict[str, str]:
    """Per-locale texts keyed by BCP 47 tag ('pt-BR'), as a page's `lang=` attribute takes them."""
    out = {}
    for key, text in translations.items():
        try:
            out[Reader(locale_id(key)).tag] = text
        except ValueError:
            continue
    return out


def agenda_json(schedule: Schedule, timeline: Timeline, now: datetime) -> dict[str, Any]:
    """Event, run status, current/next ids, and every segment with projected/planned UTC times."""
    state = timeline.state_at(now)
    segments = []
    for row in timeline.segments:
        seg = schedule.segments[row.index]
        view = segment_view(schedule, row, public_people)
        segments.append({**view, "skipped": row.skipped, "description": seg.description, "titles": tags_of(seg.titles)})
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
            # The file's own text is in the event's language; `titles` gives it per locale (issue 30).
            "lang": Reader(event_locale(schedule)).tag,
            "titles": tags_of(event.titles),
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
