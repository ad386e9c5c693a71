"""Live rundown edits applied to the plan: the schedule the rest of the event runs from.

A host may insert, retime, amend, move or remove upcoming segments during the show. Each edit is an
entry in the run log (schedules/adjustments.py); `edited` replays the edits still in effect over the
schedule file and returns the schedule as it now stands, so the timeline stays a pure function of the
schedule and the run log, and a restart rebuilds the same rundown.

An edit changes the plan, not the running offset: inserting a 5-minute break moves every later
segment's planned (and projected) times by 5 minutes, so the console's early/late figure does not
count a host's deliberate change as lateness, while the projected end shows its effect. Segments
after the edit keep their gaps: each moves by the same amount (the inserted or removed length, or
the difference of a retime).

`edited` is idempotent (an insert whose id exists, or a removal of a missing segment, is skipped;
a retime sets an absolute length; a move to where a segment already is changes nothing), so a
schedule that is already edited passes through unchanged. Edits that no longer apply (a newer
schedule file without their segment) are skipped rather than failing the replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from schedules.adjustments import (
    RUNDOWN_EDITS,
    Adjustment,
    AmendSegment,
    InsertSegment,
    MoveSegment,
    RemoveSegment,
    RetimeSegment,
    effective,
)
from schedules.i18n import ENGLISH_WORDS, N_, Phrase, Words, phrase, say
from schedules.model import Schedule, Segment, SegmentKind
from schedules.resolve import planned_segments, to_utc, zone


@dataclass
class _Item:
    segment: Segment
    start: datetime
    length: timedelta
    touched: bool = False  # moved or changed: its times are written again

    @property
    def end(self) -> datetime:
        return self.start + self.length


def edits_of(adjustments: list[Adjustment] | tuple) -> list[Adjustment]:
    """The rundown edits still in effect, in the order the replay applies them."""
    return sorted((a for a in effective(adjustments) if isinstance(a, RUNDOWN_EDITS)), key=lambda a: (a.at, a.seq))


def edited(schedule: Schedule, adjustments: list[Adjustment] | tuple) -> Schedule:
    """The schedule with the rundown edits in `adjustments` applied (the same object when there are none)."""
    edits = edits_of(adjustments)
    if not edits:
        return schedule
    planned = sorted(planned_segments(schedule), key=lambda p: (p.start, p.index))
    items = [_Item(schedule.segments[p.index], p.start, p.end - p.start) for p in planned]
    for edit in edits:
        _apply(items, edit)
    return _rebuild(schedule, items)


def _find(items: list[_Item], segment_id: str) -> int | None:
    return next((k for k, it in enumerate(items) if it.segment.id == segment_id), None)


def _shift(items: list[_Item], first: int, by: timedelta) -> None:
    if not by:
        return
    for item in items[first:]:
        item.start += by
        item.touched = True


def _place(items: list[_Item], item: _Item, anchor: int, place: str) -> None:
    """Put `item` before or after items[anchor]; everything after it moves by its length."""
    at = anchor if place == "before" else anchor + 1
    item.start = items[anchor].start if place == "before" else items[anchor].end
    item.touched = True
    items.insert(at, item)
    _shift(items, at + 1, item.length)


def _apply(items: list[_Item], edit: Adjustment) -> None:
    if isinstance(edit, InsertSegment):
        anchor = _find(items, edit.anchor)
        if anchor is None or _find(items, edit.segment) is not None or edit.seconds <= 0:
            return
        segment = Segment(
            id=edit.segment,
            title=edit.title,
            kind=SegmentKind(edit.segment_kind),
            start=time(0, 0),  # written again by _rebuild
            duration=timedelta(seconds=edit.seconds),
            speakers=list(edit.speakers),
        )
        _place(items, _Item(segment, items[anchor].start, timedelta(seconds=edit.seconds)), anchor, edit.place)
        return
    k = _find(items, getattr(edit, "segment", ""))
    if k is None:
        return
    item = items[k]
    if isinstance(edit, RetimeSegment) and edit.seconds > 0:
        length = timedelta(seconds=edit.seconds)
        by, item.length, item.touched = length - item.length, length, True
        _shift(items, k + 1, by)
    elif isinstance(edit, AmendSegment):
        update: dict[str, object] = {}
        if edit.title is not None:
            update["title"] = edit.title
        if edit.speakers is not None:
            update["speakers"] = list(edit.speakers)
        item.segment = item.segment.model_copy(update=update)
    elif isinstance(edit, RemoveSegment):
        items.pop(k)
        _shift(items, k, -item.length)
    elif isinstance(edit, MoveSegment):
        if edit.anchor == edit.segment or _find(items, edit.anchor) is None:
            return
        items.pop(k)
        _shift(items, k, -item.length)
        _place(items, item, _find(items, edit.anchor), edit.place)  # type: ignore[arg-type]  # checked above


def _clock(schedule: Schedule, moment: datetime) -> time | datetime:
    """How the file writes `moment`: HH:MM on the event's date, else an ISO date-time with its offset
    (another day, seconds, or a wall time that reads differently on a clock-change day)."""
    local = moment.astimezone(zone(schedule.event.timezone))
    plain = local.time().replace(tzinfo=None)
    if local.date() == schedule.event.date and not local.second and to_utc(schedule, plain) == moment:
        return plain
    return local


def _rebuild(schedule: Schedule, items: list[_Item]) -> Schedule:
    segments = []
    for item in items:
        seg = item.segment
        if item.touched:
            start = _clock(schedule, item.start)
            if seg.end is not None:
                seg = seg.model_copy(update={"start": start, "end": _clock(schedule, item.end)})
            else:
                seg = seg.model_copy(update={"start": start, "duration": item.length})
        segments.append(seg)
    kept = {s.id for s in segments}
    # A reminder anchored to a removed segment goes with it. Targets keep their filters: a removed id
    # there matches nothing, while dropping it could leave an empty filter (every segment).
    cues = [c for c in schedule.cues if c.segment is None or c.segment in kept]
    event = schedule.event
    last_end = max(item.end for item in items) if items else None
    if event.end is not None and last_end is not None and last_end > to_utc(schedule, event.end):
        event = event.model_copy(update={"end": _clock(schedule, last_end)})  # the edited show runs longer
    return schedule.model_copy(update={"segments": segments, "cues": cues, "event": event})


# How a live rundown edit reads (an undo offer, the pack's notes), in each reader's words.
INSERT_AFTER = N_("Insert {title} ({minutes} min) after {anchor}")
INSERT_BEFORE = N_("Insert {title} ({minutes} min) before {anchor}")
RETIME = N_("Change length of {title} to {minutes} min")
AMEND = N_("Edit {title}")
MOVE_AFTER = N_("Move {title} after {anchor}")
MOVE_BEFORE = N_("Move {title} before {anchor}")
REMOVE = N_("Remove {title}")
EDIT_MESSAGES = (INSERT_AFTER, INSERT_BEFORE, RETIME, AMEND, MOVE_AFTER, MOVE_BEFORE, REMOVE)


def edit_phrase(schedule: Schedule, action: Adjustment) -> Phrase | None:
    """How a live rundown edit reads, kept as data (schedules/i18n.py `say` writes it in a reader's
    words); None: not a rundown edit. Titles are the file's own text, from `schedule` (a removed
    segment is named by its id when it is no longer there)."""

    def title(segment_id: str) -> str:
        seg = schedule.segment(segment_id)
        return seg.title if seg else segment_id

    if isinstance(action, InsertSegment):
        minutes = {"number": action.seconds / 60}
        anchor = title(action.anchor)
        if action.place == "after":
            return phrase(INSERT_AFTER, title=action.title, minutes=minutes, anchor=anchor)
        return phrase(INSERT_BEFORE, title=action.title, minutes=minutes, anchor=anchor)
    if isinstance(action, RetimeSegment):
        return phrase(
            RETIME,
            title=title(action.segment),
            minutes={"number": action.seconds / 60},
        )
    if isinstance(action, AmendSegment):
        return phrase(AMEND, title=title(action.segment))
    if isinstance(action, MoveSegment):
        if action.place == "after":
            return phrase(MOVE_AFTER, title=title(action.segment), anchor=title(action.anchor))
        return phrase(MOVE_BEFORE, title=title(action.segment), anchor=title(action.anchor))
    if isinstance(action, RemoveSegment):
        return phrase(REMOVE, title=title(action.segment))
    return None


def describe(schedule: Schedule, action: Adjustment, w: Words = ENGLISH_WORDS) -> str | None:
    """One line a host recognises ('Insert Break (5 min) before Session 2'), in `w`'s words;
    None: not a rundown edit."""
    said = edit_phrase(schedule, action)
    return say(w, said) if said is not None else None


__all__ = ["describe", "edit_phrase", "edited", "edits_of"]
