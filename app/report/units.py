"""How every report writes times and durations: one place, so the report and the pack agree."""

from __future__ import annotations

from datetime import datetime

from app.views.times import iso_utc


def iso(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 UTC, or None."""
    return None if moment is None else iso_utc(moment)


def minutes(seconds: float, places: int = 2) -> float:
    """Seconds as minutes, rounded (the report keeps 2 places, the pack's annex 1)."""
    return round(seconds / 60, places)


def mmss(seconds: float) -> str:
    """A duration as m:ss ("3:05"); the caller adds a sign."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
