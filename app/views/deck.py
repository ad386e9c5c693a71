"""The deck's state: one flat object of preformatted strings for Stream Deck keys and simple clients.

A Companion "Generic HTTP" variable reads one JSON field (or, with ?field=, one plain-text value)
and puts it on a key as is, so every value a key shows is already a string in the event's time
zone: "04:59", "14:50", "+03:00". It is built from the console's state (`state_json`) and the
presenter view (`stage_json`), never from the timeline directly: one projection, three shapes.
Clients that count down between polls use the `*_ms` deadlines against `server_time_ms`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from app.views.stage import stage_json
from app.views.state import state_json
from schedules.model import Schedule
from schedules.resolve import zone
from schedules.timeline import Timeline


def clock(seconds: float | None, *, signed: bool = False) -> str:
    """A countdown as a key shows it: 04:59, 1:04:59, -00:12 once over ("" for none).

    Whole seconds round up while counting down (a 5-minute slot shows 05:00 at its start and 00:00
    exactly at time-up) and away from zero once over."""
    if seconds is None:
        return ""
    whole = math.ceil(seconds) if seconds >= 0 else -math.ceil(-seconds)
    sign = "-" if whole < 0 else ("+" if signed else "")
    hours, rest = divmod(abs(whole), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes:02d}:{secs:02d}"


def _phase(remaining: float | None, warning: float, danger: float) -> str:
    """normal, warning, danger or over ("" when nothing counts down)."""
    if remaining is None:
        return ""
    if remaining <= 0:
        return "over"
    if remaining <= danger:
        return "danger"
    return "warning" if remaining <= warning else "normal"


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _iso_ms(text: str | None) -> int | None:
    return None if text is None else _ms(datetime.fromisoformat(text.replace("Z", "+00:00")))


def deck_json(schedule: Schedule, timeline: Timeline, actions: list, now: datetime) -> dict[str, Any]:
    """The flat deck object; every value a string except the `*_ms` numbers (null when none)."""
    state = state_json(schedule, timeline, now)
    stage = stage_json(schedule, timeline, actions, now)
    tz = zone(schedule.event.timezone)

    def local(text: str | None) -> str:
        return (
            "" if text is None else datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(tz).strftime("%H:%M")
        )

    current, nxt, timer, message = state["current"], state["next"], stage["timer"], stage["message"]
    thresholds = state["thresholds"]
    remaining = state["remaining"] if current else None
    timer_ends = next((t["ends_at"] for t in state["timers"] if timer and t["id"] == timer["id"]), None)
    return {
        "event_id": schedule.event.id,
        "event_title": schedule.event.title,
        "timezone": schedule.event.timezone,
        "now": now.astimezone(tz).strftime("%H:%M:%S"),
        "status": state["status"],
        "held": "true" if state["held"] else "false",
        "current_id": current["id"] if current else "",
        "current_title": current["title"] if current else "",
        "remaining": clock(remaining),
        "phase": _phase(remaining, thresholds["ending_soon"], thresholds["danger"]),
        "next_id": nxt["id"] if nxt else "",
        "next_title": nxt["title"] if nxt else "",
        "next_start": local(nxt["start"]) if nxt else "",
        "timer_id": timer["id"] if timer else "",
        "timer_label": timer["label"] if timer else "",
        "timer_status": timer["status"] if timer else "",
        "timer_remaining": clock(timer["remaining"]) if timer else "",
        "timer_phase": _phase(timer["remaining"], thresholds["warning"], thresholds["danger"]) if timer else "",
        "delay": clock(state["delay"] or 0, signed=True),
        "projected_end": local(state["projected_end"]),
        "message": message["text"] if message else "",
        # The run log's last number: what a key echoes as ?seq= (app/run/deck_rules.py).
        "seq": str(max((a.seq for a in actions), default=0)),
        "server_time_ms": _ms(now),
        "segment_ends_ms": _iso_ms(current["end"]) if current else None,
        "next_starts_ms": _iso_ms(nxt["start"]) if nxt else None,
        # A paused timer has no deadline: it shows timer_remaining until it runs again.
        "timer_ends_ms": _iso_ms(timer_ends) if timer and timer["status"] == "running" else None,
    }
