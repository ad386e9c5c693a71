"""`showcaller watch`'s view: an overrun reads OVER, as on the console, never as a negative countdown."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from app.cli.watch_view import render


def _state(remaining: float, timer_remaining: float) -> dict:
    return {
        "event": {"title": "Mekong Dialogue", "timezone": "Asia/Bangkok"},
        "status": "running",
        "held": False,
        "clock_rate": 1.0,
        "thresholds": {"warning": 60, "danger": 30, "ending_soon": 300},
        "current": {"id": "session-1", "title": "Session 1"},
        "next": None,
        "remaining": remaining,
        "delay": 0,
        "projected_end": "2022-05-30T10:30:00+00:00",
        "planned_end": "2022-05-30T10:30:00+00:00",
        "timers": [{"id": "t1", "label": "Respondent 1", "status": "running", "remaining": timer_remaining}],
    }


def _shown(state: dict, real_seconds: float) -> str:
    out = StringIO()
    Console(file=out, width=100, color_system=None).print(render(state, real_seconds))
    return out.getvalue()


def test_an_overrun_segment_and_timer_read_over_with_a_plus() -> None:
    text = _shown(_state(remaining=20, timer_remaining=5), real_seconds=31)
    assert "+0:11 OVER" in text  # the segment, 11 s past its end
    assert "Respondent 1: +0:26 OVER (running)" in text
    assert "-0:" not in text


def test_before_zero_the_countdown_rounds_up_like_the_console() -> None:
    text = _shown(_state(remaining=90.4, timer_remaining=0.5), real_seconds=0)
    assert "1:31" in text and "OVER" not in text.split("Respondent 1")[0]
    assert "Respondent 1: 0:01 (running)" in text
