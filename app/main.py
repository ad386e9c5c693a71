"""The web application: REST API, event stream, Zoom webhooks and the console, in one ASGI app."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app import __version__, errors
from app.api import attendance, control, deliveries, events, openapi, ops, webhooks, zoom
from app.api.input_gate import InputGate, Limits
from app.api.stream_tickets import StreamTickets
from app.config import Settings, get_settings
from app.engine.clock import Clock, SystemClock
from app.logs import install_log_redaction
from app.metrics import WebhookTiming
from app.runtime import Runtime
from app.schedule_worker import BoundedParser
from app.stage import api as stage_api
from app.web import routes as web_routes

DESCRIPTION = """Run a live online event on Zoom from one schedule file.

Authenticate with `Authorization: Bearer <token>`; create tokens with
`showcaller token create --role organiser|host|viewer`. Every error is JSON in one shape (the `Error`
schema): `{"error": code, "reason": text}`, 422 included; 401 means no valid token, 403 means the
token's role is not enough.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    runtime: Runtime | None = None,
    run_timer: bool = True,
    run_worker: bool = True,
) -> FastAPI:
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
            # and every event loaded from now on (a background catch-up)
            runtime.engine.freeze_loaded = True  # type: ignore[union-attr]  # started just above
        app.state.runtime = runtime
        install_log_redaction()  # again: uvicorn may have configured its loggers since create_app
        try:
            yield
        finally:
            if owned:
                await runtime.stop()

    app = FastAPI(
        title="Showcaller",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )  # served by app.api.ops from local files
    errors.install(app)
    app.add_middleware(InputGate, api=app, limits=Limits.of(settings))
    app.state.stream_tickets = StreamTickets()
    app.state.schedule_parser = BoundedParser(
        settings.schedule_parse_seconds, settings.schedule_parse_memory_mb, settings.schedule_parse_workers
    )
    install_log_redaction()
    app.add_middleware(WebhookTiming, metrics_of=lambda: runtime.metrics)
    runtime.hub_of = lambda: getattr(app.state, "agenda_hub", None)

    @app.get("/healthz", tags=["health"], summary="Liveness: answers as soon as the service is up")
    async def healthz():
        return {"status": "ok"}

    # webhooks.include puts its route first: it is the hot path and routes match in order.
    webhooks.include(app)
    for module in (events, control, deliveries):
        app.include_router(module.router)
    app.include_router(stage_api.router)
    app.include_router(stage_api.people_router)
    for module in (zoom, attendance, web_routes, ops):
        module.include(app)
    openapi.install(app)  # after every route: documents the statuses they answer
    return app
