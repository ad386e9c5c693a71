"""Zoom actions on the agenda: when Showcaller starts, pauses and stops the recording, updates the
waiting room and starts the live stream, derived from the segment timings the timeline replays.

Pure: the same schedule and segment timings always give the same moments with the same ids. An id
names the action and the segment it is about (`zoom_action/recording.start`,
`zoom_action/waiting_room/session-1`), never its time, so a delay moves the action instead of
planning a second one, and an action fires once.

Anchors follow what runs, not the plan: the recording starts with the first segment that really
runs from `start_at` on (a jump past the opening still starts it), and stops when the last segment
that ran up to `stop_at` ends (an early end stops it then).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schedules.clock import wall
from schedules.model import Schedule
from schedules.plan import SegmentTiming
from schedules.resolve import zone

# The pseudo-target a Zoom action goes to: the delivery worker's Zoom sender, not a chat webhook.
# Not a valid target id (ids start with a letter or digit), so no schedule's target can take it.
ZOOM_TARGET = "@zoom"
END = "end"  # stop_at: the event's end
# Zoom's API cannot launch a poll in a running meeting (docs/zoom-api-notes.md section 9): the hosts
# are reminded to open it, a reminder to their targets rather than an action.
POLL_OPEN = "poll.open"
# What undoing a host action does in Zoom when that action caused one of these (a waiting-room text
# has no inverse: the next segment sets its own). The undo's correction to @zoom carries it.
ZOOM_INVERSE = {
    "recording.start": "recording.stop",
    "recording.pause": "recording.resume",
    "recording.resume": "recording.pause",
    "recording.stop": "recording.start",
    "livestream.start": "livestream.stop",
    "livestream.stop": "livestream.start",
}
UNDONE_TEXT = {
    "recording.stop": "the recording stops",
    "recording.resume": "the recording resumes",
    "recording.pause": "the recording pauses",
    "recording.start": "the recording starts again",
    "livestream.stop": "the live stream stops",
    "livestream.start": "the live stream starts again",
}
# What the waiting-room template may name, with what each stands for.
WAITING_ROOM_FIELDS = {
    "event": "the event's title",
    "segment": "the segment starting now",
    "start": "its start time (HH:MM in the event's zone)",
    "next": "the segment after it",
    "next_start": "the next segment's start time",
    "zone": "the event's zone as a city (Bangkok)",
}
# The hosts do these by hand where Zoom's API cannot (a local recording).
LOCAL_RECORDING_TEXT = {
    "recording.start": "Start the local recording now.",
    "recording.pause": "Pause the local recording now.",
    "recording.resume": "Resume the local recording now.",
    "recording.stop": "Stop the local recording now.",
}


@dataclass(frozen=True)
class ZoomMoment:
    """One Zoom action at one moment. `held`: its anchor waits behind a held segment."""

    id: str
    at: datetime
    action: str
    segment: str | None
    title: str
    message: str
    held: bool = False
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def template_fields(template: str) -> list[str]:
    """The placeholders a waiting-room template names (raises ValueError on a malformed one)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def zone_city(zone_name: str) -> str:
    """'Asia/Bangkok' -> 'Bangkok', 'America/Argentina/Buenos_Aires' -> 'Buenos Aires'."""
    return zone_name.rsplit("/", 1)[-1].replace("_", " ")


def _suffix(row: SegmentTiming) -> str:
    return f"#{row.occurrence}" if row.occurrence > 1 else ""


class _Rows:
    """The timings in time order, with where a hold stops what follows."""

    def __init__(self, schedule: Schedule, rows: list[SegmentTiming], held: int | None):
        self.schedule, self.rows, self.held = schedule, rows, held
        self.active = [(k, r) for k, r in enumerate(rows) if not r.skipped]
        # Agenda order: the planned times (a file need not list segments in time order).
        planned = sorted({r.id: r.planned_start for r in reversed(rows)}.items(), key=lambda item: item[1])
        self.position = {segment_id: i for i, (segment_id, _) in enumerate(planned)}

    def first_from(self, segment_id: str) -> tuple[int, SegmentTiming] | None:
        """The first segment that runs at or after `segment_id` in agenda order."""
        floor = self.position[segment_id]
        return next(((k, r) for k, r in self.active if self.position[r.id] >= floor), None)

    def last_to(self, segment_id: str) -> tuple[int, SegmentTiming] | None:
        """The last segment that runs at or before `segment_id` in agenda order (`end`: the last of all)."""
        ceiling = len(self.position) if segment_id == END else self.position[segment_id]
        return next(((k, r) for k, r in reversed(self.active) if self.position[r.id] <= ceiling), None)

    def held_at_start(self, k: int) -> bool:
        return self.held is not None and k > self.held

    def held_at_end(self, k: int) -> bool:
        return self.held is not None and k >= self.held

    def title(self, row: SegmentTiming) -> str:
        return self.schedule.segments[row.index].title


def zoom_moments(schedule: Schedule, rows: list[SegmentTiming], held: int | None) -> list[ZoomMoment]:
    """Every Zoom action of the schedule at its moment (the recording's in `local` mode and the polls'
    openings too: the caller turns those into reminders for the hosts, as Zoom's API cannot do them)."""
    zoom = schedule.zoom
    known = {s.id for s in schedule.segments}
    table = _Rows(schedule, rows, held)
    out: list[ZoomMoment] = []
    if zoom.recording is not None and zoom.recording.start_at in known:
        out += _span(table, "recording", zoom.recording.start_at, zoom.recording.stop_at, "Recording")
        if out:
            start_at, stop_at = out[0].at, out[-1].at
            for k, row in table.active:
                seg = schedule.segments[row.index]
                if seg.id not in zoom.recording.pause_during or not start_at <= row.start < stop_at:
                    continue
                sid, sfx = seg.id, _suffix(row)
                span = {"start": row.start.isoformat(), "end": row.end.isoformat()}
                out.append(
                    ZoomMoment(
                        f"zoom_action/recording.pause/{sid}{sfx}",
                        row.start,
                        "recording.pause",
                        sid,
                        f"Recording: pause for {seg.title}",
                        f"Zoom's recording pauses for {seg.title}.",
                        table.held_at_start(k),
                        {"action": "recording.pause", **span},
                    )
                )
                if row.end < stop_at:
                    out.append(
                        ZoomMoment(
                            f"zoom_action/recording.resume/{sid}{sfx}",
                            row.end,
                            "recording.resume",
                            sid,
                            f"Recording: resume after {seg.title}",
                            f"Zoom's recording resumes after {seg.title}.",
                            table.held_at_end(k),
                            {"action": "recording.resume", **span},
                        )
                    )
    if zoom.livestream is not None and zoom.livestream.start_at in known:
        out += _span(table, "livestream", zoom.livestream.start_at, zoom.livestream.stop_at, "Live stream")
    if zoom.waiting_room_message is not None:
        out += _waiting_room(table, zoom.waiting_room_message)
    for number, poll in enumerate(zoom.polls, 1):
        found = table.first_from(poll.open_at) if poll.open_at in known else None
        if found is not None:
            k, row = found
            out.append(
                ZoomMoment(
                    f"zoom_action/poll.open/{number}",
                    row.start,
                    POLL_OPEN,
                    schedule.segments[row.index].id,
                    f"Poll: {poll.title}",
                    f"Open poll '{poll.title}' now.",
                    table.held_at_start(k),
                    {
                        "action": POLL_OPEN,
                        "poll": poll.title,
                        "start": row.start.isoformat(),
                        "end": row.end.isoformat(),
                    },
                )
            )
    return out


def _span(table: _Rows, what: str, start_at: str, stop_at: str, label: str) -> list[ZoomMoment]:
    """The start and the stop of a recording or a stream (nothing if no segment runs between)."""
    if stop_at != END and stop_at not in table.position:
        return []
    first, last = table.first_from(start_at), table.last_to(stop_at)
    if first is None or last is None or last[1].end <= first[1].start:
        return []
    (k0, row0), (k1, row1) = first, last
    until = row1.end.isoformat()
    return [
        ZoomMoment(
            f"zoom_action/{what}.start",
            row0.start,
            f"{what}.start",
            table.schedule.segments[row0.index].id,
            f"{label}: start",
            f"{label} starts with {table.title(row0)}.",
            table.held_at_start(k0),
            {"action": f"{what}.start", "start": row0.start.isoformat(), "until": until},
        ),
        ZoomMoment(
            f"zoom_action/{what}.stop",
            row1.end,
            f"{what}.stop",
            table.schedule.segments[row1.index].id,
            f"{label}: stop",
            f"{label} stops after {table.title(row1)}.",
            table.held_at_end(k1),
            {"action": f"{what}.stop", "start": row1.start.isoformat(), "end": until},
        ),
    ]


def waiting_room_text(schedule: Schedule, template: str, row: SegmentTiming, nxt: SegmentTiming | None) -> str:
    """The waiting-room text as a segment starts (an unknown placeholder was refused on load)."""
    tz = zone(schedule.event.timezone)
    local = lambda moment: wall(moment, tz)[:5]  # type: ignore[arg-type]  # noqa: E731  # a validated zone
    values = {
        "event": schedule.event.title,
        "segment": schedule.segments[row.index].title,
        "start": local(row.start),
        "next": schedule.segments[nxt.index].title if nxt else "the close",
        "next_start": local(nxt.start) if nxt else local(row.end),
        "zone": zone_city(schedule.event.timezone),
    }
    return template.format(**values)


def _waiting_room(table: _Rows, template: str) -> list[ZoomMoment]:
    out = []
    for pos, (k, row) in enumerate(table.active):
        nxt = table.active[pos + 1][1] if pos + 1 < len(table.active) else None
        seg = table.schedule.segments[row.index]
        text = waiting_room_text(table.schedule, template, row, nxt)
        out.append(
            ZoomMoment(
                f"zoom_action/waiting_room/{seg.id}{_suffix(row)}",
                row.start,
                "waiting_room.update",
                seg.id,
                f"Waiting room: {seg.title}",
                text,
                table.held_at_start(k),
                {
                    "action": "waiting_room.update",
                    "start": row.start.isoformat(),
                    "end": row.end.isoformat(),
                    "room_title": table.schedule.event.title,
                    "text": text,
                },
            )
        )
    return out
