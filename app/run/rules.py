"""The rules of each host action, checked against the state at the moment it is taken.

Each function gets the transaction (what is known now, under the engine's lock) and returns the
adjustment to record, or raises an AppError saying why not. Nothing here writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.errors import Conflict, Invalid, NotFound
from app.engine.service import Txn
from schedules.adjustments import (
    Adjustment,
    Advance,
    Announce,
    Delay,
    EndEvent,
    Hold,
    Resume,
    TimerAdd,
    TimerPause,
    TimerResume,
    TimerStart,
    TimerStop,
    Undo,
    effective,
)
from schedules.messages_cues import respondent_label
from schedules.resolve import event_window, zone
from schedules.timeline import RunState
from schedules.timers import Timer, TimerStatus

UNSET = object()  # `from` not given at all (null means "I believe nothing is running")
MAX_DELAY = timedelta(hours=24)


def state(txn: Txn) -> RunState:
    return txn.timeline().state_at(txn.now)


def not_ended(txn: Txn) -> RunState:
    """The state now; 409 once the event has ended (only undo may act after the end)."""
    now = state(txn)
    if now.status == "ended":
        raise Conflict("the event has ended")
    return now


def _segment(txn: Txn, segment_id: str) -> None:
    rundown = txn.timeline().rundown  # with the live edits: a segment inserted live can be jumped to
    if rundown.segment(segment_id) is None:
        known = ", ".join(s.id for s in rundown.segments)
        raise NotFound(f"no segment '{segment_id}' in {txn.event_id} (known: {known})")


def _hhmmss(txn: Txn, moment: datetime) -> str:
    return moment.astimezone(zone(txn.schedule.event.timezone)).strftime("%H:%M:%S")


def expect_current(txn: Txn, now: RunState, expected) -> None:
    """409 when the caller's `from` is not the running segment: say who moved it, and when."""
    current = now.current.id if now.current else None
    if expected is UNSET or expected == current:
        return
    moves = [a for a in effective(txn.actions) if isinstance(a, Advance | EndEvent | Resume | Hold)]
    undos = [a for a in txn.actions if isinstance(a, Undo)]
    last = max([*moves[-1:], *undos[-1:]], key=lambda a: a.seq, default=None)
    left = next((s for s in reversed(txn.timeline().segments) if s.id == expected and not s.skipped), None)
    if last is not None and (left is None or last.at >= left.start):
        who = txn.actors.get(last.seq) or "a host"
        when = f"at {_hhmmss(txn, last.at)} by {who}"
    elif left is not None and left.end <= txn.now:
        when = f"at {_hhmmss(txn, left.end)} on schedule"
    else:
        when = f"(it is {_hhmmss(txn, txn.now)})"
    raise Conflict(f"already moved from '{expected}' to '{current or 'nothing running'}' {when}")


def advance(txn: Txn, to: str | None, expected) -> Adjustment:
    if to is not None:
        _segment(txn, to)
    now = not_ended(txn)
    expect_current(txn, now, expected)
    return Advance(txn.now, to=to)


def hold(txn: Txn) -> Adjustment:
    now = not_ended(txn)
    if now.held:
        raise Conflict("already on hold")
    if now.current is None:
        raise Conflict("no segment is running to hold")
    return Hold(txn.now)


def resume(txn: Txn) -> Adjustment:
    if not not_ended(txn).held:
        raise Conflict("not on hold")
    return Resume(txn.now)


def delay_bound(txn: Txn) -> timedelta:
    """A delay may be at most the event's planned length, and never more than 24 hours."""
    opens, closes = event_window(txn.schedule)
    return min(closes - opens, MAX_DELAY)


def delay(txn: Txn, seconds: int, mode: str | None) -> Adjustment:
    bound = delay_bound(txn)
    if abs(seconds) > bound.total_seconds():
        raise Invalid(
            f"a delay of {seconds} s is out of range: at most {int(bound.total_seconds())} s "
            f"({bound.total_seconds() / 60:g} min, the event's length or 24 h) either way"
        )
    not_ended(txn)
    return Delay(txn.now, seconds=seconds, mode=mode)  # type: ignore[arg-type]  # the body schema allows only these


def end(txn: Txn) -> Adjustment:
    not_ended(txn)
    return EndEvent(txn.now)


def start_timer(
    txn: Txn,
    *,
    segment: str | None,
    slot: int | None,
    person: str | None,
    seconds: int | None,
    label: str | None,
    keep: bool = False,
) -> TimerStart:
    """A respondent slot takes its minutes from the schedule; any other timer needs seconds. A
    respondent's timer stops when the show leaves its segment unless `keep`."""
    schedule = txn.timeline().rundown  # with the live edits: a timer in an inserted session too
    now = not_ended(txn)
    segment_id = segment or (now.current.id if now.current else None)
    seg = schedule.segment(segment_id) if segment_id else None
    if segment and seg is None:
        raise NotFound(f"no segment '{segment}' in {txn.event_id}")
    if slot is not None:
        if seg is None or seg.respondents is None:
            raise Conflict(f"segment '{segment_id}' has no respondent slots")
        if slot > seg.respondents.count:
            raise NotFound(f"segment '{segment_id}' has {seg.respondents.count} respondent slots")
        running = next(
            (
                t
                for t in txn.timeline().timers
                if t.segment == segment_id and t.slot == slot and t.status is not TimerStatus.stopped
            ),
            None,
        )
        if running is not None:
            raise Conflict(
                f"the timer of respondent {slot} in '{segment_id}' is already {running.status.value} "
                f"({running.id}, started at {_hhmmss(txn, running.started_at)} by "
                f"{_starter(txn, running)})"
            )
        seconds = seconds or seg.respondents.slot_seconds(slot)
        label = label or f"Respondent {slot} ({respondent_label(schedule, seg, slot - 1)})"
    if person is not None:
        who = schedule.person(person)
        if who is None:
            raise NotFound(f"no person '{person}' in {txn.event_id}")
        label = label or who.name
    if seconds is None:
        raise Conflict("give seconds, or a respondent slot whose minutes the schedule sets")
    # Ids follow the run log (t1, t2, ...): deterministic, and assigned under the engine's lock.
    number = sum(isinstance(a, TimerStart) for a in txn.actions) + 1
    return TimerStart(
        txn.now,
        timer_id=f"t{number}",
        seconds=seconds,
        label=label or "Timer",
        segment=segment_id,
        slot=slot,
        person=person,
        keep=keep,
    )


def _starter(txn: Txn, timer: Timer) -> str:
    started = next((a for a in txn.actions if isinstance(a, TimerStart) and a.timer_id == timer.id), None)
    return (txn.actors.get(started.seq) if started else None) or "a host"


def _timer(txn: Txn, timer_id: str) -> Timer:
    timers = {t.id: t for t in txn.timeline().timers}
    if timer_id not in timers:
        raise NotFound(f"no timer '{timer_id}'")
    return timers[timer_id]


def pause_timer(txn: Txn, timer_id: str) -> Adjustment:
    not_ended(txn)
    if _timer(txn, timer_id).status is not TimerStatus.running:
        raise Conflict("the timer is not running")
    return TimerPause(txn.now, timer_id=timer_id)


def resume_timer(txn: Txn, timer_id: str) -> Adjustment:
    not_ended(txn)
    if _timer(txn, timer_id).status is not TimerStatus.paused:
        raise Conflict("the timer is not paused")
    return TimerResume(txn.now, timer_id=timer_id)


def add_time(txn: Txn, timer_id: str, seconds: int) -> Adjustment:
    not_ended(txn)
    if _timer(txn, timer_id).status is TimerStatus.stopped:
        raise Conflict("the timer has been stopped")
    return TimerAdd(txn.now, timer_id=timer_id, seconds=seconds)


def stop_timer(txn: Txn, timer_id: str) -> Adjustment:
    not_ended(txn)
    if _timer(txn, timer_id).status is TimerStatus.stopped:
        raise Conflict("the timer is already stopped")
    return TimerStop(txn.now, timer_id=timer_id)


def announce(txn: Txn, message: str, targets: list[str]) -> Adjustment:
    """A one-off message; its targets are a set, so no target is ever posted the same one twice."""
    known = [t.id for t in txn.schedule.targets]
    if len(targets) > len(known):  # checked first: a long list is refused without listing it back
        raise Invalid(
            f"targets: {len(targets)} given, but {txn.event_id} has {len(known)} target(s); "
            "name each at most once, or send [] for every target",
            details=[{"field": "body.targets", "message": f"at most {len(known)} (the event's targets)"}],
        )
    first: dict[str, int] = {}
    for index, target in enumerate(targets):
        if target in first:
            raise Invalid(
                f"targets.{index}: duplicate of targets.{first[target]} ('{target}'); name each target once",
                details=[{"field": f"body.targets.{index}", "message": f"duplicate of targets.{first[target]}"}],
            )
        first[target] = index
    unknown = [(i, t) for i, t in enumerate(targets) if t not in known]
    if unknown:
        raise NotFound(
            f"unknown target(s): {', '.join(t for _, t in unknown)}; known: {', '.join(sorted(known))}",
            details=[{"field": f"body.targets.{i}", "message": f"unknown target '{t}'"} for i, t in unknown],
        )
    not_ended(txn)
    number = sum(isinstance(a, Announce) for a in txn.actions) + 1
    return Announce(txn.now, announcement_id=f"a{number}", message=message, targets=tuple(targets))
