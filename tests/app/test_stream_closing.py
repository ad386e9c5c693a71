"""Ending every event stream when the server stops (app/api/sse.py StreamClosing), in-process.

`serve` calls `close_all()` when SIGINT/SIGTERM arrives (the same across a real process, with 50
streams and a restart: tests/engine/test_graceful_restart.py). Each stream kind sends its last
frame, `event: reconnect` with a `retry:` hint, and ends, so the server's wait for open connections
is over at once; a stream opened after that ends the same way straight after its first frame.
"""

from __future__ import annotations

import asyncio
import json
import random

import httpx

from app.api.sse import RECONNECT_MS, StreamClosing
from app.main import create_app
from tests.fixtures import EVENT, LoopbackServer, bangkok

GUARD = 30.0  # seconds: only a bound on a hung test
PATHS = {
    "console": f"/api/events/{EVENT}/stream",
    "presenter": f"/api/events/{EVENT}/stage/stream",
    "agenda": f"/api/public/events/{EVENT}/stream",
}


async def _frames(client: httpx.AsyncClient, path: str, headers: dict, opened: asyncio.Event) -> list[dict]:
    """Every frame of one stream (fields by name) until the server ends it."""
    frames, fields = [], {}
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, path
        async for line in response.aiter_lines():
            if line == "":
                if fields:
                    frames.append(fields)
                    opened.set()
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.lstrip(" ")
    return frames


def _is_farewell(frame: dict) -> bool:
    data = json.loads(frame["data"])
    low, high = RECONNECT_MS
    return (
        frame.get("event") == "reconnect"
        and low <= int(frame["retry"]) <= high
        and data == {"reason": "server_restarting", "retry_ms": int(frame["retry"])}
    )


async def test_close_all_ends_every_kind_of_stream_with_a_reconnect_frame(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(14, 20), tokens=["host"])
    closing = StreamClosing(random.Random(7))
    app = create_app(service.runtime.settings, services=service.runtime, stream_closing=closing)
    server = LoopbackServer(app, lifespan="on")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=GUARD) as client:
            auth = service.auth("host")
            opened = {kind: asyncio.Event() for kind in PATHS}
            reading = {
                kind: asyncio.create_task(_frames(client, path, auth if kind != "agenda" else {}, opened[kind]))
                for kind, path in PATHS.items()
            }
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened.values())), GUARD)
            assert closing.open_streams() == len(PATHS)

            assert closing.close_all() == len(PATHS)
            # A burst of changes at that moment (presenter views leaving announce themselves) fills
            # the queues, which drop their oldest notice: the reconnect one; the streams end anyway.
            for _ in range(200):
                service.runtime.broadcaster.publish(EVENT, "burst")
            ended = await asyncio.wait_for(asyncio.gather(*reading.values()), GUARD)
            for kind, frames in zip(reading, ended, strict=True):
                assert _is_farewell(frames[-1]), (kind, frames[-1])
                assert [f.get("event") for f in frames].count("reconnect") == 1
            assert closing.open_streams() == 0

            # A stream that opens after the stop began (a request already accepted) ends at once too.
            late = asyncio.Event()
            frames = await asyncio.wait_for(_frames(client, PATHS["console"], auth, late), GUARD)
            assert [f.get("event") for f in frames if "event" in f] == ["state", "reconnect"]
            assert _is_farewell(frames[-1])
    finally:
        await asyncio.wait_for(server.stop(), GUARD)
