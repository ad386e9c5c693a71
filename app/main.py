"""The web application: REST API, event stream, Zoom webhooks and the console, in one ASGI app."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app import errors
from app.api import control, deliveries, events
from app.config import Settings, get_settings
from app.engine.clock import Clock, SystemClock
from app.runtime import Runtime

DESCRIPTION = """Run a live online event on Zoom from one schedule file.

Authenticate with `Authorization: Bearer <token>`; create tokens with
`showcaller token create --role organiser|host|viewer`. Errors are JSON: `{"error": code, "reason": text}`;
401 means no valid token, 403 means the token's role is not enough.
"""


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               transport: httpx.AsyncBaseTransport | None = None, runtime: Runtime | None = None,
               run_timer: bool = True, run_worker: bool = True) -> FastAPI:
    """Build the app; tests pass a clock, an HTTP transport or a ready runtime."""
    settings = settings or get_settings()
    owned = runtime is None
    runtime = runtime or Runtime(settings, clock=clock or SystemClock(), transport=transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if owned:
            await runtime.start(run_timer=run_timer, run_worker=run_worker)
            # What start-up built lives as long as the process: keep it out of the cyclic
            # collector, whose full passes over it stalled the event loop for ~50 ms at a time.
            gc.freeze()
        app.state.runtime = runtime
        try:
            yield
        finally:
            if owned:
                await runtime.stop()

    app = FastAPI(title="Showcaller", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)

    @app.get("/healthz", tags=["health"], summary="Liveness: answers as soon as the service is up")
    async def healthz():
        return {"status": "ok"}

    for module in (events, control, deliveries):
        app.include_router(module.router)
    for optional in ("app.api.zoom", "app.api.webhooks", "app.api.attendance", "app.web.routes"):
        _include(app, optional)
    return app


def _include(app: FastAPI, module_name: str) -> None:
    """Mount a router module if that part is installed (each part lands in its own change)."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not module_name.startswith(exc.name or "?"):
            raise
        return
    module.include(app)
