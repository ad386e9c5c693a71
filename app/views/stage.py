"""The presenter view's JSON: only what the person on stage needs (no people's emails, no links)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.views.segments import public_people, segment_view
from app.views.state import timer_level
from app.views.times import iso_utc
from schedules.adjustments import StageMessage
from schedules.model import Schedule
from schedules.stage import message_until, person_slots, stage_message
from schedules.timeline import Timeline
from schedules.timers import Timer, TimerStatus


def _seconds(delta) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 3)


def _timer_person(schedule: Schedule, timer: Timer) -> str | None:
    """Whose turn a timer counts: its person, or the person named in its respondent slot."""
    if timer.person:
        return timer.person
    seg = schedule.segment(timer.segment) if timer.segment else None
    if seg and seg.respondents and timer.slot and timer.slot <= len(seg.respondents.slots):
        return seg.respondents.slots[timer.slot - 1].person
    return None


def pick_timer(schedule: Schedule, timers: list[Timer], person: str | None) -> Timer | None:
    """The timer the stage should see: the person's own, else the one started last."""
    live = [t for t in timers if t.status is not TimerStatus.stopped]
    own = [t for t in live if person and _timer_person(schedule, t) == person]
    pool = own or live
    return max(pool, key=lambda t: t.started_at) if pool else None


def message_lifetime(message: StageMessage, timeline: Timeline, now: datetime) -> dict[str, Any]:
    """How a shown message goes: `until_cleared`, `expires_after`, and `until` (UTC) with `goes_in`
    (seconds from `now`) when it goes by itself, so a page hides it on time between two frames."""
    until = message_until(message, timeline)
    return {
        "until_cleared": message.until_cleared,
        "expires_after": message.expires_after,
        "until": iso_utc(until) if until is not None else None,
        "goes_in": _seconds(until - now) if until is not None else None,
    }


def stage_json(
    schedule: Schedule, timeline: Timeline, actions: list, now: datetime, person: str | None = None
) -> dict[str, Any]:
    """Current and next segment, the running timer, the stage message and, for a person, their next slot."""
    state = timeline.state_at(now)
    warning = schedule.timers.warning.total_seconds()
    danger = schedule.timers.danger.total_seconds()
    current = state.current
    timer = pick_timer(schedule, state.timers, person)
    timer_out = None
    if timer is not None:
        remaining = timer.remaining_at(now).total_seconds()
        timer_out = {
            "id": timer.id,
            "label": timer.label,
            "status": timer.status.value,
            "seconds": timer.seconds,
            "remaining": round(remaining, 3),
            "level": timer_level(remaining, warning, danger),
        }
    message = stage_message(actions, timeline, now)
    you = None
    if person and (who := schedule.person(person)):
        upcoming = [s for s in person_slots(schedule, timeline.segments, person) if s.end > now]
        slot = upcoming[0] if upcoming else None
        you = {
            "id": who.id,
            "name": who.name,
            "timezone": who.timezone or schedule.event.timezone,
            "next_slot": None
            if slot is None
            else {
                "segment": slot.segment,
                "title": slot.title,
                "role": slot.role.value,
                "number": slot.number,
                "start": iso_utc(slot.start),
                "end": iso_utc(slot.end),
                "starts_in": _seconds(slot.start - now),
            },
        }
    nxt = state.next
    return {
        "event": {"id": schedule.event.id, "title": schedule.event.title, "timezone": schedule.event.timezone},
        "now": iso_utc(now),
        "status": state.status,
        "held": state.held,
        # The shared segment projection in the audience's tier (public cards, no ids or emails),
        # plus what a stage needs to count: time left in the current one, time until the next.
        "current": None
        if current is None
        else {**segment_view(schedule, current, public_people), "remaining": _seconds(state.remaining)},
        "next": None
        if nxt is None
        else {**segment_view(schedule, nxt, public_people), "starts_in": _seconds(nxt.start - now)},
        "timer": timer_out,
        "thresholds": {"warning": warning, "danger": danger, "ending_soon": schedule.run.ending_soon.total_seconds()},
        "message": None
        if message is None
        else {
            "text": message.text,
            "flash": message.flash,
            "blackout": message.blackout,
            "at": iso_utc(message.at),
            "seq": message.seq,
            **message_lifetime(message, timeline, now),
        },
        "person": you,
    }
