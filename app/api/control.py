"""Run controls for technical hosts: thin adapters over the run service (rules live there)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from app.api.deps import EventId, Host, IdempotencyKey, RunDep, respond
from app.api.openapi import ACTION_REFUSALS
from app.api.schemas import (
    ActionOut,
    AdvanceIn,
    AnnounceIn,
    DelayIn,
    PreviewIn,
    PreviewOut,
    TimerAddIn,
    TimerIn,
    UndoIn,
)

router = APIRouter(prefix="/api/events/{event_id}", tags=["run control"])
REFUSALS: dict[int | str, dict[str, Any]] = ACTION_REFUSALS


@router.post(
    "/advance", response_model=ActionOut, responses=REFUSALS, summary="Advance to the next segment, or jump to one"
)
async def advance(event_id: EventId, body: AdvanceIn, run: RunDep, caller: Host, intent: IdempotencyKey):
    """Send `from` (the segment you see as current): if the show has moved on, 409 says who moved it."""
    return respond(await run.advance(event_id, caller.name, to=body.to, expected=body.expected, intent=intent))


@router.post("/hold", response_model=ActionOut, responses=REFUSALS, summary="Hold auto-advance on the current segment")
async def hold(event_id: EventId, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.hold(event_id, caller.name, intent=intent))


@router.post(
    "/resume", response_model=ActionOut, responses=REFUSALS, summary="Resume auto-advance (an overrun becomes a delay)"
)
async def resume(event_id: EventId, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.resume(event_id, caller.name, intent=intent))


@router.post(
    "/delay", response_model=ActionOut, responses=REFUSALS, summary="Report a delay: shift the rest or absorb it"
)
async def delay(event_id: EventId, body: DelayIn, run: RunDep, caller: Host, intent: IdempotencyKey):
    """At most the event's planned length and at most 24 h, either way (422 otherwise)."""
    return respond(await run.delay(event_id, caller.name, body.total_seconds, body.mode, intent=intent))


@router.post("/end", response_model=ActionOut, responses=REFUSALS, summary="End the event now")
async def end(event_id: EventId, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.end(event_id, caller.name, intent=intent))


@router.post(
    "/undo", response_model=ActionOut, responses=REFUSALS, summary="Undo the last host action (within the undo window)"
)
async def undo(event_id: EventId, run: RunDep, caller: Host, intent: IdempotencyKey, body: UndoIn | None = None):
    """The run log records an `undo`; the timeline replays without the action; every target that got a
    message caused by it gets one correction. Undo again to revert the action before."""
    return respond(await run.undo(event_id, caller.name, seq=body.seq if body else None, intent=intent))


@router.post(
    "/preview",
    response_model=PreviewOut,
    responses=REFUSALS,
    summary="What advance, jump or end would post now (nothing is recorded)",
)
async def preview(event_id: EventId, body: PreviewIn, run: RunDep, _: Host):
    return await run.preview(event_id, body.action, body.to, body.expected)


@router.post(
    "/timers",
    response_model=ActionOut,
    responses=REFUSALS,
    status_code=201,
    summary="Start a countdown (e.g. a respondent)",
)
async def start_timer(event_id: EventId, body: TimerIn, run: RunDep, caller: Host, intent: IdempotencyKey):
    """A respondent slot takes its minutes from the schedule (409 if its timer already runs); any other
    timer needs seconds. A respondent's timer stops when the show leaves its segment, unless `keep`."""
    return respond(
        await run.start_timer(
            event_id,
            caller.name,
            segment=body.segment,
            slot=body.slot,
            person=body.person,
            seconds=body.seconds,
            label=body.label,
            keep=body.keep,
            intent=intent,
        )
    )


@router.post("/timers/{timer_id}/pause", response_model=ActionOut, responses=REFUSALS, summary="Pause a timer")
async def pause_timer(event_id: EventId, timer_id: str, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.timer(event_id, caller.name, timer_id, "pause", intent=intent))


@router.post("/timers/{timer_id}/resume", response_model=ActionOut, responses=REFUSALS, summary="Resume a paused timer")
async def resume_timer(event_id: EventId, timer_id: str, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.timer(event_id, caller.name, timer_id, "resume", intent=intent))


@router.post("/timers/{timer_id}/add", response_model=ActionOut, responses=REFUSALS, summary="Add (or remove) time")
async def add_time(
    event_id: EventId, timer_id: str, body: TimerAddIn, run: RunDep, caller: Host, intent: IdempotencyKey
):
    return respond(await run.timer(event_id, caller.name, timer_id, "add", body.seconds, intent=intent))


@router.post("/timers/{timer_id}/stop", response_model=ActionOut, responses=REFUSALS, summary="Stop a timer")
async def stop_timer(event_id: EventId, timer_id: str, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.timer(event_id, caller.name, timer_id, "stop", intent=intent))


@router.post(
    "/announcements", response_model=ActionOut, responses=REFUSALS, status_code=201, summary="Post a one-off message"
)
async def announce(event_id: EventId, body: AnnounceIn, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.announce(event_id, caller.name, body.message, body.targets, intent=intent))


def include(app: FastAPI) -> None:
    """Mount the host actions."""
    app.include_router(router)
