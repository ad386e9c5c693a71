"""Zoom's live state as the console's Zoom card shows it: a read model, plain data only.

The recording and stream states come from Zoom's own webhooks (`recording.*`,
`meeting.live_streaming_*`, stored in the inbox), never from what Showcaller asked for; a host's
action by hand that Zoom has not answered yet shows as `asked` next to the state, and the rules
use it so a second press before the webhook is refused too. Pure: the caller reads the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.vocabulary import DELIVERY_FAILED, DeliveryStatus
from app.views.times import iso_local, iso_utc
from schedules.adjustments import ZoomControl, effective
from schedules.model import CueKind, Schedule

RECEIVED = "_received_at"  # the reader's key: when a webhook reached the inbox (our clock, UTC)
NOT_STARTED = "not_started"  # no recording webhook yet
RECORDING_EVENTS: dict[str, str] = {
    "recording.started": "recording",
    "recording.resumed": "recording",
    "recording.paused": "paused",
    "recording.stopped": "stopped",
}
STREAM_EVENTS: dict[str, str] = {
    "meeting.live_streaming_started": "started",
    "meeting.live_streaming_stopped": "stopped",
}
# What each action by hand leads to, and the states it may be asked from (the 409 otherwise).
RECORDING_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({NOT_STARTED, "stopped"}), "recording"),
    "pause": (frozenset({"recording"}), "paused"),
    "resume": (frozenset({"paused"}), "recording"),
    "stop": (frozenset({"recording", "paused"}), "stopped"),
}
STREAM_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({NOT_STARTED, "stopped"}), "started"),
    "stop": (frozenset({"started"}), "stopped"),
}
STATE_WORDS = {
    NOT_STARTED: "not started",
    "recording": "recording",
    "paused": "paused",
    "stopped": "stopped",
    "started": "live",
}


@dataclass(frozen=True)
class Seen:
    """The last state a webhook told, since when by Zoom's clock, and when that webhook arrived."""

    state: str = NOT_STARTED
    since: datetime | None = None
    arrived: datetime | None = None


def last_seen(events: Iterable[Mapping[str, Any]], meeting_id: int | str | None, names: Mapping[str, str]) -> Seen:
    """The latest of `names`' webhooks for the meeting, by Zoom's `event_ts` (out-of-order safe)."""
    latest: tuple[int, str, Any] | None = None
    for event in events:
        state = names.get(str(event.get("event", "")))
        obj = (event.get("payload") or {}).get("object") or {}
        if state is None or (meeting_id is not None and str(obj.get("id")) != str(meeting_id)):
            continue
        ts = int(event.get("event_ts") or 0)
        if latest is None or ts >= latest[0]:
            latest = (ts, state, event.get(RECEIVED))
    if latest is None:
        return Seen()
    arrived = latest[2] if isinstance(latest[2], datetime) else None
    if arrived is not None and arrived.tzinfo is None:
        arrived = arrived.replace(tzinfo=UTC)  # SQLite hands UTC back naive
    return Seen(latest[1], datetime.fromtimestamp(latest[0] / 1000, UTC) if latest[0] else arrived, arrived)


def expected(seen: Seen, actions: Iterable[Any], family: str, moves: Mapping[str, tuple[frozenset[str], str]]) -> str:
    """The state once Zoom has done what hosts asked by hand after the last webhook (the rules' view)."""
    state = seen.state
    for a in effective(list(actions)):
        if not isinstance(a, ZoomControl) or not a.action.startswith(family + "."):
            continue
        if seen.arrived is not None and a.at < seen.arrived:
            continue  # Zoom's webhook came after the press: the state already tells
        move = moves.get(a.action.removeprefix(family + "."))
        if move is not None:
            state = move[1]
    return state


def refusal(family: str, move: str, state: str) -> str | None:
    """Why `move` cannot be asked in `state` (None: it can)."""
    moves = RECORDING_MOVES if family == "recording" else STREAM_MOVES
    sources, target = moves[move]
    if state in sources:
        return None
    noun = "the recording" if family == "recording" else "the live stream"
    if state == target:
        return f"{noun} is already {STATE_WORDS[state]}"
    allowed = " or ".join(sorted(STATE_WORDS[s] for s in sources))
    return f"{noun} is {STATE_WORDS[state]}: it cannot {move} (only when {allowed})"


def _last_failure(deliveries: Iterable[Any]) -> Any:
    """The newest failed (parked or expired) delivery whose action was not carried out since (a
    resend that went through, newer in the list, clears it). `deliveries`: newest first."""
    done: set[str] = set()
    for d in deliveries:
        if d.status in DELIVERY_FAILED and d.cue_id not in done:
            return d
        if d.status == DeliveryStatus.SENT:
            done.add(d.cue_id)
    return None


def zoom_card(
    schedule: Schedule,
    meeting: tuple[int, str] | None,
    events: Iterable[Mapping[str, Any]],
    actions: list[Any],
    cues: Iterable[Any],
    deliveries: Iterable[Any],
    now: datetime,
) -> dict[str, Any] | None:
    """The card's data, or None when the event has nothing to do with Zoom (no `zoom` block that acts
    and no meeting applied). `cues` are the timeline's; `deliveries` the @zoom outbox rows, newest first."""
    zoom = schedule.zoom
    acts = zoom is not None and any(
        getattr(zoom, name, None) for name in ("recording", "livestream", "waiting_room_message", "polls")
    )
    if meeting is None and not acts:
        return None
    zone = schedule.event.timezone
    meeting_id = meeting[0] if meeting else None

    def part(names: Mapping[str, str], family: str, moves: Mapping[str, tuple[frozenset[str], str]]):
        seen = last_seen(events, meeting_id, names)
        asked = expected(seen, actions, family, moves)
        return {
            "state": seen.state,
            "since": iso_utc(seen.since) if seen.since else None,
            "since_local": iso_local(seen.since, zone) if seen.since else None,
            "asked": asked if asked != seen.state else None,
            "can": sorted(m for m in moves if refusal(family, m, asked) is None),
        }

    upcoming = sorted(
        (c for c in cues if c.kind == CueKind.zoom_action and not c.held and c.at > now), key=lambda c: c.at
    )
    nxt = upcoming[0] if upcoming else None
    failed = _last_failure(deliveries)
    return {
        "meeting_id": meeting_id,
        "recording": part(RECORDING_EVENTS, "recording", RECORDING_MOVES),
        "livestream": part(STREAM_EVENTS, "livestream", STREAM_MOVES)
        if zoom is not None and zoom.livestream is not None
        else None,
        "next": {
            "cue_id": nxt.id,
            "action": (nxt.data or {}).get("action"),
            "title": nxt.title,
            "at": iso_utc(nxt.at),
            "at_local": iso_local(nxt.at, zone),
        }
        if nxt is not None
        else None,
        "last_failure": {
            "delivery_id": failed.id,
            "cue_id": failed.cue_id,
            "status": failed.status,
            "reason": failed.last_error or "failed",
            "at": iso_utc(failed.created_at),
        }
        if failed is not None
        else None,
    }
