"""Readiness alerts: rewrite the readiness cue with who is missing, and post again on arrivals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.attendance.people import Check, Expected, check_segment
from app.attendance.service import AttendanceService
from app.engine.service import RunEngine
from app.store import attendance_repo
from schedules.adjustments import Announce
from schedules.graphemes import cut
from schedules.limits import TITLE, fit
from schedules.model import Schedule
from schedules.plan import SegmentTiming

ACTOR = "readiness"
TITLE_MAX = 300


def _label(exp: Expected, check: Check) -> str:
    if exp.id is None:
        return f"{exp.name} not joined"
    if exp.key in check.waiting:
        return f"{exp.name} ({exp.role}, in the waiting room)"
    return exp.label


def _minutes(start: datetime, now: datetime) -> int:
    return max(0, round((start - now).total_seconds() / 60))


def render(title: str, start: datetime, now: datetime, check: Check) -> tuple[str, str, dict[str, Any]]:
    """Title, message and data of a readiness cue for segment `title` starting at `start`."""
    minutes = _minutes(start, now)
    missing = [_label(e, check) for e in check.missing]
    present = [e.label for e in check.present]
    head = f"Readiness: {title} in {minutes} min"
    summary = f"{head} — missing: {', '.join(missing)}" if missing else f"{head} — all present"
    summary = cut(summary, TITLE_MAX, trim=False)  # between grapheme clusters
    parts = [f"{title} starts in {minutes} minutes."]
    parts.append(f"Missing: {'; '.join(missing)}." if missing else "All expected people are present.")
    if present and missing:
        parts.append(f"Present: {'; '.join(present)}.")
    data = {
        # Who waits in the waiting room is a fact of the entry, so a translation can say it too.
        "missing": [_entry(e, waiting=e.id is not None and e.key in check.waiting) for e in check.missing],
        "present": [_entry(e) for e in check.present],
        "checked_at": now.isoformat(),
    }
    return summary, " ".join(parts), data


def _entry(exp: Expected, waiting: bool = False) -> dict[str, Any]:
    entry = {"key": exp.key, "id": exp.id, "name": exp.name, "role": exp.role}
    return {**entry, "waiting": True} if waiting else entry


def upcoming_timing(segments: list[SegmentTiming], segment_id: str, now: datetime) -> SegmentTiming | None:
    """The next (or running) occurrence of a segment."""
    return next((s for s in segments if s.id == segment_id and not s.skipped and s.end > now), None)


def host_targets(schedule: Schedule) -> tuple[str, ...]:
    return tuple(t.id for t in schedule.targets if t.hosts)


class Readiness:
    """The `readiness_check` fire hook and the follow-up posted when a missing person arrives
    (the composition root gives `hook` to the engine for readiness cues)."""

    def __init__(self, service: AttendanceService, engine: RunEngine) -> None:
        self.service, self.engine = service, engine

    async def hook(self, event_id: str, row: Any) -> dict[str, Any] | None:
        """Rewrite a readiness cue just before delivery (None: leave the planned text)."""
        schedule = self.engine.loaded(event_id).rundown  # with the live edits: an inserted session too
        segment = schedule.segment(row.segment or "")
        if segment is None or not await self.service.linked(event_id):
            return None
        now = self.engine.clock.now()
        timing = upcoming_timing(self.engine.timeline(event_id).segments, segment.id, now)
        start = timing.start if timing else datetime.fromisoformat(row.data["start"])
        check = check_segment(schedule, segment, await self.service.attendance(event_id))
        title, message, data = render(segment.title, start, now, check)
        # The title is composed around the segment's: cut to what the cue log keeps, like a planned one.
        return {"title": fit(title, TITLE), "message": message, "data": {**row.data, **data}}

    async def follow_up(self, event_id: str) -> list[str]:
        """Announce each person missing at the check who has arrived before their segment starts."""
        try:
            loaded = self.engine.loaded(event_id)
        except LookupError:
            return []
        async with self.service.db.begin() as conn:
            fired = await attendance_repo.fired_readiness_cues(conn, event_id)
        waiting = [row for row in fired if (row.data or {}).get("missing")]
        if not waiting:
            return []
        now = self.engine.clock.now()
        schedule, segments = loaded.rundown, self.engine.timeline(event_id).segments
        attendance = await self.service.attendance(event_id)
        announced = {a.announcement_id for a in loaded.actions if isinstance(a, Announce)}
        posted = []
        for row in waiting:
            segment = schedule.segment(row.segment or "")
            timing = upcoming_timing(segments, row.segment or "", now)
            if segment is None or timing is None or timing.start <= now:
                continue
            check = check_segment(schedule, segment, attendance)
            still = {e.key for e in check.missing}
            for entry in row.data["missing"]:
                ident = f"readiness-{segment.id}-{entry['key']}"
                if entry["key"] in still or ident in announced:
                    continue
                await self.engine.act(
                    event_id,
                    _announce(
                        ident,
                        entry,
                        segment.title,
                        timing.start,
                        now,
                        check,
                        host_targets(schedule),
                    ),
                    actor=ACTOR,
                )
                announced.add(ident)
                posted.append(ident)
        return posted


def _announce(
    ident: str,
    entry: dict[str, Any],
    title: str,
    start: datetime,
    now: datetime,
    check: Check,
    targets: tuple[str, ...],
):
    who = entry["name"] if entry["id"] is None else f"{entry['name']} ({entry['role']})"
    rest = (
        ("still missing: " + ", ".join(_label(e, check) for e in check.missing))
        if check.missing
        else "all expected people are present"
    )
    message = f"Readiness: {who} has joined — {title} starts in {_minutes(start, now)} min; {rest}."
    return lambda at: Announce(at, announcement_id=ident, message=message, targets=targets)
