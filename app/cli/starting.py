"""What `serve` answers while the application is still being built: /healthz at once (issue 27).

Importing the application (FastAPI, SQLAlchemy, every route and service module) and starting the
service took 1.5-2 s on a quiet machine before uvicorn accepted a connection, so a supervisor's
liveness probe, a balancer's health check or a person watching saw a dead port meanwhile. uvicorn
now serves `StartingApp` from the first moment. It imports and builds the application in a thread
(the event loop keeps answering meanwhile), runs the application's lifespan (the service starts),
and then passes every request through. Until then:

- `GET /healthz` answers 200 at once: the process is alive and serving requests (liveness);
- `GET /readyz` answers 503 `not_ready`, "starting", with `Retry-After: 1`: nothing is ready yet;
- every other request waits for the application and is then handed to it (a console or an API
  call made during the start is answered a moment later, never refused).

If the application cannot start, waiting requests get 503, the server stops, and `serve` raises
the start's error once uvicorn has returned, so the command still ends with its one-line failure
and exit status. This module imports nothing of the application: that is its point
(tests/cli/test_serve_startup.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

log = logging.getLogger("showcaller.starting")

STARTING = "starting: the application is being loaded"
FAILED = "the service failed to start; see its log"


class _Closing(Protocol):
    def close_all(self) -> int: ...


class LateClosing:
    """The switch that ends every event stream (app/api/sse.py `StreamClosing`), for a server whose
    application does not exist yet: a stop signal that comes first is remembered and passed on as
    soon as the application's own switch is attached."""

    def __init__(self) -> None:
        self.closed = False
        self._target: _Closing | None = None

    def attach(self, closing: _Closing) -> None:
        self._target = closing
        if self.closed:
            closing.close_all()

    def close_all(self) -> int:
        self.closed = True
        target = self._target
        return target.close_all() if target is not None else 0


class StartingApp:
    """The ASGI app uvicorn serves: answers /healthz and /readyz while `build()` (run in a thread)
    makes the application, then runs its lifespan and hands every request to it.

    `on_failed` is called (on the event loop) when the application cannot be built or started:
    `serve` stops the server there. The error is kept in `failure`."""

    def __init__(self, build: Callable[[], ASGIApp], *, on_failed: Callable[[], None]) -> None:
        self._build = build
        self._on_failed = on_failed
        self.app: ASGIApp | None = None  # set once the application's lifespan has started
        self.failure: BaseException | None = None
        self._settled = asyncio.Event()  # the application started, or failed to
        self._starting: asyncio.Task[None] | None = None
        self._lifespan: _Lifespan | None = None
        self._state: dict[str, Any] = {}

    async def settled(self) -> None:
        """Wait until the application has started, or failed to (then `failure` says why)."""
        await self._settled.wait()

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(scope, receive, send)
            return
        if self.app is not None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path") if scope["type"] == "http" else None
        if path == "/healthz":
            await _answer(send, 200, {"status": "ok"})
            return
        if path == "/readyz" or self.failure is not None:
            await _not_ready(send, FAILED if self.failure is not None else STARTING)
            return
        await self._settled.wait()
        if self.app is None:
            if scope["type"] == "http":
                await _not_ready(send, FAILED)
            return  # (a websocket: closed unanswered, as a server that stopped)
        # The request arrived before the application's lifespan filled the server's state (uvicorn
        # copies it into each request when the request arrives): give it what it would have had.
        await self.app({**scope, "state": {**scope.get("state", {}), **self._state}}, receive, send)

    async def _serve_lifespan(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup: answered at once, the application starts behind it
        self._state = scope.setdefault("state", {})
        self._starting = asyncio.create_task(self._start(scope))
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            await self._stop()
        except BaseException as exc:  # (the application's own shutdown failed: uvicorn logs it)
            await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    async def _start(self, outer: dict[str, Any]) -> None:
        try:
            app = await asyncio.to_thread(self._build)
            lifespan = _Lifespan(app, {"type": "lifespan", "asgi": outer.get("asgi", {}), "state": self._state})
            await lifespan.startup()
        except Exception as exc:
            self.failure = exc
            log.error("the service failed to start: %s", exc)
            self._settled.set()
            self._on_failed()
            return
        self._lifespan, self.app = lifespan, app
        self._settled.set()

    async def _stop(self) -> None:
        """Stop the application: a start still under way is finished first (an import cannot be
        interrupted, and a half-started service would not stop cleanly), then it is stopped."""
        if self._starting is not None:
            await self._starting
        if self._lifespan is not None:
            await self._lifespan.shutdown()


class _Lifespan:
    """Runs an ASGI application's lifespan protocol, as a server does."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(app, scope))

    async def _run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        await app(scope, self._inbox.get, self._outbox.put)

    async def startup(self) -> None:
        await self._step("lifespan.startup")

    async def shutdown(self) -> None:
        await self._step("lifespan.shutdown")
        await self._task

    async def _step(self, step: str) -> None:
        await self._inbox.put({"type": step})
        answer = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({answer, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if answer.done() and answer.result()["type"] == f"{step}.complete":
            return
        answer.cancel()
        await self._task  # the application raised: its own error, as uvicorn would have logged it
        reason = answer.result().get("message", "") if answer.done() and not answer.cancelled() else ""
        raise RuntimeError(f"the application's {step} failed{': ' + reason if reason else ''}")


async def _answer(send: Send, status: int, body: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _not_ready(send: Send, reason: str) -> None:
    """/readyz's 503 in its usual shape (`error`, `reason`, `checks`): nothing is ready yet."""
    body = {"error": "not_ready", "reason": reason, "checks": {"application": {"ok": False, "detail": reason}}}
    await _answer(send, 503, body, ((b"retry-after", b"1"),))
