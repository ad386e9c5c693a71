"""Read endpoints: events, plan, live state, cue log and the server-sent-event stream."""

from __future__ import annotations

import json
from contextlib import aclosing

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse

from app.api.deps import (
    EventId,
    Organiser,
    RunDep,
    RuntimeDep,
    StageReader,
    StreamViewer,
    Viewer,
    get_stream_tickets,
)
from app.api.openapi import NOT_RECORDED, error, event_stream
from app.api.schemas import CueOut, EventOut, StateOut
from app.api.sse import ACCESS_ENDED, KEEPALIVE, changes, sse_response, stream_closing
from app.store import events_repo, outbox_repo
from app.views.schedule import plan_json
from app.views.times import iso_utc
from schedules.load import decode_schedule

router = APIRouter(prefix="/api/events", tags=["events"])


@router.get("/me", summary="Who the token belongs to, and its role", tags=["auth"])
async def me(caller: Viewer):
    return {"name": caller.name, "role": caller.role}


@router.get("", response_model=list[EventOut], summary="List loaded events")
async def list_events(runtime: RuntimeDep, _: Viewer):
    async with runtime.db.begin() as conn:
        rows = await events_repo.list_events(conn)
    return [
        {
            "id": r.id,
            "title": r.title,
            "timezone": r.timezone,
            "source": r.source,
            "loaded_at": iso_utc(r.loaded_at),
            "quarantined": runtime.quarantined.get(r.id),
        }
        for r in rows
    ]


@router.post(
    "",
    response_model=EventOut,
    status_code=201,
    summary="Load or replace a schedule (YAML body)",
    responses={
        413: error("the schedule is over SHOWCALLER_MAX_SCHEDULE_BYTES (`limit`)"),
        422: error("the schedule is invalid: `problems` gives each one with its line, column and fix"),
        **NOT_RECORDED,
    },
    openapi_extra={"requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}},
)
async def load_event(request: Request, runtime: RuntimeDep, run: RunDep, _: Organiser):
    """Validate a schedule file and (re)plan it; a bad file answers 422 with every located problem,
    one over `max_schedule_bytes` 413 (the input gate, before it is read whole). Parsing is bounded:
    a small plain file on the loop, any other in a bounded child process; planning runs in a thread."""
    source = request.headers.get("x-schedule-name", "api-upload.yaml")
    text = decode_schedule(await request.body(), source)  # invalid UTF-8: the answer `validate` gives
    parsed = await runtime.schedule_parser.parse(text, source)
    schedule = await run.load_schedule(text, source, schedule=parsed)
    event = schedule.event
    # The answer is what was just stored, kept by the writer: no transaction to read it back
    # (unless the event was replaced in the cache meanwhile).
    stored = runtime.engine.stored_as(event.id)
    if stored is None:
        async with runtime.db.begin() as conn:
            row = await events_repo.get_event(conn, event.id)
        stored = (row.source, row.loaded_at)
    return {
        "id": event.id,
        "title": event.title,
        "timezone": event.timezone,
        "source": stored[0],
        "loaded_at": iso_utc(stored[1]),
    }


@router.get("/{event_id}/state", response_model=StateOut, summary="Live run state")
async def get_state(event_id: EventId, run: RunDep, _: Viewer):
    """Current and next segment, elapsed/remaining, delay, projected end, running timers, clock rate, undo."""
    return run.state(event_id)


@router.get("/{event_id}/plan", summary="Segments and every planned cue")
async def get_plan(event_id: EventId, runtime: RuntimeDep, _: Viewer, tz: str | None = None):
    schedule = runtime.schedule(event_id)
    return plan_json(schedule, runtime.engine.timeline(event_id), tz or schedule.event.timezone)


@router.get("/{event_id}/cues", response_model=list[CueOut], summary="Cue log with delivery status")
async def get_cues(event_id: EventId, runtime: RuntimeDep, _: Viewer):
    async with runtime.db.begin() as conn:
        rows = await outbox_repo.list_cues(conn, event_id)
        sent = await outbox_repo.list_deliveries(conn, event_id)
    by_cue: dict[str, list] = {}
    for d in sent:
        by_cue.setdefault(d.cue_id, []).append(
            {"id": d.id, "target": d.target_id, "status": d.status, "attempts": d.attempts, "error": d.last_error}
        )
    return [
        {
            "cue_id": r.cue_id,
            "kind": r.kind,
            "segment": r.segment,
            "status": r.status,
            "title": r.title,
            "message": r.message,
            "due_at": iso_utc(r.due_at) if r.due_at else None,
            "fired_at": iso_utc(r.fired_at) if r.fired_at else None,
            "late_ms": r.late_ms,
            "note": r.note,
            "superseded_by": r.superseded_by,
            "targets": r.targets,
            "deliveries": by_cue.get(r.cue_id, []),
        }
        for r in rows
    ]


@router.get("/{event_id}/log", summary="Host actions so far (with who took each, and which undo reverted it)")
async def get_log(event_id: EventId, runtime: RuntimeDep, _: Viewer):
    async with runtime.db.begin() as conn:
        rows = await events_repo.action_log(conn, event_id)
    undone_by = {r.data.get("target"): r.seq for r in rows if r.kind == "undo"}
    return [
        {
            "seq": r.seq,
            "at": iso_utc(r.at),
            "kind": r.kind,
            "actor": r.actor,
            "data": r.data,
            "undone_by": undone_by.get(r.seq),
        }
        for r in rows
    ]


@router.post("/{event_id}/stream/ticket", summary="A single-use ticket to open the event stream (browsers)")
async def stream_ticket(event_id: EventId, runtime: RuntimeDep, caller: StageReader, request: Request):
    """For EventSource, which cannot send a header: open `/stream?ticket=...` (or the presenter view's
    `/stage/stream?ticket=...`) within `expires_in` seconds, on any instance; the ticket works once, for
    this event only, for the streams its token's role may read when it is redeemed, and keeps the
    token out of URLs and logs."""
    tickets = get_stream_tickets(request)
    return {"ticket": await tickets.issue(runtime.db, caller.token_id, event_id), "expires_in": tickets.ttl}


@router.get(
    "/{event_id}/stream",
    summary="Server-sent events: the state after every change",
    response_class=StreamingResponse,
    responses=event_stream("state", "the state (as GET ./state) and `reason`: what changed"),
)
async def stream(event_id: EventId, runtime: RuntimeDep, caller: StreamViewer, request: Request):
    """`event: state` with the full state JSON on connect and after each change; a comment keeps it
    alive. Authenticate with the bearer header, or `?ticket=` from POST .../stream/ticket. The stream
    ends (within a second, on every instance) when its token is revoked or loses the viewer role."""
    queue = runtime.broadcaster.subscribe(event_id)

    def frame(reason: str) -> str:
        state = runtime.run.state(event_id)
        return f"event: state\ndata: {json.dumps({'reason': reason, **state})}\n\n"

    closing = stream_closing(request)

    async def events():
        access = runtime.streams.open(caller.token_id, event_id, "viewer", queue)
        closing.join(queue)  # a stopping server ends the stream with `event: reconnect`
        try:
            yield "retry: 2000\n\n" + frame("connected")
            # aclosing: a client that leaves closes this generator, and with it the subscription, at once.
            async with aclosing(changes(runtime.broadcaster, event_id, queue, request, access, closing)) as reasons:  # type: ignore[type-var]  # an async generator has aclose
                async for reason in reasons:
                    yield frame(reason) if reason is not None else KEEPALIVE
            if closing.closed:
                yield closing.farewell()
            elif access.ended:
                yield ACCESS_ENDED
        finally:
            closing.leave(queue)
            runtime.streams.close(access)

    return sse_response(events())


def include(app: FastAPI) -> None:
    """Mount the event routes (schedules, state, cues, streams)."""
    app.include_router(router)
