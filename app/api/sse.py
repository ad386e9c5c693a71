"""Server-sent events: the one loop every event stream runs (the state stream, the presenter view),
and the one switch that ends every open stream when the server stops (`StreamClosing`)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse

from app.cluster.stream_access import OpenStream
from app.engine.broadcast import Broadcaster

KEEPALIVE_SECONDS = 15
KEEPALIVE = ": keep-alive\n\n"
RESTARTING = "server_restarting"  # the reason put in a stream's queue when the server stops
# The `retry:` a stopping server gives each client, drawn per stream so a thousand browsers do not
# come back in the same millisecond; a restart takes about this long (docs/operations.md).
RECONNECT_MS = (1000, 3000)


class StreamClosing:
    """Every open event stream's queue, so that a stopping server ends them all at once.

    uvicorn waits for open connections to close before it runs the app's shutdown, and an event
    stream never closes by itself: a Ctrl-C or SIGTERM waited out every console, presenter view and
    agenda viewer (30-70 s and more) before the service stopped. `serve` calls `close_all()` the
    moment the signal arrives (app/cli/run_cmds.py); each stream then sends `event: reconnect` with
    a `retry:` hint and ends, its connection closes, and the shutdown goes on. A stream opened after
    that (a request already accepted) ends the same way at once."""

    def __init__(self, rng: random.Random | None = None):
        self.closed = False
        self._queues: set[asyncio.Queue] = set()
        self._rng = rng or random.Random()

    def join(self, queue: asyncio.Queue) -> None:
        """Watch a stream's queue; it gets `RESTARTING` when the server stops (at once if it has)."""
        self._queues.add(queue)
        if self.closed:
            _wake(queue)

    def leave(self, queue: asyncio.Queue) -> None:
        self._queues.discard(queue)

    def open_streams(self) -> int:
        return len(self._queues)

    def close_all(self) -> int:
        """Tell every open stream to say goodbye and end; returns how many were told."""
        self.closed = True
        for queue in list(self._queues):
            _wake(queue)
        return len(self._queues)

    def farewell(self) -> str:
        """A stream's last frame: reconnect (EventSource does, after `retry` ms), then reload."""
        wait = self._rng.randint(*RECONNECT_MS)
        data = json.dumps({"reason": RESTARTING, "retry_ms": wait})
        return f"retry: {wait}\nevent: reconnect\ndata: {data}\n\n"


def _wake(queue: asyncio.Queue) -> None:
    if queue.full():  # a slow client's pending frame is dropped: it reloads everything on reconnect
        queue.get_nowait()
    queue.put_nowait(RESTARTING)


def stream_closing(request: Request) -> StreamClosing:
    """The app's `StreamClosing` (lifespan state, beside the services)."""
    closing: StreamClosing = request.state.stream_closing
    return closing


async def changes(
    broadcaster: Broadcaster,
    event_id: str,
    queue: asyncio.Queue,
    request: Request,
    access: OpenStream,
    closing: StreamClosing | None = None,
) -> AsyncIterator[str | None]:
    """The reasons an event changed, as they come; None when it is time for a keep-alive comment.
    Ends when the client has gone, its token's access ended (`access`, woken through `queue`) or
    the server is stopping (`RESTARTING`, put in `queue` by `StreamClosing`); always unsubscribes
    `queue` (subscribed by the caller before its first frame, so no change
    between that frame and this loop is missed)."""
    try:
        while not access.ended:
            try:
                reason = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield None
                continue
            # (The flag too: a full queue drops its oldest notice, which may be the RESTARTING one,
            # but only to put another in, so the stream wakes and sees the flag.)
            if reason == RESTARTING or (closing is not None and closing.closed):
                return
            if not access.ended:
                yield reason
    finally:
        broadcaster.unsubscribe(event_id, queue)


# The last thing an ended stream says (a comment: the browser's page learns why when it asks again).
ACCESS_ENDED = ": access ended (token revoked or role changed)\n\n"


def sse_response(frames: AsyncIterator[str]) -> StreamingResponse:
    """A text/event-stream answer that proxies neither cache nor buffer."""
    return StreamingResponse(
        frames, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
