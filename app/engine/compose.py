"""Build the neutral Notification for one delivery from a fired cue, in the target's time zone and
locale (issue 30: a target with its own locale gets the cue written again in its words)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.engine.lateness import late_line
from integrations.notifiers.message import Notification, format_local
from schedules import button_words
from schedules.cue_words import event_title, render_cue, segment_title
from schedules.i18n import ENGLISH_WORDS, N_, Words
from schedules.model import Schedule

# The labels of a message's time fields, as people read them.
ENDS, STARTS, NEXT, NEXT_STARTS, TIME_UP_AT = N_("Ends"), N_("Starts"), N_("Next"), N_("Next starts"), N_("Time up at")
ITS_TIME = N_("its time")
FIELD_LINE = N_("{label}: {value}")  # a field on its own line of a plain-text message


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
    words: Words = ENGLISH_WORDS,
) -> Notification:
    """The message a person sees for this cue: headline, text, time fields and useful links, in
    the words of `words`' reader (English: the cue's own text, as stored), the links' labels too."""
    data = cue.data or {}
    segment = schedule.segment(cue.segment) if cue.segment else None
    w, reader = words, words.reader
    fields: list[tuple[str, object]] = []
    if cue.kind in ("segment_start", "segment_ending_soon", "respondent_slot") and _when(data.get("end")):
        fields.append((w._(ENDS), _when(data["end"])))
    if cue.kind == "readiness_check" and _when(data.get("start")):
        fields.append((w._(STARTS), _when(data["start"])))
    if data.get("next_title") and cue.kind in ("segment_start", "segment_ending_soon", "segment_end"):
        following = schedule.segment(data["next"]) if data.get("next") else None
        fields.append(
            (w._(NEXT), segment_title(w, following, f"{data['next_title']}") if following else f"{data['next_title']}")
        )
        if _when(data.get("next_start")):
            fields.append((w._(NEXT_STARTS), _when(data["next_start"])))
    if cue.kind.startswith("timer_") and _when(data.get("ends")):
        fields.append((w._(TIME_UP_AT), _when(data["ends"])))
    title, text = render_cue(w, schedule, cue.kind, cue.cue_id, cue.segment, data, cue.title, cue.message)
    when = cue.due_at or cue.fired_at
    # A transition is news even when late, but people must not take it for "now" (README, lateness policy).
    zone_name = target_tz or schedule.event.timezone
    due = format_local(when, zone_name, reader=reader) if when is not None else w._(ITS_TIME)
    if late := late_line(cue.kind, getattr(cue, "note", None), getattr(cue, "late_ms", None), due, w):
        text = f"{late}\n{text}" if text else late
    return Notification(
        delivery_id=delivery_id,
        event_id=schedule.event.id,
        event_title=event_title(w, schedule),
        cue_id=cue.cue_id,
        kind=cue.kind,
        title=title,
        text=text,
        at=cue.due_at or cue.fired_at,
        timezone=zone_name,
        segment_title=segment_title(w, segment) if segment else None,
        fields=tuple(fields),
        links=tuple((w._(label), url) for label, url in links),  # "Host console", "Join Zoom": msgids
        buttons=tuple(buttons.links) if buttons else (),
        actions=tuple(buttons.actions) if buttons else (),
        confirm_answers=(w._(button_words.YES), w._(button_words.CANCEL)),
        field_line=w._(FIELD_LINE),  # a template: filled by the renderers
        severity=cue.severity,
        locale=None if reader.english else reader.locale,
        digits=reader.digits,
        calendar=reader.calendar,
    )
