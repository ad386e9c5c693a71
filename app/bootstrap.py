"""The composition root: the only place the service's parts are built, wired, started and stopped.

`started()` builds every part in order, gives each its collaborators and hooks as constructor
arguments, starts them, and yields the frozen `Services`. Each part's stop is pushed on an
`AsyncExitStack` as the part is built, so stopping runs in the reverse order by construction: what
was built last (and depends on the rest) stops first, and the database closes last. The web app
(app/main.py), the CLI, the rehearsal and the tests all build the service here.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from app.attendance.readiness import Readiness
from app.attendance.service import AttendanceService
from app.cluster.lease import Lease, exit_on_lost
from app.cluster.member import INBOX_NOTICE, Member
from app.cluster.notify import Announcer
from app.cluster.stream_access import StreamGuard
from app.cluster.writes import SharedWrites
from app.core.config import Settings, env_value
from app.core.metrics import Metrics
from app.core.vocabulary import FireOutcome, InstanceRole
from app.engine.broadcast import Broadcaster
from app.engine.cache import EventCache, Loaded
from app.engine.clock import Clock, SystemClock
from app.engine.compose import Buttons
from app.engine.delivery import DeliveryWorker
from app.engine.dispatch import Dispatch
from app.engine.firing import FireListener, Firing
from app.engine.lookups import Lookups
from app.engine.service import RunEngine
from app.engine.timer import CueTimer
from app.engine.writer import Writer
from app.run.action_links import ActionLinks
from app.run.chat_clicks import ChatClicks
from app.run.schedule_worker import BoundedParser
from app.run.service import RunService
from app.services import Services
from app.stage.presence import StagePresence
from app.store.db import SerialSqlite, create_engine, is_sqlite, migrate, normalise_url
from app.zoom.actions import ZoomActions, tell_hosts
from app.zoom.service import ZoomSetup
from integrations.notifiers.outcome import DeliveryOutcome
from integrations.notifiers.pacing import SlackPacer
from integrations.zoom import ZoomClient
from schedules.model import Schedule

DeliveryObserver = Callable[[Any, dict[str, Any]], None]  # (delivery row, the outcome stored for it)


@dataclass(frozen=True)
class Observers:
    """A caller's own observers (the rehearsal's transcript), heard after the service's own."""

    on_fire: Sequence[FireListener] = ()
    on_delivery: Sequence[DeliveryObserver] = ()


def new_instance_id() -> str:
    """This process among the instances on one database (logs, /readyz): host name and process id,
    with a random tail so a restarted container with the same pid is still a new instance."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@contextlib.asynccontextmanager
async def started(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    metrics: Metrics | None = None,
    env_overrides: Mapping[str, str] | None = None,
    zoom_client_factory: Callable[[], ZoomClient] | None = None,
    on_lease_lost: Callable[[str], None] = exit_on_lost,
    observers: Observers = Observers(),
    run_timer: bool = True,
    run_worker: bool = True,
    freeze_loaded: bool = False,
    instance_id: str | None = None,
    wall: Callable[[], float] = time.time,
    drafts: bool = False,
    before_serving: Callable[[Services], Awaitable[None]] | None = None,
) -> AsyncIterator[Services]:
    """Migrate the database, build and start every part, restore every event and (when asked)
    arm the timer and run the delivery worker; stop them all on exit.

    `wall` is real time in Unix seconds, for the chat tools' signature windows (a rehearsal's fast
    clock would make five minutes a fraction of a second); tests pass their own.

    `before_serving(services)` runs once every event is restored, before the timer, the worker or
    the inbox start: nothing has fired or been sent yet (`serve` checks stored events' targets
    there); if it raises, nothing starts and the error goes to the caller.

    `run_timer`/`run_worker` False (the CLI, tests): nothing fires or sends unless asked. With
    both on a PostgreSQL database, this instance joins the others there and dispatches only while
    it holds the lease.

    `drafts` (only `showcaller rehearse --drafts`; never `serve`) loads an event whose targets'
    catalogs still have drafts and writes each draft marked as one: the catalog search every part
    below gets says so, and the live one (drafts False) cannot read a draft at all."""
    clock = clock or SystemClock()
    catalogs = settings.catalog_search(drafts=drafts)
    metrics = metrics or Metrics()
    instance_id = instance_id or new_instance_id()
    quarantined: dict[str, str] = {}  # filled by the engine at start-up; /readyz lists it
    async with contextlib.AsyncExitStack() as stack:
        # -- infrastructure: the database and the HTTP client close last --
        await migrate(settings.database_url)
        db = create_engine(settings.database_url)
        stack.push_async_callback(db.dispose)
        # SQLite: the firing transaction runs on a thread of its own, a batch of statements per hop
        # (app/engine/firing.py); stopped after the timer and the engine, once their calls are done.
        serial = SerialSqlite(settings.database_url) if is_sqlite(settings.database_url) else None
        if serial is not None:
            stack.push_async_callback(serial.finish)
        zoom_hooks = metrics.zoom_hooks(settings.zoom_api_base, settings.zoom_oauth_base)
        http = httpx.AsyncClient(timeout=settings.http_timeout_seconds, transport=transport, event_hooks=zoom_hooks)
        stack.push_async_callback(http.aclose)
        # Several instances may serve one PostgreSQL database; only the lease holder dispatches.
        shared = SharedWrites(instance_id) if db.dialect.name == "postgresql" else None
        cluster = shared is not None and run_timer and run_worker
        lease = Lease(settings.database_url, on_lost=on_lease_lost) if cluster else None
        if lease is not None:
            stack.push_async_callback(lease.close)  # after the timer and worker stopped: a standby takes over now
        announcer = Announcer(db, shared) if shared is not None else None
        if announcer is not None:
            stack.push_async_callback(announcer.close)

        # -- streams: this instance's own, and the others' through the database --
        broadcaster = Broadcaster()

        def changed(event_id: str, reason: str) -> None:
            """Something outside the engine changed an event: tell this instance's streams, then the others'."""
            broadcaster.publish(event_id, reason)
            if announcer is not None:
                announcer.add(event_id, reason)

        # SQLite: `showcaller token revoke` is another process that cannot tell this one, so poll
        # often; PostgreSQL: every revocation sends a notice, the poll only backs it up.
        sqlite = normalise_url(settings.database_url).startswith("sqlite")
        streams = StreamGuard(lambda: db, poll=0.5 if sqlite else 5.0)
        stack.push_async_callback(streams.stop)
        presence = StagePresence(
            lambda: db, instance_id, on_change=lambda event_id: broadcaster.publish(event_id, "stage_presence")
        )
        stack.push_async_callback(presence.stop)  # (its rows leave the table now, not at their expiry)

        # -- what happens when a cue fires, in order --
        # 1. a hook of the cue's kind may rewrite it, before anything is written;
        # 2. the firing transaction commits (a dispatcher's fence checked first, deliveries inserted);
        # 3. the deliveries it claimed go to the worker at once (dispatch.hand_off, once dispatching);
        # 4. each listener hears (event id, cue row, outcome), before the re-plan and the broadcast;
        # 5. the plan changed: the timer re-arms (with several instances, on the dispatcher only).
        async def readiness_check(event_id: str, row: Any) -> dict[str, Any] | None:
            return await readiness.hook(event_id, row)  # who is missing, just before it goes out

        def kick_worker(_event_id: str, _row: Any, outcome: FireOutcome) -> None:
            if outcome != FireOutcome.SKIPPED:
                worker.kick()  # deliveries start as soon as a cue commits

        fire_hooks = {"readiness_check": readiness_check}
        counted = metrics.on_cue(  # (lookups is built just below, with the engine: read when a cue fires)
            clock, parked=lambda e: lookups.targets(e).problems, target_kind=lambda e, t: lookups.target_kind(e, t)
        )
        fire_listeners = (kick_worker, counted, *observers.on_fire)

        def plan_changed() -> None:
            if cluster:
                member.rearm_if_dispatching()
            else:
                timer.request_rearm()

        dispatch = Dispatch()  # begun by `member` once this instance may dispatch

        def resolve_targets(schedule: Schedule) -> dict[str, str]:
            return lookups.targets(schedule.event.id).problems  # targets that cannot be used: parked

        # -- the engine: the event cache, the writer (the lock and every transaction), the firing --
        async def replan(event_id: str, item: Loaded, stored: str | None) -> tuple[bool, bool] | None:
            return await writer.catch_up(event_id, item, stored)  # catch-up re-plans under the writer's lock

        cache = EventCache(
            db,
            clock,
            replan=replan,
            on_change=plan_changed,
            resolve_targets=resolve_targets,
            timer_grace=timedelta(seconds=settings.timer_over_grace_seconds),
            quarantined=quarantined,
            max_schedule_bytes=settings.max_schedule_bytes,
            freeze_loaded=freeze_loaded,
            inline_events=settings.startup_inline_events,
            catalogs=catalogs,
        )
        writer = Writer(
            db,
            clock,
            cache,
            broadcaster,
            on_change=plan_changed,
            max_messages_per_action=settings.max_messages_per_action,
            shared=shared,
        )
        firing = Firing(
            db,
            clock,
            cache,
            writer,
            broadcaster,
            give_up=timedelta(minutes=settings.delivery_give_up_minutes),
            resolve_targets=resolve_targets,
            hooks=fire_hooks,
            listeners=fire_listeners,
            on_change=plan_changed,
            dispatch=dispatch,
            serial=serial,
        )
        engine = RunEngine(cache, writer, firing)  # the facade the run service, timer and routes call
        stack.push_async_callback(engine.stop)
        lookups = Lookups(engine, db, settings.public_url, env_overrides or {})

        # -- when a delivery finishes: metrics and logs, then the caller's observers --
        on_delivery = (metrics.on_delivery(clock, lookups.target_kind), *observers.on_delivery)

        def delivered(row: Any, values: dict[str, Any]) -> None:
            for observe in on_delivery:
                observe(row, values)

        async def action_buttons(event_id: str, target_id: str, delivery_id: str) -> Buttons:
            return await action_links.buttons(event_id, target_id, delivery_id)  # built below, with the run service

        async def zoom_action(event_id: str, schedule: Schedule, cue: Any) -> DeliveryOutcome:
            return await zoom_actions.send(event_id, schedule, cue)  # built with the Zoom clients, below

        worker = DeliveryWorker(
            db,
            http,
            clock,
            schedules=lookups.schedule,
            targets=lookups.targets,
            links=lookups.event_links,
            buttons=action_buttons,
            pacer=SlackPacer(enabled=settings.slack_pacing),
            timeout=settings.http_timeout_seconds,
            on_change=changed,
            skip_events=quarantined,
            on_outcome=delivered,
            prepare=engine.ensure_loaded,
            dispatch=dispatch,
            stop_grace=settings.shutdown_grace_seconds,
            zoom=zoom_action,
            catalogs=catalogs,
        )
        run = RunService(
            engine,
            undo_window=timedelta(seconds=settings.undo_window_seconds),
            forget_targets=lookups.forget_targets,
            catalogs=catalogs,
        )
        action_links = ActionLinks(
            db,
            run,
            public_url=settings.public_url,
            lifetime=timedelta(minutes=settings.action_link_minutes),
            catalogs=catalogs,
        )
        chat_clicks = ChatClicks(action_links, lookups, http, wall=wall)
        stack.push_async_callback(chat_clicks.stop)  # clicks under way finish before the database closes
        timer = CueTimer(engine, worker, clock)
        stack.push_async_callback(timer.stop)

        # -- attendance: webhooks stored, the inbox processed, readiness follow-ups posted --
        zoom_clients = zoom_client_factory or (None if settings.sandbox else _zoom_client_factory(settings, http))
        # The @zoom pseudo-target: fired Zoom actions go to the event's meeting through these clients.
        zoom_setup = ZoomSetup(db, settings, clock.now, client_factory=zoom_clients, http=http, event_hooks=zoom_hooks)

        async def zoom_failed(event_id: str, cue: Any, reason: str) -> None:
            await tell_hosts(engine, event_id, cue, reason)  # their targets, and the console through the run log

        zoom_actions = ZoomActions.in_database(
            db, zoom_setup.access, lambda name: (env_overrides or {}).get(name) or env_value(name), zoom_failed
        )

        async def attendance_changed(event_id: str) -> None:
            changed(event_id, "attendance")  # this instance's streams and the other instances'
            await readiness.follow_up(event_id)

        def webhook_stored() -> None:
            if cluster and announcer is not None:  # wake the dispatcher's inbox processor, wherever that runs
                announcer.add(INBOX_NOTICE, "inbox")

        attendance = AttendanceService(
            db, clock.now, client_factory=zoom_clients, on_change=attendance_changed, on_stored=webhook_stored
        )
        stack.push_async_callback(attendance.stop)
        readiness = Readiness(attendance, engine)

        # -- this instance's role: single, or dispatcher/standby among several --
        member = Member(
            db=db,
            database_url=settings.database_url,
            instance_id=instance_id,
            lease=lease,
            engine=engine,
            timer=timer,
            worker=worker,
            dispatch=dispatch,
            attendance=attendance,
            lookups=lookups,
            broadcaster=broadcaster,
            streams=streams,
            metrics=metrics,
        )
        stack.push_async_callback(member.stop)
        # Read at scrape time: 1 on any instance that fires cues and sends deliveries (standalone too).
        metrics.watch_dispatcher(lambda: member.role != InstanceRole.STANDBY and all(member.running().values()))
        metrics.watch_targets(
            lambda: ((t.id, t.kind.value) for e in engine.event_ids() for t in lookups.schedule(e).targets)
        )

        # Small plain uploads are parsed on the loop, others in warm child processes (started on
        # the first such upload), stopped at exit.
        schedule_parser = BoundedParser(
            settings.schedule_parse_seconds,
            settings.schedule_parse_memory_mb,
            settings.schedule_parse_workers,
            catalogs=catalogs,
        )
        stack.callback(schedule_parser.close)

        services = Services(
            settings=settings,
            clock=clock,
            instance_id=instance_id,
            db=db,
            http=http,
            metrics=metrics,
            broadcaster=broadcaster,
            engine=engine,
            lookups=lookups,
            run=run,
            worker=worker,
            timer=timer,
            attendance=attendance,
            readiness=readiness,
            member=member,
            streams=streams,
            presence=presence,
            schedule_parser=schedule_parser,
            quarantined=quarantined,
            changed=changed,
            zoom_client_factory=zoom_clients,
            action_links=action_links,
            chat_clicks=chat_clicks,
            catalogs=catalogs,
        )
        # -- start: restore every event, then fire and send (or stand by) --
        await engine.start()
        await lookups.refresh_links()
        if before_serving is not None:
            await before_serving(services)
        if cluster:
            await member.join()  # the dispatcher processes the inbox; a standby only stores webhooks
        else:
            await attendance.start()
            await member.start_single(run_timer=run_timer, run_worker=run_worker)
        yield services


def _zoom_client_factory(settings: Settings, http: httpx.AsyncClient) -> Callable[[], ZoomClient]:
    """Clients for the real Zoom on the shared HTTP client (reconciliation after a meeting): one
    client, so one cached OAuth token and one pacer for the whole process."""
    made: list[ZoomClient] = []

    def client() -> ZoomClient:
        from app.zoom.access import real_zoom_client

        if not made:
            made.append(real_zoom_client(settings, http))
        return made[0]

    return client
