"""What to do with a cue that fires late: decided per kind, not by APScheduler's 1-second default.

A transition is news even when late (say so); a countdown warning after its moment is noise;
a reminder still helps while its segment lasts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schedules.i18n import ENGLISH_WORDS, Words

LATE_AFTER = timedelta(seconds=2)
# Zoom actions (schedules/zoom_actions.py), by the `action` in the cue's data: a start or resume is
# still worth doing late, until the moment its span would stop anyway; a stop is always done; a pause
# or a waiting-room text is about its segment, so it is dropped once that segment has ended.
ZOOM_UNTIL_STOP = {"recording.start", "recording.resume", "livestream.start"}
ZOOM_ABOUT_SEGMENT = {"recording.pause", "waiting_room.update"}
# A recording or stream left running records or streams for nothing: its stop runs however late.
ZOOM_STOPS = {"recording.stop", "livestream.stop"}
STOP_LATE_FOR = timedelta(hours=24)
WARNING_TOLERANCE = timedelta(seconds=5)
ALWAYS_DELIVER = {"segment_start", "segment_end", "announcement"}
# A transition posted late says so in its text (app/engine/compose.py), from the cue's fired note.
TRANSITIONS = {"segment_start", "segment_end"}
LATE_NOTE = "late by"


def late_note(late_ms: int) -> str:
    """The note a cue fired late keeps in the cue log ("late by 95.0 s")."""
    return f"{LATE_NOTE} {late_ms / 1000:.1f} s"


def late_line(kind: str, note: str | None, late_ms: int | None, due: str, words: Words = ENGLISH_WORDS) -> str:
    """The line a transition fired late adds to its message ('' if it was on time or is not a
    transition), in the reader's words."""
    if kind not in TRANSITIONS or not (note or "").startswith(LATE_NOTE) or not late_ms:
        return ""
    seconds = late_ms // 1000
    if seconds < 60:
        size = words._("{seconds} s", seconds=words.number(seconds))
    else:
        size = words._("{minutes} min", minutes=words.number(round(seconds / 60)))
    return words._("(Posted {size} late: it was due at {due}.)", size=size, due=due)


@dataclass(frozen=True)
class Decision:
    """Fire (possibly flagged late) or skip, and until when deliveries are still worth retrying."""

    fire: bool
    late: bool
    expires_at: datetime
    reason: str = ""


def _when(data: dict[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return datetime.fromisoformat(value) if value else None


def deadline(kind: str, due: datetime, data: dict[str, Any], give_up: timedelta) -> datetime:
    """The last moment a cue of this kind is still worth posting."""
    segment_end, segment_start = _when(data, "end"), _when(data, "start")
    if kind in ALWAYS_DELIVER:
        return due + give_up
    if kind in ("timer_warning", "timer_danger"):
        return due + WARNING_TOLERANCE
    if kind == "timer_up":
        return due + timedelta(seconds=30)
    if kind == "timer_start":
        return _when(data, "ends") or due + timedelta(minutes=1)
    if kind == "respondent_slot":
        # A slot is over when its minutes are, or when the segment has ended, whichever is first.
        slot_over = due + timedelta(minutes=float(data.get("minutes", 3)))
        return min(slot_over, segment_end - timedelta(seconds=1)) if segment_end else slot_over
    if kind == "readiness_check":
        return segment_start or due
    if kind in ("segment_ending_soon", "reminder"):
        return max(segment_end or due + give_up, due)
    if kind == "zoom_action":
        action = data.get("action")
        if action in ZOOM_UNTIL_STOP:
            return max(_when(data, "until") or due + give_up, due)
        if action in ZOOM_ABOUT_SEGMENT:
            return max(segment_end or due + give_up, due)
        if action in ZOOM_STOPS:
            return due + STOP_LATE_FOR
    return due + give_up


def stale(kind: str, moment: datetime, data: dict[str, Any]) -> str:
    """Why a cue about a segment must not be posted at `moment` at all ('' if it may be): a
    readiness check once its segment has started, a start, "ending soon" or respondent slot once
    its segment has ended; a Zoom pause or waiting-room text once its segment has ended."""
    segment_end, segment_start = _when(data, "end"), _when(data, "start")
    if kind == "readiness_check" and segment_start is not None and moment >= segment_start:
        return "its segment has already started"
    if (
        kind in ("segment_start", "segment_ending_soon", "respondent_slot")
        and segment_end is not None
        and moment >= segment_end
    ):
        return "its segment has already ended"
    if (
        kind == "zoom_action"
        and data.get("action") in ZOOM_ABOUT_SEGMENT
        and segment_end is not None
        and moment >= segment_end
    ):
        return "its segment has already ended"
    return ""


def decide(
    kind: str, due: datetime, now: datetime, data: dict[str, Any], give_up: timedelta, grace: timedelta = timedelta(0)
) -> Decision:
    """Whether a due cue still fires at `now`; lateness within `grace` (machine jitter) does not count."""
    until = deadline(kind, due, data, give_up)
    effective = max(due, now - grace)
    # Wake-up jitter counts as on time here too; anything later must not cross the segment's edge.
    if reason := stale(kind, effective, data):
        return Decision(False, now > due, until, reason)
    if effective > until:
        return Decision(False, True, until, f"{int((now - due).total_seconds())} s late; no longer useful")
    return Decision(True, effective - due > LATE_AFTER, until)
