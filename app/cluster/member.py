"""This process's role among the instances on one database: single, dispatcher or standby.

A single instance (SQLite, or a CLI command) starts its timer and worker at once. On PostgreSQL,
several instances may serve one database (docs/reliability.md, "Several instances"): each follows
the others' changes, and only the one holding the lease fires cues and sends deliveries; a standby
takes over when the lease falls free. Every collaborator is given here by the composition root
(app/bootstrap.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.service import AttendanceService
from app.cluster.lease import Lease
from app.cluster.notify import ChangeListener
from app.cluster.poll import ChangePoll
from app.cluster.stream_access import StreamGuard
from app.cluster.writes import ACCESS_NOTICE, PRESENCE_NOTICE
from app.core.metrics import Metrics
from app.core.tasks import cancel_and_wait
from app.core.vocabulary import InstanceRole
from app.engine.broadcast import Broadcaster
from app.engine.delivery import DeliveryWorker
from app.engine.dispatch import Dispatch
from app.engine.lookups import Lookups
from app.engine.service import RunEngine
from app.engine.timer import CueTimer

log = logging.getLogger("showcaller")
INBOX_NOTICE = "*inbox"  # not an event id (those are slugs): "a Zoom webhook was stored"
WORKER_TASK = "delivery-worker"


class Member:
    """Starts this instance's timer and worker when it may dispatch, and follows the others."""

    def __init__(
        self,
        *,
        db: AsyncEngine,
        database_url: str,
        instance_id: str,
        lease: Lease | None,
        engine: RunEngine,
        timer: CueTimer,
        worker: DeliveryWorker,
        dispatch: Dispatch,
        attendance: AttendanceService,
        lookups: Lookups,
        broadcaster: Broadcaster,
        streams: StreamGuard,
        metrics: Metrics,
    ) -> None:
        """`lease` None: the only instance on its database (role "single")."""
        self.db, self.database_url, self.instance_id, self.lease = db, database_url, instance_id, lease
        self.engine, self.timer, self.worker, self.dispatch = engine, timer, worker, dispatch
        self.attendance, self.lookups, self.broadcaster = attendance, lookups, broadcaster
        self.streams, self.metrics = streams, metrics
        # "single": the only process on its database (SQLite); on PostgreSQL, "dispatcher" while this
        # instance holds the lease (fires cues, sends deliveries), "standby" while it waits for it.
        self.role = InstanceRole.SINGLE
        self.listener: ChangeListener | None = None
        self._poll: ChangePoll | None = None  # SQLite: looks for other processes' changes
        self._tasks: list[asyncio.Task] = []

    # -- one instance ---------------------------------------------------------------------------

    async def start_single(self, *, run_timer: bool, run_worker: bool) -> None:
        """The only instance: fire cues and send deliveries from now on (each when asked)."""
        if run_timer:
            self.timer.start()
            await self.timer.rearm()
        if run_worker:
            self._tasks.append(asyncio.create_task(self.worker.run(), name=WORKER_TASK))
            self.dispatch.begin(self.worker)  # a fired cue's deliveries go out straight after the commit
            self.worker.kick()
        if run_timer and run_worker and self.db.dialect.name == "sqlite":
            # A local `apply` or `load` is another process: look for its changes (app/cluster/poll.py).
            self._poll = ChangePoll(self.db, self.follow_other_process, known=self._schedule_mark)
            await self._poll.start()

    def _schedule_mark(self, event_id: str) -> tuple | None:
        """The change marker of the schedule this process has in memory for `event_id` (None: none)."""
        item = self.engine.cache.get(event_id)
        return (item.schedule_hash,) if item is not None else None

    async def follow_other_process(self, event_id: str, reason: str) -> None:
        """What a SQLite `serve` does with another process's change: what it does with a PostgreSQL
        notice (reload the event and its links, tell the streams), then re-arm and wake the worker."""
        # Under the engine's lock: on SQLite its writes do not re-read the database first, so a
        # reload must not interleave with one (it could put back what the write just replaced).
        async with self.engine.lock:
            await self._followed(event_id, reason)
        self.timer.request_rearm()  # for the event's cues
        self.worker.kick()

    # -- several instances on one PostgreSQL database -------------------------------------------

    async def join(self) -> None:
        """Follow other instances' changes, then dispatch now if the lease is free, else stand by."""
        assert self.lease is not None, "join() is for an instance built with a lease"
        self.listener = ChangeListener(self.database_url, self.instance_id, self._followed, self._resync)
        await self.listener.start()
        # Changes committed between loading the events and listening were announced to nobody.
        for event_id in await self.engine.refresh():
            self.lookups.forget_targets(event_id)
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
        assert self.lease is not None
        self.role = InstanceRole.DISPATCHER
        self.metrics.takeovers.inc()
        log.info("instance %s is the dispatcher: it fires cues and sends deliveries", self.instance_id)
        self.timer.start()
        await self.timer.rearm()
        # The worker first releases the delivery leases the previous dispatcher left (it is dead:
        # PostgreSQL gave its lease away); those messages go again under their own ids.
        self.dispatch.begin(self.worker, self.lease.fence)
        self._tasks.append(asyncio.create_task(self.worker.run(), name=WORKER_TASK))
        self.worker.kick()
        await self.attendance.start()  # the dispatcher processes the inbox

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
            await self.lookups.refresh_links()
        if event_id in await self.engine.refresh([event_id]):
            self.lookups.forget_targets(event_id)
        if event_id in self.engine.event_ids():  # (not once removed or quarantined: it has no state to show)
            self.broadcaster.publish(event_id, reason)
        self._wake_dispatcher()

    async def _resync(self) -> None:
        """Notices may have been missed (listener reconnected, lease taken over): reload every event."""
        self.streams.kick()
        for event_id in await self.engine.refresh():
            self.lookups.forget_targets(event_id)
        await self.lookups.refresh_links()
        for event_id in self.engine.event_ids():
            self.broadcaster.publish(event_id, "resync")
        self._wake_dispatcher()

    def _wake_dispatcher(self) -> None:
        if self.role == InstanceRole.DISPATCHER:
            self.timer.request_rearm()
            self.worker.kick()

    def rearm_if_dispatching(self) -> None:
        """The engine's change hook with several instances: a standby's timer is not running (only
        the dispatcher re-arms; a standby's changes reach it as notices)."""
        if self.role == InstanceRole.DISPATCHER:
            self.timer.request_rearm()

    # -- status and stop ------------------------------------------------------------------------

    def running(self) -> dict[str, bool]:
        """Whether the cue timer and the delivery worker are running (for /readyz)."""
        worker = next((t for t in self._tasks if t.get_name() == WORKER_TASK), None)
        return {
            "timer": bool(self.timer.scheduler.running),
            "delivery_worker": worker is not None and not worker.done(),
        }

    def status(self) -> dict[str, Any]:
        """This instance's part (for /readyz): its id, its role, and whether it follows changes."""
        status: dict[str, Any] = {"instance": self.instance_id, "role": self.role}
        if self.listener is not None:
            status["listening"] = self.listener.connected
        return status

    async def stop(self) -> None:
        """Stop following the others, then end the worker and the lease's loop."""
        if self.listener is not None:
            await self.listener.stop()
        if self._poll is not None:
            await self._poll.stop()
        # The worker ends its pass itself (a cancel can cut a database call in half: see
        # DeliveryWorker.request_stop); only one that does not end in time is cancelled.
        self.worker.request_stop()
        workers = {task for task in self._tasks if task.get_name() == WORKER_TASK and not task.done()}
        if workers:
            await asyncio.wait(workers, timeout=self.worker.stop_grace + 5.0)
        for task in self._tasks:
            await cancel_and_wait(task)
