"""Attendance facts: one per participant or lifecycle webhook, timed by the payload itself."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from app.core.text_rules import neutralise
from app.store.attendance_rows import Fact
from integrations.zoom.webhooks import ZoomEvent
from schedules.graphemes import prefix

# Zoom event suffix -> our fact kind.
KINDS = {
    "started": "started",
    "ended": "ended",
    "participant_joined": "joined",
    "participant_left": "left",
    "participant_joined_breakout_room": "room_joined",
    "participant_left_breakout_room": "room_left",
    "participant_joined_waiting_room": "waiting_joined",
    "participant_left_waiting_room": "waiting_left",
    "participant_admitted": "admitted",
}
OBJECTS = ("meeting", "webinar")
LIMITS = {
    "meeting_id": 64,
    "meeting_uuid": 64,
    "user_id": 64,
    "parent_user_id": 64,
    "participant_uuid": 64,
    "zoom_user_id": 64,
    "registrant_id": 64,
    "email": 320,
    "name": 300,
    "room": 64,
}


class NotAttendance(ValueError):
    """A well-formed webhook that says nothing about attendance (kept in the inbox, no fact)."""


def _clean(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    # The text rule (app/core/text_rules.py): kept, not refused (a join must count), but with NUL,
    # control characters and lone surrogates replaced by U+FFFD so every store accepts it.
    value = neutralise(value)
    return prefix(value, limit) or None  # between grapheme clusters


def fact_from_event(event: ZoomEvent) -> Fact:
    """Map a parsed webhook to a Fact; raises NotAttendance for other events or missing identity."""
    prefix, _, suffix = event.event.partition(".")
    kind = KINDS.get(suffix)
    if prefix not in OBJECTS or kind is None:
        raise NotAttendance(f"not an attendance event: {event.event}")
    if not event.meeting_id or not event.uuid:
        raise NotAttendance(f"{event.event} without object.id and object.uuid")
    if kind not in ("started", "ended") and not event.user_id:
        raise NotAttendance(f"{event.event} without participant.user_id")
    when = event.end_time if kind == "ended" else None
    try:  # an offset near year 1 or 9999 cannot be stored as UTC: refuse the fact, not the batch
        when = (when or event.occurred_at).astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"{event.event}: time out of range") from exc
    values: dict[str, Any] = {
        "meeting_id": event.meeting_id,
        "meeting_uuid": event.uuid,
        "user_id": event.user_id,
        "parent_user_id": event.parent_user_id,
        "participant_uuid": event.participant_uuid,
        "zoom_user_id": event.participant_user_id or event.zoom_user_id,
        "registrant_id": event.registrant_id,
        "email": event.email.strip().casefold() if event.email else None,
        "name": event.user_name,
        "room": event.breakout_room_uuid,
    }
    values = {k: _clean(v, LIMITS[k]) for k, v in values.items()}
    event_ts = int(event.event_ts.timestamp() * 1000)
    return Fact(object=prefix, kind=kind, occurred_at=when, event_ts=event_ts, **values)
