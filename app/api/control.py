"""Run controls for technical hosts: advance, jump, hold, resume, delay, end, timers, announcements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter

from app.api.deps import EventId, Host, RuntimeDep
from app.api.schemas import ActionOut, AdvanceIn, AnnounceIn, DelayIn, TimerAddIn, TimerIn
from app.errors import Conflict, NotFound
from app.state_view import state_json
from app.views import iso_utc
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
)
from schedules.messages_cues import respondent_label
from schedules.timers import TimerStatus

router = APIRouter(prefix="/api/events/{event_id}", tags=["run control"])


async def _act(runtime, event_id: str, make: Callable[[datetime], Adjustment], caller, **extra) -> dict:
    adjustment = await runtime.engine.act(event_id, make, actor=caller.name)
    return _answer(runtime, event_id, adjustment, **extra)


def _answer(runtime, event_id: str, adjustment: Adjustment, **extra) -> dict:
    state = state_json(runtime.schedule(event_id), runtime.engine.timeline(event_id), runtime.clock.now())
    seq = runtime.engine.loaded(event_id).actions[-1].seq
    return {"kind": adjustment.kind, "at": iso_utc(adjustment.at), "seq": seq, "state": state, **extra}


def _status(runtime, event_id: str):
    return runtime.engine.timeline(event_id).state_at(runtime.clock.now())


@router.post("/advance", response_model=ActionOut, summary="Advance to the next segment, or jump to one")
async def advance(event_id: EventId, body: AdvanceIn, runtime: RuntimeDep, caller: Host):
    if body.to is not None and runtime.schedule(event_id).segment(body.to) is None:
        raise NotFound(f"no segment '{body.to}' in {event_id}")
    if _status(runtime, event_id).status == "ended":
        raise Conflict("the event has ended")
    return await _act(runtime, event_id, lambda at: Advance(at, to=body.to), caller)


@router.post("/hold", response_model=ActionOut, summary="Hold auto-advance on the current segment")
async def hold(event_id: EventId, runtime: RuntimeDep, caller: Host):
    state = _status(runtime, event_id)
    if state.held:
        raise Conflict("already on hold")
    if state.current is None:
        raise Conflict("no segment is running to hold")
    return await _act(runtime, event_id, lambda at: Hold(at), caller)


@router.post("/resume", response_model=ActionOut, summary="Resume auto-advance (an overrun becomes a delay)")
async def resume(event_id: EventId, runtime: RuntimeDep, caller: Host):
    if not _status(runtime, event_id).held:
        raise Conflict("not on hold")
    return await _act(runtime, event_id, lambda at: Resume(at), caller)


@router.post("/delay", response_model=ActionOut, summary="Report a delay: shift the rest or absorb it")
async def delay(event_id: EventId, body: DelayIn, runtime: RuntimeDep, caller: Host):
    return await _act(runtime, event_id, lambda at: Delay(at, seconds=body.total_seconds, mode=body.mode), caller)


@router.post("/end", response_model=ActionOut, summary="End the event now")
async def end(event_id: EventId, runtime: RuntimeDep, caller: Host):
    if _status(runtime, event_id).status == "ended":
        raise Conflict("the event has already ended")
    return await _act(runtime, event_id, lambda at: EndEvent(at), caller)


@router.post("/timers", response_model=ActionOut, status_code=201, summary="Start a countdown (e.g. a respondent)")
async def start_timer(event_id: EventId, body: TimerIn, runtime: RuntimeDep, caller: Host):
    """A respondent slot takes its minutes from the schedule; any other timer needs seconds."""
    schedule = runtime.schedule(event_id)
    state = _status(runtime, event_id)
    segment_id = body.segment or (state.current.id if state.current else None)
    segment = schedule.segment(segment_id) if segment_id else None
    if body.segment and segment is None:
        raise NotFound(f"no segment '{body.segment}' in {event_id}")
    seconds, label = body.seconds, body.label
    if body.slot is not None:
        if segment is None or segment.respondents is None:
            raise Conflict(f"segment '{segment_id}' has no respondent slots")
        if body.slot > segment.respondents.count:
            raise NotFound(f"segment '{segment_id}' has {segment.respondents.count} respondent slots")
        seconds = seconds or segment.respondents.slot_seconds(body.slot)
        who = respondent_label(schedule, segment, body.slot - 1)
        label = label or f"Respondent {body.slot} ({who})"
    if body.person is not None:
        person = schedule.person(body.person)
        if person is None:
            raise NotFound(f"no person '{body.person}' in {event_id}")
        label = label or person.name
    if seconds is None:
        raise Conflict("give seconds, or a respondent slot whose minutes the schedule sets")
    made: list[str] = []

    def make(at):
        # Ids follow the run log (t1, t2, ...): deterministic, and assigned under the engine's lock.
        made.append(f"t{_count(runtime, event_id, TimerStart) + 1}")
        return TimerStart(at, timer_id=made[0], seconds=seconds, label=label or "Timer", segment=segment_id,
                          slot=body.slot, person=body.person)

    adjustment = await runtime.engine.act(event_id, make, actor=caller.name)
    return _answer(runtime, event_id, adjustment, timer_id=made[0])


def _count(runtime, event_id: str, kind: type) -> int:
    return sum(isinstance(a, kind) for a in runtime.engine.loaded(event_id).actions)


def _timer(runtime, event_id: str, timer_id: str):
    timers = {t.id: t for t in runtime.engine.timeline(event_id).timers}
    if timer_id not in timers:
        raise NotFound(f"no timer '{timer_id}'")
    return timers[timer_id]


@router.post("/timers/{timer_id}/pause", response_model=ActionOut, summary="Pause a timer")
async def pause_timer(event_id: EventId, timer_id: str, runtime: RuntimeDep, caller: Host):
    if _timer(runtime, event_id, timer_id).status is not TimerStatus.running:
        raise Conflict("the timer is not running")
    return await _act(runtime, event_id, lambda at: TimerPause(at, timer_id=timer_id), caller, timer_id=timer_id)


@router.post("/timers/{timer_id}/resume", response_model=ActionOut, summary="Resume a paused timer")
async def resume_timer(event_id: EventId, timer_id: str, runtime: RuntimeDep, caller: Host):
    if _timer(runtime, event_id, timer_id).status is not TimerStatus.paused:
        raise Conflict("the timer is not paused")
    return await _act(runtime, event_id, lambda at: TimerResume(at, timer_id=timer_id), caller, timer_id=timer_id)


@router.post("/timers/{timer_id}/add", response_model=ActionOut, summary="Add (or remove) time")
async def add_time(event_id: EventId, timer_id: str, body: TimerAddIn, runtime: RuntimeDep, caller: Host):
    if _timer(runtime, event_id, timer_id).status is TimerStatus.stopped:
        raise Conflict("the timer has been stopped")
    make = lambda at: TimerAdd(at, timer_id=timer_id, seconds=body.seconds)  # noqa: E731
    return await _act(runtime, event_id, make, caller, timer_id=timer_id)


@router.post("/timers/{timer_id}/stop", response_model=ActionOut, summary="Stop a timer")
async def stop_timer(event_id: EventId, timer_id: str, runtime: RuntimeDep, caller: Host):
    if _timer(runtime, event_id, timer_id).status is TimerStatus.stopped:
        raise Conflict("the timer is already stopped")
    return await _act(runtime, event_id, lambda at: TimerStop(at, timer_id=timer_id), caller, timer_id=timer_id)


@router.post("/announcements", response_model=ActionOut, status_code=201, summary="Post a one-off message")
async def announce(event_id: EventId, body: AnnounceIn, runtime: RuntimeDep, caller: Host):
    known = {t.id for t in runtime.schedule(event_id).targets}
    unknown = [t for t in body.targets if t not in known]
    if unknown:
        raise NotFound(f"unknown target(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    make = lambda at: Announce(at, announcement_id=f"a{_count(runtime, event_id, Announce) + 1}",  # noqa: E731
                               message=body.message, targets=tuple(body.targets))
    return await _act(runtime, event_id, make, caller)
