"""The running service's parts, built once and wired together (used by the web app and rehearsals)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings, env_value
from app.engine.broadcast import Broadcaster
from app.engine.clock import Clock, SystemClock
from app.engine.delivery import DeliveryWorker
from app.engine.service import RunEngine
from app.engine.targets import Resolved, resolve_targets
from app.engine.timer import CueTimer
from app.metrics import Metrics
from app.run.service import RunService
from app.store.db import create_engine, migrate
from app.store.tables import zoom_objects
from integrations.notifiers.pacing import SlackPacer

log = logging.getLogger("showcaller")


@dataclass
class Runtime:
    """Database, HTTP client, engine, delivery worker and timer of one process."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.AsyncBaseTransport | None = None
    db: AsyncEngine | None = None
    http: httpx.AsyncClient | None = None
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    engine: RunEngine | None = None
    run: RunService | None = None
    worker: DeliveryWorker | None = None
    timer: CueTimer | None = None
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    zoom_client_factory: Callable[[], Any] | None = None  # builds a ZoomClient (reconciliation, apply)
    attendance: Any = None
    readiness: Any = None
    env_overrides: dict[str, str] = field(default_factory=dict)
    # Events that could not be loaded at start-up: id -> reason (the engine fills it; /readyz lists it).
    quarantined: dict[str, str] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)
    hub_of: Callable[[], Any] = lambda: None  # the public agenda's stream hub, once the web app has one
    _targets: dict[str, Resolved] = field(default_factory=dict)
    _zoom: Any = None
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def start(self, *, run_timer: bool = True, run_worker: bool = True) -> None:
        """Migrate the database, restore every event and arm the timer."""
        await migrate(self.settings.database_url)
        self.db = create_engine(self.settings.database_url)
        zoom_hooks = self.metrics.zoom_hooks(self.settings.zoom_api_base, self.settings.zoom_oauth_base)
        self.http = httpx.AsyncClient(
            timeout=self.settings.http_timeout_seconds, transport=self.transport, event_hooks=zoom_hooks
        )
        self.engine = RunEngine(
            self.db,
            self.clock,
            self.broadcaster,
            give_up=timedelta(minutes=self.settings.delivery_give_up_minutes),
            resolve_targets=lambda schedule: self.targets(schedule.event.id).problems,
            timer_grace=timedelta(seconds=self.settings.timer_over_grace_seconds),
            quarantined=self.quarantined,
            max_schedule_bytes=self.settings.max_schedule_bytes,
        )
        pacer = SlackPacer(enabled=self.settings.slack_pacing)
        self.worker = DeliveryWorker(
            self.db,
            self.http,
            self.clock,
            schedules=self.schedule,
            targets=self.targets,
            links=self.event_links,
            pacer=pacer,
            timeout=self.settings.http_timeout_seconds,
            on_change=lambda event_id, reason: self.broadcaster.publish(event_id, reason),
            skip_events=self.quarantined,
            on_outcome=self.metrics.on_delivery(self.clock, self.target_kind),
        )
        self.run = RunService(
            self.engine,
            undo_window=timedelta(seconds=self.settings.undo_window_seconds),
            forget_targets=self.forget_targets,
        )
        self.timer = CueTimer(self.engine, self.worker, self.clock)
        self.engine.on_change = self.timer.request_rearm
        self.engine.listeners.append(self.metrics.on_cue(self.clock))
        self.metrics.watch_streams(self.broadcaster, lambda: self.hub_of())
        await self.engine.start()
        if self.zoom_client_factory is None and not self.settings.sandbox:
            self.zoom_client_factory = self._zoom_client
        await self.refresh_links()
        from app.attendance import wiring as attendance

        await attendance.start(self)
        if run_timer:
            self.timer.start()
            await self.timer.rearm()
        if run_worker:
            self._tasks.append(asyncio.create_task(self.worker.run(), name="delivery-worker"))
            self.worker.kick()

    async def stop(self) -> None:
        """Stop background work and close connections."""
        from app.attendance import wiring as attendance

        await attendance.stop(self)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.timer:
            self.timer.shutdown()
            await self.timer.settle()
        if self.http:
            await self.http.aclose()
        if self.db:
            await self.db.dispose()

    def _zoom_client(self):
        """A client for the real Zoom on the shared HTTP client (reconciliation after a meeting)."""
        from app.zoom.access import zoom_pacer
        from integrations.zoom import ZoomClient

        if self._zoom is None:  # one client, so one cached OAuth token and one pacer for the whole process
            s = self.settings
            self._zoom = ZoomClient(
                self.http,  # type: ignore[arg-type]  # Zoom mode: credentials were checked
                api_base=s.zoom_api_base,
                oauth_base=s.zoom_oauth_base,
                account_id=s.zoom_account_id,  # type: ignore[arg-type]  # Zoom mode: credentials were checked
                client_id=s.zoom_client_id,  # type: ignore[arg-type]  # Zoom mode: credentials were checked
                client_secret=s.zoom_client_secret.get_secret_value(),
                pacer=zoom_pacer(s),
            )
        return self._zoom

    def schedule(self, event_id: str):
        return self.engine.loaded(event_id).schedule

    def targets(self, event_id: str) -> Resolved:
        """Resolved targets of an event (env read once per load of its schedule)."""
        if event_id not in self._targets:
            lookup = lambda name: self.env_overrides.get(name) or env_value(name)  # noqa: E731
            self._targets[event_id] = resolve_targets(self.schedule(event_id), lookup)
        return self._targets[event_id]

    def target_kind(self, event_id: str, target_id: str) -> str:
        """A target's kind (slack, teams, ...) for metrics; "unknown" if the event no longer has it."""
        try:
            target = next((t for t in self.schedule(event_id).targets if t.id == target_id), None)
        except Exception:  # the event was removed meanwhile
            return "unknown"
        return target.kind.value if target is not None else "unknown"

    def running(self) -> dict[str, bool]:
        """Whether the cue timer and the delivery worker are running (for /readyz)."""
        worker = next((t for t in self._tasks if t.get_name() == "delivery-worker"), None)
        return {
            "timer": bool(self.timer and self.timer.scheduler.running),
            "delivery_worker": worker is not None and not worker.done(),
        }

    def forget_targets(self, event_id: str) -> None:
        self._targets.pop(event_id, None)

    def event_links(self, event_id: str) -> list[tuple[str, str]]:
        console = ("Host console", f"{self.settings.public_url.rstrip('/')}/console/{event_id}")
        return [console, *self.links.get(event_id, [])]

    async def refresh_links(self) -> None:
        """Cache each event's Zoom join link for messages."""
        async with self.db.begin() as conn:
            rows = (await conn.execute(select(zoom_objects))).all()
        self.links = {row.event_id: [("Join Zoom", row.join_url)] for row in rows if row.join_url}
