"""The rules of live rundown edits, checked by the run service under the engine's lock (nothing here writes).

Only upcoming segments may be edited: the one running (or held) and those already run are history
the run log and the sent messages describe, so changing them would rewrite what people were told.
Each rule returns the adjustment (schedules/adjustments.py) that schedules/rundown.py replays.
"""

from __future__ import annotations

from datetime import timedelta

from app.core.errors import Conflict, Invalid, NotFound
from app.engine.service import Txn
from app.run.rules import not_ended
from schedules.adjustments import (
    Adjustment,
    AmendSegment,
    InsertSegment,
    MoveSegment,
    RemoveSegment,
    RetimeSegment,
)
from schedules.i18n import ENGLISH_WORDS, Words
from schedules.limits import TITLE
from schedules.model import Schedule, SegmentKind
from schedules.rundown import describe

MIN_LENGTH = timedelta(minutes=1)
MAX_LENGTH = timedelta(hours=8)
PLACES = ("before", "after")


def upcoming(txn: Txn) -> list[str]:
    """Ids of the segments still to come, in running order (after the current one, not yet started).

    A segment that comes again after a jump back (occurrence > 1) is not editable: its first run is
    history the replay must keep (an earlier jump may name it)."""
    timeline = txn.timeline()
    now = timeline.state_at(txn.now)
    position = {s.id: k for k, s in enumerate(timeline.segments)}
    after = position[now.current.id] if now.current else -1
    return [
        s.id
        for s in timeline.segments
        if not s.skipped and s.start > txn.now and position[s.id] > after and s.occurrence == 1
    ]


def _rundown(txn: Txn) -> Schedule:
    return txn.timeline().rundown


def _editable(txn: Txn, segment_id: str, field: str = "segment") -> None:
    """404 for an unknown id, 409 for the current or a past segment (naming what can be edited)."""
    rundown = _rundown(txn)
    if rundown.segment(segment_id) is None:
        known = ", ".join(s.id for s in rundown.segments)
        raise NotFound(
            f"{field}: no segment '{segment_id}' in {txn.event_id} (known: {known})",
            details=[{"field": f"body.{field}", "message": f"unknown segment '{segment_id}'"}],
        )
    ahead = upcoming(txn)
    if segment_id not in ahead:
        now = txn.timeline().state_at(txn.now)
        row = next((s for s in txn.timeline().segments if s.id == segment_id), None)
        if now.current and now.current.id == segment_id:
            what = "is running now"
        elif row is not None and row.occurrence > 1 and not row.skipped and row.start > txn.now:
            what = "comes again after a jump back (its first run is history)"
        else:
            what = "has already run or was skipped"
        can = ", ".join(ahead) if ahead else "none"
        raise Conflict(f"'{segment_id}' {what}: only upcoming segments can be edited (upcoming: {can})")


def _length(seconds: int, field: str = "minutes") -> int:
    if not MIN_LENGTH.total_seconds() <= seconds <= MAX_LENGTH.total_seconds():
        raise Invalid(
            f"{field}: a segment lasts from 1 minute to 8 hours ({seconds} s given)",
            details=[{"field": f"body.{field}", "message": "between 1 minute and 8 hours"}],
        )
    return seconds


def _title(title: str | None) -> str | None:
    if title is None:
        return None
    line = " ".join(title.split())
    if not line or len(line) > TITLE:
        raise Invalid(
            f"title: write 1 to {TITLE} characters (it has {len(line)})",
            details=[{"field": "body.title", "message": f"1 to {TITLE} characters"}],
        )
    return line


def _speakers(txn: Txn, speakers: list[str] | None) -> tuple[str, ...] | None:
    if speakers is None:
        return None
    rundown = _rundown(txn)
    unknown = [(i, p) for i, p in enumerate(speakers) if rundown.person(p) is None]
    if unknown:
        known = ", ".join(p.id for p in rundown.people) or "none (add people: to the schedule)"
        raise NotFound(
            f"speakers: no person {', '.join(repr(p) for _, p in unknown)} in {txn.event_id} (known: {known})",
            details=[{"field": f"body.speakers.{i}", "message": f"unknown person '{p}'"} for i, p in unknown],
        )
    return tuple(dict.fromkeys(speakers))  # a person named twice speaks once


def _anchor(before: str | None, after: str | None) -> tuple[str, str]:
    if (before is None) == (after is None):
        raise Invalid(
            "give exactly one of before or after: the upcoming segment to place it next to",
            details=[{"field": "body.before", "message": "exactly one of before/after"}],
        )
    return (before, "before") if before is not None else (after, "after")  # type: ignore[return-value]  # one is set


def insert(
    txn: Txn, *, title: str | None, kind: str, seconds: int, speakers: list[str], before: str | None, after: str | None
) -> InsertSegment:
    """A break or a session next to an upcoming segment; its id follows the run log (break-1, session-2...)."""
    anchor, place = _anchor(before, after)
    length = _length(seconds)
    line = _title(title)
    if kind not in {k.value for k in SegmentKind}:
        raise Invalid(
            f"kind: '{kind}' is not a segment kind (use one of: {', '.join(k.value for k in SegmentKind)})",
            details=[{"field": "body.kind", "message": "unknown segment kind"}],
        )
    who = _speakers(txn, speakers) or ()
    not_ended(txn)
    _editable(txn, anchor, place)
    taken = {s.id for s in txn.schedule.segments} | {s.id for s in _rundown(txn).segments}
    taken |= {a.segment for a in txn.actions if isinstance(a, InsertSegment)}  # undone ones too: never reuse
    number = 1
    while f"{kind}-{number}" in taken:
        number += 1
    return InsertSegment(
        txn.now,
        segment=f"{kind}-{number}",
        title=line or kind.capitalize(),  # no title given: "Break", "Session"...
        segment_kind=kind,
        seconds=length,
        speakers=who,
        anchor=anchor,
        place=place,  # type: ignore[arg-type]  # checked by _anchor
    )


def retime(txn: Txn, segment_id: str, seconds: int) -> RetimeSegment:
    length = _length(seconds)
    not_ended(txn)
    _editable(txn, segment_id)
    seg = _rundown(txn).segment(segment_id)
    assert seg is not None  # checked by _editable
    floor = max(
        timedelta(minutes=seg.respondents.total_minutes()) if seg.respondents else timedelta(0),
        seg.min_duration or timedelta(0),
    )
    if timedelta(seconds=length) < floor:
        raise Invalid(
            f"minutes: '{segment_id}' needs at least {floor.total_seconds() / 60:g} min "
            "(its respondents' minutes or its min_duration)",
            details=[{"field": "body.minutes", "message": f"at least {floor.total_seconds() / 60:g} min"}],
        )
    # The schedule file refuses a max_duration below a segment's length; a live retime keeps that rule,
    # or the cap on what the segment absorbs would sit below its own plan.
    if seg.max_duration is not None and timedelta(seconds=length) > seg.max_duration:
        cap = seg.max_duration.total_seconds() / 60
        raise Invalid(
            f"minutes: '{segment_id}' may last at most {cap:g} min (its max_duration)",
            details=[{"field": "body.minutes", "message": f"at most {cap:g} min"}],
        )
    return RetimeSegment(txn.now, segment=segment_id, seconds=length)


def amend(txn: Txn, segment_id: str, title: str | None, speakers: list[str] | None) -> AmendSegment:
    if title is None and speakers is None:
        raise Invalid("give a new title, new speakers, or both")
    line, who = _title(title), _speakers(txn, speakers)
    not_ended(txn)
    _editable(txn, segment_id)
    return AmendSegment(txn.now, segment=segment_id, title=line, speakers=who)


def move(txn: Txn, segment_id: str, before: str | None, after: str | None) -> MoveSegment:
    anchor, place = _anchor(before, after)
    if anchor == segment_id:
        raise Invalid(f"{place}: a segment cannot be placed next to itself")
    not_ended(txn)
    _editable(txn, segment_id)
    _editable(txn, anchor, place)
    return MoveSegment(txn.now, segment=segment_id, anchor=anchor, place=place)  # type: ignore[arg-type]  # checked by _anchor


def remove(txn: Txn, segment_id: str) -> RemoveSegment:
    not_ended(txn)
    _editable(txn, segment_id)
    if len(_rundown(txn).segments) == 1:  # a schedule has at least one segment; end the event instead
        raise Conflict(f"'{segment_id}' is the only segment left: end the event instead of removing it")
    return RemoveSegment(txn.now, segment=segment_id)


def summary(schedule: Schedule, action: Adjustment, w: Words = ENGLISH_WORDS) -> str | None:
    """One line for the undo offer ('Insert Break (5 min) before Session 2'), in `w`'s words; None:
    not an edit."""
    return describe(schedule, action, w)
