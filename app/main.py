"""The web application: REST API, event stream, Zoom webhooks and the console, in one ASGI app."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypedDict

import httpx
from fastapi import FastAPI

from app import __version__, bootstrap
from app.api import attendance, chat, control, deck, deliveries, events, openapi, ops, rundown, webhooks, zoom
from app.api import stage as stage_api
from app.api.input_gate import InputGate, Limits
from app.api.sse import StreamClosing as StreamClosing  # (re-exported: what a server built outside app.cli uses)
from app.api.stream_tickets import StreamTickets
from app.core import errors
from app.core.config import Settings, get_settings
from app.core.logs import install_log_redaction
from app.core.metrics import Metrics, WebhookTiming
from app.engine.clock import Clock
from app.services import Services
from app.web import action_pages
from app.web import routes as web_routes
from app.web.agenda_hub import AgendaHub

DESCRIPTION = """Run a live online event on Zoom from one schedule file.

Authenticate with `Authorization: Bearer <token>`; create tokens with
`showcaller token create --role organiser|host|viewer`. Every error is JSON in one shape (the `Error`
schema): `{"error": code, "reason": text}`, 422 included; 401 means no valid token, 403 means the
token's role is not enough.
"""


class State(TypedDict):
    """The lifespan state: every request's `request.state` carries it (read through app.api.deps)."""

    services: Services
    stream_tickets: StreamTickets
    agenda_hub: AgendaHub
    stream_closing: StreamClosing


def state_of(services: Services, closing: StreamClosing) -> State:
    """What the routes get: the started service, and the web app's own stream tickets, public
    agenda streams (counted by the service's metrics) and the switch that ends every stream."""
    hub = AgendaHub()
    services.metrics.watch_streams(services.broadcaster, lambda: hub)
    return State(services=services, stream_tickets=StreamTickets(), agenda_hub=hub, stream_closing=closing)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    services: Services | None = None,
    run_timer: bool = True,
    run_worker: bool = True,
    stream_closing: StreamClosing | None = None,
    before_serving: Callable[[Services], Awaitable[None]] | None = None,
) -> FastAPI:
    """Build the app; its lifespan builds the service (app/bootstrap.py) unless given started
    `services` (tests, the rehearsal), and hands it to the routes as the lifespan state.
    `stream_closing`: the server's switch that ends every open event stream when it stops
    (`serve` sets it on SIGINT/SIGTERM); by default one of the app's own, closed at shutdown.
    `before_serving`: see bootstrap.started (`serve` checks the stored events' targets there)."""
    settings = settings or get_settings()
    metrics = services.metrics if services is not None else Metrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[State]:
        install_log_redaction()  # again: uvicorn may have configured its loggers since create_app
        closing = stream_closing if stream_closing is not None else StreamClosing()  # (one per lifespan)
        if services is not None:
            yield state_of(services, closing)
            closing.close_all()
            return
        async with bootstrap.started(
            settings,
            clock=clock,
            transport=transport,
            metrics=metrics,
            run_timer=run_timer,
            run_worker=run_worker,
            freeze_loaded=True,  # and every event loaded from now on (a background catch-up)
            before_serving=before_serving,
        ) as started:
            # What start-up built lives as long as the process: keep it out of the cyclic
            # collector, whose full passes over it stalled the event loop for ~50 ms at a time.
            gc.freeze()
            yield state_of(started, closing)
            # (Reached after the server closed the connections; streams served without `serve`'s
            # signal hook, e.g. over ASGI in tests, end here before the services stop under them.)
            closing.close_all()

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
    install_log_redaction()
    app.add_middleware(WebhookTiming, metrics_of=lambda: metrics)

    # One way to mount every transport: its include(app). Routes match in order, so the hot and the
    # cheap ones go first: the webhook route (put first by its include), then ops' /healthz, /readyz
    # and /metrics (probes every few seconds; after the ~50 others, /healthz served half as many a second).
    transports = (
        *(webhooks, ops, events, control, rundown, deck, deliveries),
        *(stage_api, zoom, attendance, chat, web_routes),
    )
    for module in (*transports, action_pages):
        module.include(app)
    openapi.install(app)  # after every route: documents the statuses they answer
    return app
