"""The running service's parts, built once and wired together (used by the web app and rehearsals)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.cluster.lease import Lease, exit_on_lost
from app.cluster.notify import Announcer, ChangeListener
from app.cluster.poll import follow_other_processes
from app.cluster.writes import ACCESS_NOTICE, PRESENCE_NOTICE, SharedWrites
from app.config import Settings, env_value
from app.core.vocabulary import InstanceRole
from app.engine.broadcast import Broadcaster
from app.engine.clock import Clock, SystemClock
from app.engine.delivery import DeliveryWorker
from app.engine.service import RunEngine
from app.engine.targets import Resolved, resolve_targets
from app.engine.timer import CueTimer
from app.metrics import Metrics
from app.run.service import RunService
from app.stage.presence import StagePresence
from app.store.db import create_engine, migrate, normalise_url
from app.store.tables import zoom_objects
from app.stream_access import StreamGuard
from integrations.notifiers.pacing import SlackPacer

log = logging.getLogger("showcaller")
INBOX_NOTICE = "*inbox"  # not an event id (those are slugs): "a Zoom webhook was stored"


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
    # This process among the instances on one database (logs, /readyz): host name and process id,
    # with a random tail so a restarted container with the same pid is still a new instance.
    instance_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    # "single": the only process on its database (SQLite); on PostgreSQL, "dispatcher" while this
    # instance holds the lease (fires cues, sends deliveries), "standby" while it waits for it.
    role: InstanceRole = InstanceRole.SINGLE
    on_lease_lost: Callable[[str], None] = exit_on_lost
    lease: Lease | None = None
    listener: ChangeListener | None = None
    _announcer: Announcer | None = None
    _targets: dict[str, Resolved] = field(default_factory=dict)
    _zoom: Any = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    # Open event streams (ended when their token's access ends) and presenter views, shared with
    # the other instances through the database.
    streams: StreamGuard = field(init=False)
    presence: StagePresence = field(init=False)

    def __post_init__(self) -> None:
        # SQLite: `showcaller token revoke` is another process that cannot tell this one, so poll
        # often; PostgreSQL: every revocation sends a notice, the poll only backs it up.
        sqlite = normalise_url(self.settings.database_url).startswith("sqlite")
        self.streams = StreamGuard(lambda: self.db, poll=0.5 if sqlite else 5.0)  # type: ignore[arg-type,return-value]  # set by start()
        self.presence = StagePresence(
            lambda: self.db,  # type: ignore[arg-type,return-value]  # set by start()
            self.instance_id,
            on_change=lambda event_id: self.broadcaster.publish(event_id, "stage_presence"),
        )

    async def start(self, *, run_timer: bool = True, run_worker: bool = True) -> None:
        """Migrate the database, restore every event and arm the timer."""
        await migrate(self.settings.database_url)
        self.db = create_engine(self.settings.database_url)
        shared = SharedWrites(self.instance_id) if self.db.dialect.name == "postgresql" else None
        # Several instances may serve one PostgreSQL database; only one of them dispatches.
        cluster = shared is not None and run_timer and run_worker
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
            max_messages_per_action=self.settings.max_messages_per_action,
            shared=shared,
            inline_events=self.settings.startup_inline_events,
        )
        if shared is not None:
            self._announcer = Announcer(self.db, shared)
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
            on_change=self.changed,
            skip_events=self.quarantined,
            on_outcome=self.metrics.on_delivery(self.clock, self.target_kind),
            prepare=self.engine.ensure_loaded,
        )
        self.run = RunService(
            self.engine,
            undo_window=timedelta(seconds=self.settings.undo_window_seconds),
            forget_targets=self.forget_targets,
        )
        self.timer = CueTimer(self.engine, self.worker, self.clock)
        # A standby's timer is not running: only the dispatcher re-arms (a standby's changes reach it
        # as notices).
        self.engine.on_change = self._rearm_if_dispatching if cluster else self.timer.request_rearm
        self.engine.listeners.append(
            self.metrics.on_cue(self.clock, parked=lambda e: self.targets(e).problems, target_kind=self.target_kind)
        )
        self.metrics.watch_streams(self.broadcaster, lambda: self.hub_of())
        self.metrics.watch_dispatcher(lambda: self.role != InstanceRole.STANDBY and all(self.running().values()))
        self.metrics.watch_targets(
            lambda: ((t.id, t.kind.value) for e in self.engine.event_ids() for t in self.schedule(e).targets)
        )
        await self.engine.start()
        if self.zoom_client_factory is None and not self.settings.sandbox:
            self.zoom_client_factory = self._zoom_client
        await self.refresh_links()
        from app.attendance import wiring as attendance

        await attendance.start(self, process=not cluster)
        if cluster:
            await self._join_cluster()
            return
        if run_timer:
            self.timer.start()
            await self.timer.rearm()
        if run_worker:
            self._tasks.append(asyncio.create_task(self.worker.run(), name="delivery-worker"))
            self.engine.hand_off = self.worker  # a fired cue's deliveries go out straight after the commit
            self.worker.kick()
        if run_timer and run_worker and (poll := await follow_other_processes(self)):  # SQLite: a local apply/load
            self._tasks.append(poll)

    # -- several instances on one PostgreSQL database (docs/reliability.md, "Several instances") ----

    async def _join_cluster(self) -> None:
        """Follow other instances' changes, then dispatch now if the lease is free, else stand by."""
        url = self.settings.database_url
        self.listener = ChangeListener(url, self.instance_id, self._followed, self._resync)
        await self.listener.start()
        # Changes committed between loading the events and listening were announced to nobody.
        for event_id in await self.engine.refresh():
            self.forget_targets(event_id)
        # A webhook stored here wakes the dispatcher's inbox processor, wherever that runs.
        kick = self.attendance.writer.on_commit

        def stored() -> None:
            kick()
            if self._announcer is not None:
                self._announcer.add(INBOX_NOTICE, "inbox")

        self.attendance.writer.on_commit = stored
        self.lease = Lease(url, on_lost=self.on_lease_lost)
        self.role = InstanceRole.STANDBY
        if await self.lease.try_acquire():
            await self._dispatch()  # the state was loaded just now, under this lease
        else:
            log.info("instance %s is a standby: another instance dispatches cues and deliveries", self.instance_id)
        self._tasks.append(asyncio.create_task(self.lease.run(self._take_over), name="dispatcher-lease"))

    async def _take_over(self) -> None:
        """The previous dispatcher is gone: reload everything it may have changed, then dispatch."""
        log.warning("instance %s took over as the dispatcher; reloading state from the database", self.instance_id)
        await self.engine.start()
        await self._resync()
        await self._dispatch()

    async def _dispatch(self) -> None:
        from app.attendance import wiring as attendance

        self.role = InstanceRole.DISPATCHER
        self.metrics.takeovers.inc()
        log.info("instance %s is the dispatcher: it fires cues and sends deliveries", self.instance_id)
        self.timer.start()
        await self.timer.rearm()
        # The worker first releases the delivery leases the previous dispatcher left (it is dead:
        # PostgreSQL gave its lease away); those messages go again under their own ids.
        self.worker.fence = self.engine.fence = self.lease.fence
        self.engine.hand_off = self.worker  # a fired cue's deliveries go out straight after the commit
        self._tasks.append(asyncio.create_task(self.worker.run(), name="delivery-worker"))
        self.worker.kick()
        await attendance.process(self)

    async def _followed(self, event_id: str, reason: str) -> None:
        """Another instance changed `event_id`: reload it and tell this instance's streams."""
        if event_id == ACCESS_NOTICE:  # a token revoked or changed: end the streams it no longer opens
            self.streams.kick()
            return
        if event_id.startswith(PRESENCE_NOTICE):  # presenter views came or went there: consoles reload
            self.broadcaster.publish(event_id.removeprefix(PRESENCE_NOTICE), reason)
            return
        if event_id == INBOX_NOTICE:
            if self.role == InstanceRole.DISPATCHER:
                self.attendance.processor.kick()
            return
        if reason in ("zoom", "schedule"):  # links are refreshed on every load and apply
            await self.refresh_links()
        if event_id in await self.engine.refresh([event_id]):
            self.forget_targets(event_id)
        if event_id in self.engine.event_ids():  # (not once removed or quarantined: it has no state to show)
            self.broadcaster.publish(event_id, reason)
        self._wake_dispatcher()

    async def _resync(self) -> None:
        """Notices may have been missed (listener reconnected, lease taken over): reload every event."""
        self.streams.kick()
        for event_id in await self.engine.refresh():
            self.forget_targets(event_id)
        await self.refresh_links()
        for event_id in self.engine.event_ids():
            self.broadcaster.publish(event_id, "resync")
        self._wake_dispatcher()

    def _wake_dispatcher(self) -> None:
        if self.role == InstanceRole.DISPATCHER:
            self.timer.request_rearm()
            self.worker.kick()

    def _rearm_if_dispatching(self) -> None:
        if self.role == InstanceRole.DISPATCHER:
            self.timer.request_rearm()

    def changed(self, event_id: str, reason: str) -> None:
        """Something outside the engine changed an event (a delivery outcome, attendance): tell this
        instance's streams now, and the other instances' through the database."""
        self.broadcaster.publish(event_id, reason)
        if self._announcer is not None:
            self._announcer.add(event_id, reason)

    async def stop(self) -> None:
        """Stop background work and close connections."""
        from app.attendance import wiring as attendance

        await attendance.stop(self)
        await self.streams.stop()
        await self.presence.stop()  # (its rows leave the table now, not at their expiry)
        if self.listener is not None:
            await self.listener.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.engine:
            await self.engine.stop()
        if self.timer:
            self.timer.shutdown()
            await self.timer.settle()
        if self._announcer is not None:
            await self._announcer.close()
        if self.lease is not None:
            await self.lease.close()  # after the timer and worker stopped: a standby takes over now
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

    def cluster_status(self) -> dict[str, Any]:
        """This instance's part (for /readyz): its id, its role, and whether it follows changes."""
        status: dict[str, Any] = {"instance": self.instance_id, "role": self.role}
        if self.listener is not None:
            status["listening"] = self.listener.connected
        return status

    def forget_targets(self, event_id: str) -> None:
        self._targets.pop(event_id, None)

    def event_links(self, event_id: str) -> list[tuple[str, str]]:
        from app.public_url import console_links

        return [*console_links(self.settings.public_url, event_id), *self.links.get(event_id, [])]

    async def refresh_links(self) -> None:
        """Cache each event's Zoom join link for messages."""
        async with self.db.begin() as conn:
            rows = (await conn.execute(select(zoom_objects))).all()
        self.links = {row.event_id: [("Join Zoom", row.join_url)] for row in rows if row.join_url}
