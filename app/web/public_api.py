"""Public, read-only agenda API: JSON and a server-sent-event stream, no token needed."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.api.deps import EventId, RuntimeDep
from app.api.openapi import error, event_stream
from app.api.sse import RESTARTING, stream_closing
from app.core.errors import TooManyStreams
from app.views.agenda import agenda_json
from app.web.agenda_hub import AgendaHub, frame

router = APIRouter(prefix="/api/public/events", tags=["public agenda"])
KEEPALIVE_SECONDS = 15
# Anyone can open these streams; a cap (SHOWCALLER_PUBLIC_STREAMS_MAX, default 2000 per process)
# keeps one process from being tied up by idle connections.


def _agenda(runtime, event_id: str) -> dict:
    timeline = runtime.engine.timeline(event_id)
    return agenda_json(runtime.schedule(event_id), timeline, runtime.clock.now())


def _hub(request: Request) -> AgendaHub:
    """The app's public agenda streams (lifespan state, beside the services)."""
    hub: AgendaHub = request.state.agenda_hub
    return hub


@router.get("/{event_id}/agenda", summary="Public agenda: segments, speakers, current and next (no token)")
async def public_agenda(event_id: EventId, runtime: RuntimeDep):
    """Titles, UTC times, kinds, speakers' names/titles/organisations, run status; no emails."""
    return _agenda(runtime, event_id)


@router.get(
    "/{event_id}/stream",
    summary="Server-sent events: the public agenda after every change",
    response_class=StreamingResponse,
    responses={
        **event_stream("agenda", "the public agenda (as GET ./agenda)"),
        503: error("too many open agenda streams: poll the agenda instead"),
    },
)
async def public_stream(event_id: EventId, runtime: RuntimeDep, request: Request):
    """`event: agenda` with the agenda JSON on connect and after each change (503 when full)."""
    hub = _hub(request)
    if hub.clients() >= runtime.settings.public_streams_max:
        raise TooManyStreams("too many open agenda streams; poll /agenda every few seconds instead")

    closing = stream_closing(request)

    async def events():
        # Joined here, not in the handler, so a stream that never starts is never counted.
        queue = hub.join(runtime.broadcaster, event_id, lambda: _agenda(runtime, event_id))
        closing.join(queue)  # a stopping server ends the stream with `event: reconnect`
        try:
            yield "retry: 3000\n\n" + frame(_agenda(runtime, event_id))
            while True:
                try:
                    # asyncio.timeout, not wait_for: no extra task per frame, which counts with
                    # thousands of viewers receiving the same change.
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        item = await queue.get()
                    if item == RESTARTING or closing.closed:  # (the flag: a newer frame may replace the notice)
                        yield closing.farewell()
                        return
                    yield item
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
        finally:
            closing.leave(queue)
            hub.leave(event_id, queue)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
