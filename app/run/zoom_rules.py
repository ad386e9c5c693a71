"""Rules of the Zoom actions a host does by hand (the console's Zoom card, `/api/events/{id}/zoom/...`).

The state they are checked against is Zoom's, from its webhooks in the inbox, read in the action's
own transaction, plus what hosts asked by hand since the last webhook (app/views/zoom_live.py): a
second Pause before Zoom answered the first is refused like a Pause of a paused recording. The
action itself is a `ZoomControl` in the run log: the timeline plans it as a `zoom_action` cue for
the @zoom pseudo-target, so the outbox carries it out (no call to Zoom from here), and an undo sends
the inverse action.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import Conflict, Invalid
from app.engine.service import Txn
from app.store import attendance_repo, zoom_repo
from app.views import zoom_live
from schedules.adjustments import ZoomControl


async def read_webhooks(conn: AsyncConnection, meeting_id: int | str) -> list[dict[str, Any]]:
    """The meeting's recording and live-stream webhooks, parsed (unreadable bodies skipped), each with
    the moment it arrived on our clock (`RECEIVED`), which is what a host's later press is compared to."""
    names = (*attendance_repo.RECORDING_STATE_EVENTS, *attendance_repo.LIVE_STREAM_EVENTS)
    out = []
    for body, received in await attendance_repo.state_webhooks(conn, str(meeting_id), names):
        try:
            event = json.loads(body)
        except ValueError:
            continue
        if isinstance(event, dict):
            out.append({**event, zoom_live.RECEIVED: received})
    return out


async def control(txn: Txn, family: str, move: str) -> tuple[ZoomControl, dict[str, Any]]:
    """Ask Zoom for `family.move` (recording start/pause/resume/stop, livestream start/stop)."""
    moves = zoom_live.RECORDING_MOVES if family == "recording" else zoom_live.STREAM_MOVES
    if family not in ("recording", "livestream") or move not in moves:
        raise Invalid(
            f"'{family} {move}' is not a Zoom action (recording: start, pause, resume, stop; livestream: start, stop)"
        )
    if family == "livestream" and txn.schedule.zoom.livestream is None:
        raise Conflict(
            "the schedule has no zoom.livestream: add one (url_env, key_env, start_at) to control the stream"
        )
    if (
        family == "recording"
        and txn.schedule.zoom.recording is not None
        and txn.schedule.zoom.recording.mode == "local"
    ):
        raise Conflict(
            "the recording is local (zoom.recording.mode: local): Zoom's API cannot control it; use Zoom's window"
        )
    found = await zoom_repo.stored(txn.conn, txn.event_id)
    if found is None:
        raise Conflict(f"{txn.event_id} has no Zoom meeting yet: run `showcaller apply` first")
    names = zoom_live.RECORDING_EVENTS if family == "recording" else zoom_live.STREAM_EVENTS
    seen = zoom_live.last_seen(await read_webhooks(txn.conn, found.zoom_id), found.zoom_id, names)
    state = zoom_live.expected(seen, txn.actions, family, moves)
    why = zoom_live.refusal(family, move, state)
    if why is not None:
        raise Conflict(why, zoom_state=state)
    return ZoomControl(txn.now, action=f"{family}.{move}"), {"zoom_action": f"{family}.{move}"}
