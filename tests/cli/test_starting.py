"""`serve`'s front (app/cli/starting.py): /healthz answers while the application is still being
built, /readyz says it is starting, other requests wait and are handed over, a failed start is kept.
Driven over ASGI in this process; the build waits on a gate the test opens (no time involved)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from app.cli.starting import STARTING, LateClosing, StartingApp, _Lifespan


class Inner:
    """An application with a lifespan that fills the server's state and answers with it."""

    def __init__(self, fail_start: bool = False) -> None:
        self.fail_start = fail_start
        self.events: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            if self.fail_start:
                await send({"type": "lifespan.startup.failed", "message": "no database"})
                raise ConnectionError("no database")
            scope["state"]["service"] = "started"
            self.events.append("started")
            await send({"type": "lifespan.startup.complete"})
            await receive()
            self.events.append("stopped")
            await send({"type": "lifespan.shutdown.complete"})
            return
        await _send_json(send, 200, {"path": scope["path"], "state": scope.get("state", {})})


async def _send_json(send, status: int, body: dict) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


async def get(app, path: str, state: dict | None = None) -> tuple[int, dict, dict]:
    """GET `path` as uvicorn would call the app: (status, JSON body, headers)."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "state": dict(state or {})}
    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], json.loads(sent[1]["body"]), headers


class Gate:
    """The build: waits (in its thread) until the test opens the gate, then returns the application."""

    def __init__(self, inner: Inner, error: Exception | None = None) -> None:
        self.inner, self.error, self.opened = inner, error, threading.Event()

    def __call__(self) -> Inner:
        assert self.opened.wait(60), "the test never opened the gate"
        if self.error is not None:
            raise self.error
        return self.inner


async def _started(front: StartingApp, server_state: dict) -> _Lifespan:
    lifespan = _Lifespan(front, {"type": "lifespan", "state": server_state})
    await lifespan.startup()  # (answered at once: the build is still waiting at its gate)
    return lifespan


async def test_healthz_answers_before_the_application_exists_and_requests_wait_for_it():
    inner, stops = Inner(), []
    build = Gate(inner)
    front = StartingApp(build, on_failed=lambda: stops.append("stop"))
    server_state: dict = {}
    lifespan = await _started(front, server_state)

    assert (await get(front, "/healthz"))[:2] == (200, {"status": "ok"})
    status, body, headers = await get(front, "/readyz")
    assert (status, body["error"], body["reason"], headers["retry-after"]) == (503, "not_ready", STARTING, "1")
    assert body["checks"] == {"application": {"ok": False, "detail": STARTING}}
    waiting = asyncio.create_task(get(front, "/api/events", state=server_state))  # (copied empty, as uvicorn does)
    for _ in range(5):
        await asyncio.sleep(0)  # (the loop turns; no time passes)
    assert not waiting.done() and inner.events == []

    build.opened.set()
    await front.settled()
    # Handed over with the state the application's lifespan put in the server's state.
    assert await waiting == (200, {"path": "/api/events", "state": {"service": "started"}}, {})
    assert server_state == {"service": "started"}
    assert (await get(front, "/healthz", state=server_state))[1]["path"] == "/healthz"  # the application's own now
    assert front.failure is None and stops == []

    await lifespan.shutdown()
    assert inner.events == ["started", "stopped"]


@pytest.mark.parametrize("broken", ["build", "lifespan"])
async def test_a_failed_start_is_kept_answered_503_and_stops_the_server(broken):
    inner, stops = Inner(fail_start=broken == "lifespan"), []
    build = Gate(inner, ImportError("no module named fastapi") if broken == "build" else None)
    front = StartingApp(build, on_failed=lambda: stops.append("stop"))
    lifespan = await _started(front, {})
    waiting = asyncio.create_task(get(front, "/api/events"))
    await asyncio.sleep(0)

    build.opened.set()
    await front.settled()
    status, body, _ = await waiting
    assert (status, body["error"], body["reason"]) == (503, "not_ready", "the service failed to start; see its log")
    assert (await get(front, "/api/events"))[0] == 503
    assert stops == ["stop"]
    assert isinstance(front.failure, ImportError if broken == "build" else ConnectionError)
    await lifespan.shutdown()  # (nothing to stop: it never started)
    assert inner.events == []


async def test_a_stop_during_the_start_waits_for_it_then_stops_the_application():
    inner = Inner()
    build = Gate(inner)
    front = StartingApp(build, on_failed=lambda: None)
    lifespan = await _started(front, {})
    stopping = asyncio.create_task(lifespan.shutdown())
    await asyncio.sleep(0)
    assert not stopping.done()
    build.opened.set()
    await stopping
    assert inner.events == ["started", "stopped"]


class Streams:
    def __init__(self) -> None:
        self.closed = 0

    def close_all(self) -> int:
        self.closed += 1
        return 3


def test_a_stop_signal_before_the_application_exists_still_ends_its_streams():
    early, late = LateClosing(), LateClosing()
    assert early.close_all() == 0  # the signal, before the application was built
    streams = Streams()
    early.attach(streams)
    assert streams.closed == 1  # ended as soon as they exist: a stream opened now ends at once

    other = Streams()
    late.attach(other)
    assert other.closed == 0
    assert late.close_all() == 3 and other.closed == 1
