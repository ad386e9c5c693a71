"""Server-sent events: the one loop every event stream runs (the state stream, the presenter view)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse

from app.cluster.stream_access import OpenStream
from app.engine.broadcast import Broadcaster

KEEPALIVE_SECONDS = 15
KEEPALIVE = ": keep-alive\n\n"


async def changes(
    broadcaster: Broadcaster, event_id: str, queue: asyncio.Queue, request: Request, access: OpenStream
) -> AsyncIterator[str | None]:
    """The reasons an event changed, as they come; None when it is time for a keep-alive comment.
    Ends when the client has gone or its token's access ended (`access`, woken through `queue`);
    always unsubscribes `queue` (subscribed by the caller before its first frame, so no change
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
