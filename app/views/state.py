"""The live state of an event as JSON: what the console, the API and the event stream show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.views.schedule import segment_json
from app.views.segments import host_people, segment_view
from app.views.times import iso_utc
from schedules.model import Schedule
from schedules.plan import SegmentTiming
from schedules.timeline import RunState, Timeline


def _seconds(delta) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 3)


def _segment(schedule: Schedule, row: SegmentTiming | None, now: datetime) -> dict[str, Any] | None:
    """The current or next segment, in a host's tier, with how long until it starts."""
    if row is None:
        return None
    return {**segment_view(schedule, row, host_people), "starts_in": _seconds(row.start - now)}


def ahead_behind(delta: timedelta) -> str:
    """Where the show stands against the plan, to the minute: 'on time', 'ahead by 12 min' or
    'behind by 4 min' (a negative delay is ahead). One wording for the console, the CLI and previews."""
    minutes = round(delta.total_seconds() / 60)
    if minutes == 0:
        return "on time"
    return f"behind by {minutes} min" if minutes > 0 else f"ahead by {-minutes} min"


def end_vs_plan(projected: datetime, planned: datetime) -> str:
    """The projected end against the planned one: 'as planned', '18 min early' or '4 min late'."""
    minutes = round((projected - planned).total_seconds() / 60)
    if minutes == 0:
        return "as planned"
    return f"{minutes} min late" if minutes > 0 else f"{-minutes} min early"


def end_effect(before: RunState, after: RunState) -> dict[str, Any]:
    """What a move does to the end of the event, for its confirmation: the projected end before and
    after (UTC), the change in seconds and in words, and where the show would stand against the plan."""
    change = round((after.projected_end - before.projected_end).total_seconds() / 60)
    moves = (
        "the projected end does not move"
        if change == 0
        else f"the projected end moves {abs(change)} min {'later' if change > 0 else 'earlier'}"
    )
    return {
        "planned": iso_utc(before.planned_end),
        "before": iso_utc(before.projected_end),
        "after": iso_utc(after.projected_end),
        "change": _seconds(after.projected_end - before.projected_end),
        "text": moves,
        "ahead_behind": ahead_behind(after.delay),
        "end_vs_plan": end_vs_plan(after.projected_end, after.planned_end),
    }


def timer_level(remaining: float, warning: float, danger: float) -> str:
    """ok, warning, danger or over: the colour a countdown shows."""
    if remaining <= 0:
        return "over"
    if remaining <= danger:
        return "danger"
    return "warning" if remaining <= warning else "ok"


def state_json(
    schedule: Schedule,
    timeline: Timeline,
    now: datetime,
    *,
    clock_rate: float = 1.0,
    undo: dict[str, Any] | None = None,
    timer_grace: timedelta | None = None,
) -> dict[str, Any]:
    """Everything a host needs at a glance, times in UTC (the event's zone is named).

    `clock_rate` is event seconds per real second (N in a rehearsal at N x) so a client's countdown
    ticks at the server's speed; `undo` is what POST /undo would revert now, and until when; a
    running timer's `stops_at` is when it stops by itself (`timer_grace` after time-up).
    """
    state = timeline.state_at(now)
    warning = schedule.timers.warning.total_seconds()
    danger = schedule.timers.danger.total_seconds()
    timers = []
    for timer in state.timers:
        remaining = timer.remaining_at(now).total_seconds()
        timers.append(
            {
                "id": timer.id,
                "label": timer.label,
                "segment": timer.segment,
                "slot": timer.slot,
                "person": timer.person,
                "seconds": timer.seconds,
                "started_at": iso_utc(timer.started_at),
                "ends_at": iso_utc(timer.ends_at) if timer.ends_at else None,
                "stops_at": iso_utc(timer.ends_at + timer_grace) if timer.ends_at and timer_grace is not None else None,
                "status": timer.status.value,
                "remaining": round(remaining, 3),
                "level": timer_level(remaining, warning, danger),
            }
        )
    tz = schedule.event.timezone
    return {
        "event": {
            "id": schedule.event.id,
            "title": schedule.event.title,
            "timezone": tz,
            "date": schedule.event.date.isoformat(),
            "language": schedule.event.language,
        },
        "now": iso_utc(now),
        "clock_rate": clock_rate,
        "status": state.status,
        "held": state.held,
        "current": _segment(schedule, state.current, now),
        "next": _segment(schedule, state.next, now),
        "elapsed": _seconds(state.elapsed),
        "remaining": _seconds(state.remaining),
        "delay": _seconds(state.delay),
        "projected_end": iso_utc(state.projected_end),
        "planned_end": iso_utc(state.planned_end),
        "overrun": _seconds(state.projected_end - state.planned_end),
        # The early/late budget in words, so a flexible segment never hides how far off the plan the show is.
        "ahead_behind": ahead_behind(state.delay),
        "end_vs_plan": end_vs_plan(state.projected_end, state.planned_end),
        "thresholds": {"warning": warning, "danger": danger, "ending_soon": schedule.run.ending_soon.total_seconds()},
        "timers": timers,
        "undo": undo,
        "segments": segment_json(schedule, timeline, tz),
    }
