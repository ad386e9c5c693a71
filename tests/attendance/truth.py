"""Independent arithmetic on a crowd's ground truth (no code shared with app.attendance)."""

from __future__ import annotations

from datetime import datetime

from integrations.zoom_emulator.crowd import Crowd


def peak(crowd: Crowd) -> int:
    events = sorted(
        [(a, 1) for t in crowd.truth.values() for a, _ in t.intervals]
        + [(b, -1) for t in crowd.truth.values() for _, b in t.intervals]
    )
    best = count = 0
    for _, delta in events:  # at equal times -1 sorts first: a leave and a join at t do not overlap
        count += delta
        best = max(best, count)
    return best


def attended_between(crowd: Crowd, start: datetime, end: datetime) -> int:
    return sum(1 for t in crowd.truth.values() if any(a < end and b > start for a, b in t.intervals))


def seconds_by_key(crowd: Crowd) -> dict[str, int]:
    return {key: t.total_seconds for key, t in crowd.truth.items()}
