"""Live adjustments a technical host makes during an event; the timeline replays them in order.

They are plain values so the run engine can store them as an append-only log and rebuild the
exact same timeline after a restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Adjustment:
    """Something a host did at `at` (UTC); `seq` orders actions made in the same instant."""

    at: datetime
    seq: int = 0
    kind: ClassVar[str] = "adjustment"

    def to_dict(self) -> dict[str, Any]:
        """Storable form: {'kind': ..., 'at': iso, ...fields}."""
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return {"kind": self.kind, **data}


@dataclass(frozen=True)
class Delay(Adjustment):
    """The current segment runs `seconds` late (negative: early); later segments shift or absorb it."""

    seconds: int = 0
    mode: Literal["absorb", "shift"] | None = None
    kind: ClassVar[str] = "delay"


@dataclass(frozen=True)
class Advance(Adjustment):
    """End the current segment now and start `to` (default: the next one)."""

    to: str | None = None
    kind: ClassVar[str] = "advance"


@dataclass(frozen=True)
class Hold(Adjustment):
    """Stop auto-advance: the current segment runs until a host resumes or advances."""

    kind: ClassVar[str] = "hold"


@dataclass(frozen=True)
class Resume(Adjustment):
    """Resume auto-advance; an overrun while held becomes a delay."""

    kind: ClassVar[str] = "resume"


@dataclass(frozen=True)
class EndEvent(Adjustment):
    """End the event now; remaining segments are skipped."""

    kind: ClassVar[str] = "end_event"


@dataclass(frozen=True)
class TimerStart(Adjustment):
    """Start a countdown (a respondent's slot or any named timer).

    A respondent slot's timer stops when the show leaves its segment, unless `keep`."""

    timer_id: str = ""
    seconds: int = 180
    label: str = ""
    segment: str | None = None
    slot: int | None = None
    person: str | None = None
    keep: bool = False
    kind: ClassVar[str] = "timer_start"


@dataclass(frozen=True)
class TimerPause(Adjustment):
    timer_id: str = ""
    kind: ClassVar[str] = "timer_pause"


@dataclass(frozen=True)
class TimerResume(Adjustment):
    timer_id: str = ""
    kind: ClassVar[str] = "timer_resume"


@dataclass(frozen=True)
class TimerAdd(Adjustment):
    """Add (or with a negative number, remove) seconds on a running timer."""

    timer_id: str = ""
    seconds: int = 30
    kind: ClassVar[str] = "timer_add"


@dataclass(frozen=True)
class TimerStop(Adjustment):
    timer_id: str = ""
    kind: ClassVar[str] = "timer_stop"


@dataclass(frozen=True)
class Announce(Adjustment):
    """A one-off message from a host to chosen targets (empty: every target)."""

    announcement_id: str = ""
    message: str = ""
    targets: tuple[str, ...] = field(default_factory=tuple)
    kind: ClassVar[str] = "announce"


@dataclass(frozen=True)
class StageMessage(Adjustment):
    """A message on the presenter view; never posted to chat targets.

    It goes when its segment ends (the show moves on) unless `until_cleared`, and by itself
    `expires_after` seconds after it was sent when that is set; a host may clear it sooner."""

    text: str = ""
    flash: bool = False
    blackout: bool = False
    until_cleared: bool = False
    expires_after: int | None = None
    kind: ClassVar[str] = "stage_message"


@dataclass(frozen=True)
class StageClear(Adjustment):
    """Clear the presenter view's message (and blackout)."""

    kind: ClassVar[str] = "stage_clear"


@dataclass(frozen=True)
class ZoomControl(Adjustment):
    """A Zoom action a host asked for by hand (`recording.pause`, `livestream.start`...): planned as a
    `zoom_action` cue for the @zoom pseudo-target at `at`, carried out through the outbox like the
    schedule's own; undoing it sends the inverse action."""

    action: str = ""
    kind: ClassVar[str] = "zoom_control"


# -- live rundown edits (schedules/rundown.py applies them to the plan before the replay) --------
SegmentPlace = Literal["before", "after"]


@dataclass(frozen=True)
class InsertSegment(Adjustment):
    """Add segment `segment` (a break or a session) before or after the upcoming `anchor`; the
    segments after it move later by its length."""

    segment: str = ""
    title: str = ""
    segment_kind: str = "break"
    seconds: int = 300
    speakers: tuple[str, ...] = field(default_factory=tuple)
    anchor: str = ""
    place: SegmentPlace = "before"
    kind: ClassVar[str] = "insert_segment"


@dataclass(frozen=True)
class RetimeSegment(Adjustment):
    """Give the upcoming `segment` a new length; the segments after it move by the difference."""

    segment: str = ""
    seconds: int = 0
    kind: ClassVar[str] = "retime_segment"


@dataclass(frozen=True)
class AmendSegment(Adjustment):
    """Change the title and/or the speakers of the upcoming `segment` (None: unchanged)."""

    segment: str = ""
    title: str | None = None
    speakers: tuple[str, ...] | None = None
    kind: ClassVar[str] = "amend_segment"


@dataclass(frozen=True)
class MoveSegment(Adjustment):
    """Move the upcoming `segment` before or after the upcoming `anchor` (the rundown closes up behind it)."""

    segment: str = ""
    anchor: str = ""
    place: SegmentPlace = "before"
    kind: ClassVar[str] = "move_segment"


@dataclass(frozen=True)
class RemoveSegment(Adjustment):
    """Take the upcoming `segment` out of the rundown; the segments after it move earlier by its length."""

    segment: str = ""
    kind: ClassVar[str] = "remove_segment"


RUNDOWN_EDITS = (InsertSegment, RetimeSegment, AmendSegment, MoveSegment, RemoveSegment)


@dataclass(frozen=True)
class Undo(Adjustment):
    """Cancel the host action numbered `target`; `corrections` are (target id, title, message) to post."""

    target: int = 0
    corrections: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    kind: ClassVar[str] = "undo"


KINDS: dict[str, type[Adjustment]] = {
    cls.kind: cls
    for cls in (
        Delay,
        Advance,
        Hold,
        Resume,
        EndEvent,
        TimerStart,
        TimerPause,
        TimerResume,
        TimerAdd,
        TimerStop,
        Announce,
        Undo,
        StageMessage,
        StageClear,
        ZoomControl,
        *RUNDOWN_EDITS,
    )
}


def effective(adjustments: list[Adjustment] | tuple) -> list[Adjustment]:
    """The actions that still count: every action except undo entries and the actions they cancel."""
    undone = {a.target for a in adjustments if isinstance(a, Undo)}
    return [a for a in adjustments if not isinstance(a, Undo) and a.seq not in undone]


def from_dict(data: dict[str, Any]) -> Adjustment:
    """Rebuild an adjustment from its stored form."""
    values = dict(data)
    cls = KINDS[values.pop("kind")]
    values["at"] = datetime.fromisoformat(values["at"])
    if "targets" in values:
        values["targets"] = tuple(values["targets"])
    if values.get("speakers") is not None:
        values["speakers"] = tuple(values["speakers"])
    if "corrections" in values:
        values["corrections"] = tuple(tuple(c) for c in values["corrections"])
    return cls(**values)
