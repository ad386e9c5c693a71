"""Build the neutral Notification for one delivery from a fired cue, in the target's time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.engine.lateness import late_line
from integrations.notifiers.message import Notification, format_local
from schedules.model import Schedule


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Buttons:
    """The host action buttons of one message: single-use links (any chat tool), or, for a target in
    mode app, native buttons (label, verb, single-use reference, confirm question or "")."""

    links: list[tuple[str, str]] = field(default_factory=list)
    actions: list[tuple[str, str, str, str]] = field(default_factory=list)


def compose(
    schedule: Schedule,
    cue,
    delivery_id: str,
    target_tz: str | None,
    links: list[tuple[str, str]],
    buttons: Buttons | None = None,
) -> Notification:
    """The message a person sees for this cue: headline, text, time fields and useful links."""
    data = cue.data or {}
    segment = schedule.segment(cue.segment) if cue.segment else None
    fields: list[tuple[str, object]] = []
    if cue.kind in ("segment_start", "segment_ending_soon", "respondent_slot") and _when(data.get("end")):
        fields.append(("Ends", _when(data["end"])))
    if cue.kind == "readiness_check" and _when(data.get("start")):
        fields.append(("Starts", _when(data["start"])))
    if data.get("next_title") and cue.kind in ("segment_start", "segment_ending_soon", "segment_end"):
        fields.append(("Next", f"{data['next_title']}"))
        if _when(data.get("next_start")):
            fields.append(("Next starts", _when(data["next_start"])))
    if cue.kind.startswith("timer_") and _when(data.get("ends")):
        fields.append(("Time up at", _when(data["ends"])))
    text, when = cue.message, cue.due_at or cue.fired_at
    # A transition is news even when late, but people must not take it for "now" (README, lateness policy).
    due = format_local(when, target_tz or schedule.event.timezone) if when is not None else "its time"
    if late := late_line(cue.kind, getattr(cue, "note", None), getattr(cue, "late_ms", None), due):
        text = f"{late}\n{text}" if text else late
    return Notification(
        delivery_id=delivery_id,
        event_id=schedule.event.id,
        event_title=schedule.event.title,
        cue_id=cue.cue_id,
        kind=cue.kind,
        title=cue.title,
        text=text,
        at=cue.due_at or cue.fired_at,
        timezone=target_tz or schedule.event.timezone,
        segment_title=segment.title if segment else None,
        fields=tuple(fields),
        links=tuple(links),
        buttons=tuple(buttons.links) if buttons else (),
        actions=tuple(buttons.actions) if buttons else (),
        severity=cue.severity,
    )
