"""The live state as plain text: the lines `showcaller state` and every action print, and the
clock times and durations `watch` shows too. No rich here: a remote command prints these after its
request, and rich is imported only then (issue 27)."""

from __future__ import annotations

from datetime import datetime


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{sign}{rest // 60}:{rest % 60:02d}"


def clock(iso: str | None, tz) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(tz).strftime("%H:%M:%S")


def state_lines(state: dict) -> list[str]:
    """The live state as a few plain lines (times in the event's zone)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(state["event"]["timezone"])
    lines = [
        f"{state['event']['title']} ({state['event']['id']}): {state['status']}"
        + (" (on hold)" if state.get("held") else "")
    ]
    current, upcoming = state.get("current"), state.get("next")
    if current:
        lines.append(
            f"now:   {current['title']} [{current['id']}] until {clock(current['end'], tz)}, "
            f"{duration(state.get('remaining'))} left"
        )
    if upcoming:
        lines.append(f"next:  {upcoming['title']} [{upcoming['id']}] at {clock(upcoming['start'], tz)}")
    budget = f" ({state['ahead_behind']})" if state.get("ahead_behind") else ""
    against = f", {state['end_vs_plan']}" if state.get("end_vs_plan") else ""
    lines.append(
        f"delay: {duration(state.get('delay'))}{budget}   projected end: {clock(state.get('projected_end'), tz)} "
        f"(planned {clock(state.get('planned_end'), tz)}{against})"
    )
    for timer in state.get("timers", []):
        lines.append(f"timer {timer['id']}: {timer['label']} {timer['status']}, {duration(timer['remaining'])} left")
    return lines
