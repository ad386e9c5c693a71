"""`showcaller watch`: a live terminal view of an event's state, fed by its server-sent-event stream.

The stream sends a state after every change; between changes the countdowns tick here, at the
server's clock rate (a rehearsal's event time runs N times faster).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from app.cli.state_text import clock, duration

LEVEL_STYLES = {"ok": "bold green", "warning": "bold yellow", "danger": "bold red", "over": "bold white on red"}


def _countdown(remaining: float) -> str:
    """A countdown as the console shows it (common.js countdownText): seconds rounded up while counting
    down, then "+m:ss OVER" once past zero, never a negative number."""
    if remaining > 0:
        return duration(math.ceil(remaining - 1e-6))
    return f"+{duration(-remaining)} OVER" if remaining <= -1 else "0:00 OVER"


def _level(remaining: float, thresholds: dict) -> str:
    if remaining <= 0:
        return "over"
    if remaining <= thresholds.get("danger", 0):
        return "danger"
    return "warning" if remaining <= thresholds.get("warning", 0) else "ok"


def render(state: dict, real_seconds: float) -> Panel:
    """The view of `state`, `real_seconds` after it arrived."""
    from zoneinfo import ZoneInfo

    rate = float(state.get("clock_rate") or 1.0)
    passed = real_seconds * rate
    tz = ZoneInfo(state["event"]["timezone"])
    thresholds = state.get("thresholds", {})
    rows = Table.grid(padding=(0, 2))
    rows.add_column(justify="right", style="dim")
    rows.add_column()
    current, upcoming = state.get("current"), state.get("next")
    held = " (on hold)" if state.get("held") else ""
    rows.add_row("status", f"{state['status']}{held}")
    if current:
        remaining = (state.get("remaining") or 0.0) - (0.0 if state.get("held") else passed)
        rows.add_row("now", Text(current["title"], style="bold"))
        rows.add_row("left", Text(_countdown(remaining), style=LEVEL_STYLES[_level(remaining, thresholds)]))
    if upcoming:
        rows.add_row("next", Text(f"{upcoming['title']} at {clock(upcoming['start'], tz)}"))
    rows.add_row("plan", state.get("ahead_behind") or duration(state.get("delay")))
    against = f", {state['end_vs_plan']}" if state.get("end_vs_plan") else ""
    rows.add_row(
        "ends", f"{clock(state.get('projected_end'), tz)} (planned {clock(state.get('planned_end'), tz)}{against})"
    )
    for timer in state.get("timers", []):
        left = timer["remaining"] - (passed if timer["status"] == "running" else 0.0)
        style = LEVEL_STYLES[_level(left, thresholds)] if timer["status"] != "stopped" else "dim"
        rows.add_row(
            f"timer {timer['id']}", Text(f"{timer['label']}: {_countdown(left)} ({timer['status']})", style=style)
        )
    title = Text(f"{state['event']['title']}  ({state['event']['timezone']})", style="bold")
    return Panel(Group(rows), title=title, title_align="left")


def follow(
    states: Iterator[dict], console: Console, *, once: bool = False, until_ended: bool = True, now: Callable[[], float]
) -> dict | None:
    """Show each state as it arrives and tick the countdowns in between; returns the last state."""
    inbox: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            for item in states:
                inbox.put(("state", item))
        except BaseException as exc:  # handed to the main thread, which reports it
            inbox.put(("error", exc))
        inbox.put(("end", None))

    threading.Thread(target=read, name="watch-stream", daemon=True).start()
    latest, arrived = None, 0.0
    with Live(console=console, auto_refresh=False, redirect_stdout=False) as live:
        while True:
            try:
                kind, value = inbox.get(timeout=0.25)
            except queue.Empty:
                kind, value = None, None
            if kind == "error":
                raise value
            if kind == "end":
                break
            if kind == "state":
                latest, arrived = value, now()
            if latest is None:
                continue
            live.update(render(latest, now() - arrived), refresh=True)
            if once or (until_ended and latest["status"] == "ended"):
                break
    return latest
