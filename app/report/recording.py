"""The pack's "Recording" section: the recording's takes, their files, and the chapters of what ran.

From the `recording.*` webhooks Zoom sent (kept in the inbox): when each take started, paused,
resumed and stopped (their `event_ts`), and from `recording.completed` the share link and the
files. The chapters come from the run log's timeline (schedules/chapters.py), so a jump or an undo
shows as it happened, and a paused break is cut out of the offsets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.views.times import iso_utc
from schedules.chapters import PAUSED, RESUMED, STARTED, STOPPED, chapters, runs_of, stamp, takes, webvtt, youtube_list
from schedules.model import Schedule
from schedules.timeline import Timeline

RECORDING_KINDS = {
    "recording.started": STARTED,
    "recording.paused": PAUSED,
    "recording.resumed": RESUMED,
    "recording.stopped": STOPPED,
}
ENDS = ("meeting.ended", "webinar.ended")
COMPLETED = "recording.completed"
# Only what a reader of a shareable pack needs of a file (download URLs carry tokens: left out).
FILE_KEYS = ("file_type", "file_extension", "recording_type", "file_size", "recording_start", "recording_end")


def _at(event: dict[str, Any]) -> datetime | None:
    ts = event.get("event_ts")
    return (
        datetime.fromtimestamp(int(ts) / 1000, UTC) if isinstance(ts, int | float | str) and str(ts).isdigit() else None
    )


def recording_section(
    schedule: Schedule, timeline: Timeline, events: list[dict[str, Any]], now: datetime
) -> dict[str, Any] | None:
    """The section's data, or None when the schedule plans no recording and none was made."""
    moments = []
    ended: datetime | None = None
    completed: dict[str, Any] | None = None
    for event in events:
        name, at = str(event.get("event", "")), _at(event)
        if name in RECORDING_KINDS and at is not None:
            moments.append((RECORDING_KINDS[name], at))
        elif name in ENDS and at is not None:
            ended = max(ended, at) if ended else at
        elif name == COMPLETED:
            completed = ((event.get("payload") or {}).get("object")) or {}
    if not moments and schedule.zoom.recording is None:
        return None
    until = ended or min(now, timeline.state_at(now).projected_end)
    titles = {s.id: s.title for s in timeline.rundown.segments} if timeline.schedule else {}
    runs = runs_of(titles, timeline.segments, until)
    out = []
    for take in takes(moments, until=ended):
        found = chapters(take, runs)
        long = take.length.total_seconds() >= 3600
        out.append(
            {
                "started": iso_utc(take.started),
                "stopped": iso_utc(take.stopped),
                "length_seconds": round(take.length.total_seconds()),
                "paused_seconds": round(take.paused.total_seconds()),
                "chapters": [
                    {
                        "segment": c.segment,
                        "title": c.title,
                        "offset_seconds": round(c.offset.total_seconds()),
                        "offset": stamp(c.offset, long),
                        "length_seconds": round(c.length.total_seconds()),
                    }
                    for c in found
                ],
                "youtube": youtube_list(take, found),
                "webvtt": webvtt(found),
            }
        )
    files = [{k: f.get(k) for k in FILE_KEYS} for f in (completed or {}).get("recording_files") or []]
    return {
        "planned": schedule.zoom.recording is not None,
        "mode": schedule.zoom.recording.mode if schedule.zoom.recording else None,
        "takes": out,
        "share_url": (completed or {}).get("share_url"),
        "files": files,
    }
