"""Attendance of an event: ingest webhooks durably, read intervals, run the background parts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.attendance.inbox_writer import inbox_writer_for
from app.attendance.intervals import Attendance, build_attendance
from app.attendance.processor import InboxProcessor, fact_from_body
from app.attendance.reconcile import ClientFactory, Reconciler
from app.store import attendance_repo
from app.store.attendance_rows import Fact

log = logging.getLogger("showcaller.attendance")
EMPTY = Attendance([], {}, {})


async def load_attendance(conn: AsyncConnection, event_id: str) -> Attendance:
    """Intervals of the event's meeting: facts, reconciled rows and not-yet-processed webhooks."""
    meeting_id = await attendance_repo.meeting_of_event(conn, event_id)
    if meeting_id is None:
        return EMPTY
    facts = await attendance_repo.facts_for_meeting(conn, meeting_id)
    # Webhooks committed but not processed yet (the processor is behind, or crashed) count too.
    for body in await attendance_repo.unprocessed_bodies(conn, meeting_id):
        with contextlib.suppress(ValueError, TypeError):
            if (fact := fact_from_body(body)) is not None:
                facts.append(fact)
    return build_attendance(facts, await attendance_repo.past_rows_for_meeting(conn, meeting_id))


class AttendanceService:
    """The process's attendance parts: inbox processor, reconciler and change notifications."""

    def __init__(
        self,
        db: AsyncEngine,
        clock: Callable[[], datetime],
        *,
        client_factory: ClientFactory | None = None,
        on_change: Callable[[str], Awaitable[None]] | None = None,
        on_stored: Callable[[], None] = lambda: None,
        reconcile_poll_seconds: float = 30.0,
    ) -> None:
        """`on_change(event_id)` after attendance of an event changed; `on_stored()` after each
        webhook commit, besides waking this process's inbox processor (several instances: wake the
        dispatcher's)."""
        self.db, self.clock, self.on_change = db, clock, on_change

        def stored() -> None:
            self.processor.kick()
            on_stored()

        self.writer = inbox_writer_for(db, on_commit=stored)
        # On SQLite the processor writes through the inbox's own writer thread: one writer, so a
        # webhook never waits on the processor's lock (PostgreSQL has row locks; no need there).
        self.processor = InboxProcessor(
            db, clock, on_batch=self._after_batch, save=getattr(self.writer, "save_processed", None)
        )
        self.reconciler = Reconciler(db, clock, client_factory, on_done=self._meeting_changed)
        self.reconcile_poll_seconds = reconcile_poll_seconds
        self._tasks: list[asyncio.Task] = []
        self._stop = asyncio.Event()

    async def ingest(self, row: dict) -> bool:
        """Commit one raw webhook to the inbox: True if new, False if a duplicate."""
        return await self.writer.add(row)

    async def linked(self, event_id: str) -> bool:
        """Whether a Zoom meeting is linked to the event (else attendance is unknown, not empty)."""
        async with self.db.begin() as conn:
            return await attendance_repo.meeting_of_event(conn, event_id) is not None

    async def attendance(self, event_id: str) -> Attendance:
        """Current intervals of an event's meeting (empty if no meeting is linked)."""
        async with self.db.begin() as conn:
            return await load_attendance(conn, event_id)

    async def drain(self) -> int:
        """Process every stored webhook now (tests and start-up)."""
        return await self.processor.drain()

    async def start(self) -> None:
        """Process what a previous run left unprocessed, then run in the background."""
        await self.drain()
        async with self.db.begin() as conn:
            ended = await attendance_repo.ended_instances(conn)
        for row in ended:  # a crash between processing `ended` and queueing its fetch loses nothing
            await self.reconciler.request(row.meeting_uuid, row.meeting_id, row.object)
        self._tasks.append(asyncio.create_task(self.processor.run(self._stop), name="attendance-inbox"))
        self._tasks.append(asyncio.create_task(self._reconcile_loop(), name="attendance-reconcile"))

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the loops finish their current step, then end them (cancel only as a last resort)."""
        self._stop.set()
        self.processor.kick()
        for task in self._tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=grace_seconds)
            except (TimeoutError, asyncio.CancelledError, Exception):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks.clear()
        await self.writer.close()

    async def _reconcile_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.reconciler.run_due()
            except Exception:
                log.exception("attendance reconciliation failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.reconcile_poll_seconds)

    async def _after_batch(self, facts: list[Fact]) -> None:
        for fact in facts:
            if fact.kind == "ended":
                await self.reconciler.request(fact.meeting_uuid, fact.meeting_id, fact.object)
        for meeting_id in sorted({f.meeting_id for f in facts}):
            await self._meeting_changed(meeting_id)

    async def _meeting_changed(self, meeting_id: str) -> None:
        if self.on_change is None:
            return
        async with self.db.begin() as conn:
            linked = await attendance_repo.events_of_meetings(conn, [meeting_id])
        for event_id in linked.values():
            await self.on_change(event_id)
