"""APScheduler 3 as the engine's alarm clock: one job, re-armed from the outbox after every change.

The outbox table decides what is due; APScheduler only wakes us at the earliest due time. Its own
misfire rule is switched off (misfire_grace_time=None) because lateness is decided per cue kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from app.engine.clock import Clock
from app.engine.delivery import DeliveryWorker
from app.engine.service import RunEngine

log = logging.getLogger("showcaller.timer")
JOB_ID = "showcaller-wake"


class CueTimer:
    """Wakes the engine when the next cue is due, then re-arms itself."""

    def __init__(self, engine: RunEngine, worker: DeliveryWorker | None, clock: Clock):
        self.engine, self.worker, self.clock = engine, worker, clock
        # Several instances may overlap (a wake re-arming for "now" while it still runs): the
        # engine's own lock serialises them, and a skipped run would leave cues unfired.
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 8}
        )
        self.scheduler.add_listener(self._failed, EVENT_JOB_ERROR)
        self._pending: asyncio.Task | None = None
        self._waking: set[asyncio.Task] = set()  # wakes under way, each in a task of the timer's own (_wake)
        self.armed_for: datetime | None = None
        self._changed = False  # a change was requested since the running re-arm began its read
        self._stopping = False

    def start(self) -> None:
        self.scheduler.start()

    async def settle(self) -> None:
        """Let a wake under way and a requested re-arm finish their database work (before the
        database is closed).

        Cancelling them instead cut an SQLite call in half, which SQLAlchemy reported with a
        traceback ("Exception during reset") on some starts of `serve`; a wake left running was
        cancelled by the loop's close mid-query, which could hang the close on aiosqlite.
        """
        while self._waking or (self._pending is not None and not self._pending.done()):
            running = set(self._waking) | ({self._pending} if self._pending is not None else set())
            running = {task for task in running if not task.done()}
            if not running:
                break
            _, stuck = await asyncio.wait(running, timeout=10)
            for task in stuck:  # stuck for 10 s: give up on it
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._waking -= running

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stop(self) -> None:
        """Stop waking, then let a wake under way and a requested re-arm finish (before the
        database is closed). Nothing re-arms after this: the database is about to go."""
        self._stopping = True
        self.shutdown()
        await self.settle()

    def request_rearm(self) -> None:
        """Re-arm soon (coalesces bursts of changes into one database look-up). A change while a
        re-arm is under way gets one more after it: that one's read may have missed the change's
        commit, which would leave the timer armed for a later cue than the change brought."""
        if self._stopping:
            return
        self._changed = True
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._rearm_while_changed())

    async def _rearm_while_changed(self) -> None:
        while self._changed:
            self._changed = False
            await self.rearm()

    async def rearm(self) -> None:
        """Point the single job at the earliest pending cue."""
        wake = await self.engine.next_wake()
        self.armed_for = wake
        self.clock.owe("timer", wake)  # a rehearsal's clock waits at it until its cues have fired
        if wake is None:
            if self.scheduler.get_job(JOB_ID):
                self.scheduler.remove_job(JOB_ID)
            return
        # Woken a moment ahead (as long as recent ticks took to be ready): the tick reads, decides and
        # commits the due cues as of their moment, then waits for it (RunEngine.tick's `at`).
        delay = max(0.0, self.clock.real_delay(wake) - self.engine.fire_lead())
        run_at = datetime.now(UTC) + timedelta(seconds=delay)
        self.scheduler.add_job(self._wake, DateTrigger(run_date=run_at), args=(wake,), id=JOB_ID, replace_existing=True)

    async def _wake(self, at: datetime | None = None) -> None:
        """APScheduler's job. The wake runs in a task of the timer's own: the scheduler's shutdown
        cancels the coroutine jobs it is running (AsyncIOExecutor.shutdown), which cut a tick's or a
        re-arm's SQLite call in half when `serve` stopped mid-wake; stop() waits for it instead."""
        task = asyncio.get_running_loop().create_task(self._wake_once(at))
        self._waking.add(task)
        task.add_done_callback(self._waking.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # The shutdown's cancel, meant for the job only: the wake runs on and stop() waits for it.

    async def _wake_once(self, at: datetime | None) -> None:
        fired = await self.engine.tick(at)
        if fired and self.worker is not None:
            self.worker.kick()
        await self.rearm()

    def _failed(self, event: JobExecutionEvent) -> None:
        # A failed wake must not leave the timer unarmed: report it and try again shortly.
        log.error("cue timer job failed: %r", event.exception)
        self.request_rearm()
