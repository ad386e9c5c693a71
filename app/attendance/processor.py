"""Turns stored webhooks into facts in the background (and at start-up, after a crash)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.facts import NotAttendance, fact_from_event
from app.store import attendance_repo
from app.store.attendance_rows import Fact
from integrations.zoom.webhooks import parse_event

log = logging.getLogger("showcaller.attendance")
OnBatch = Callable[[list[Fact]], Awaitable[None]]
# save(facts, errors, done, now): write a batch's facts and mark its inbox rows processed.
Save = Callable[[list[tuple[int, Fact]], dict[int, str], list[int], datetime], Awaitable[None]]
STORE_ERRORS = (SQLAlchemyError, sqlite3.Error)


def fact_from_body(body: str) -> Fact | None:
    """The fact a stored webhook body carries; None if it is not about attendance."""
    try:
        return fact_from_event(parse_event(json.loads(body)))
    except NotAttendance:
        return None


class InboxProcessor:
    """Drains unprocessed inbox rows in id order; one drain at a time per process."""

    def __init__(
        self,
        db: AsyncEngine,
        clock: Callable[[], datetime],
        on_batch: OnBatch | None = None,
        batch_size: int = 500,
        coalesce_seconds: float = 0.2,
        max_lag_seconds: float = 2.0,
        slice_size: int = 50,
        busy_pause_seconds: float = 0.02,
        save: Save | None = None,
    ) -> None:
        self.db, self.clock, self.on_batch, self.batch_size = db, clock, on_batch, batch_size
        self.coalesce_seconds, self.max_lag_seconds = coalesce_seconds, max_lag_seconds
        self.slice_size, self.busy_pause_seconds = slice_size, busy_pause_seconds
        self._kicks = self._kicks_seen = 0
        self.save = save or self._save_with_engine
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def kick(self) -> None:
        """Ask the background loop to drain soon (called on every inbox commit)."""
        self._kicks += 1
        self._wake.set()

    async def _yield_to_ingestion(self) -> None:
        """Between slices of a batch: webhooks waiting for their 200 go first, and while they
        keep arriving, processing backs off (it lags, then catches up when the burst ends)."""
        busy = self._kicks != self._kicks_seen
        self._kicks_seen = self._kicks
        await asyncio.sleep(self.busy_pause_seconds if busy else 0)

    async def drain(self) -> int:
        """Process every stored webhook not yet processed; returns how many rows were handled."""
        handled = 0
        async with self._lock:
            while True:
                async with self.db.begin() as conn:
                    rows = await attendance_repo.unprocessed(conn, self.batch_size)
                if not rows:
                    return handled
                facts, errors = [], {}
                for i, row in enumerate(rows):
                    if i % self.slice_size == 0:
                        # Parsing a whole batch in one go would hold the event loop for
                        # milliseconds, which webhooks waiting for their 200 would feel.
                        await self._yield_to_ingestion()
                    try:
                        fact = fact_from_body(row.body)
                    except (
                        ValueError,
                        TypeError,
                    ) as exc:  # stored before a parser change; keep, flag
                        errors[row.id] = f"{type(exc).__name__}: {exc}"
                        continue
                    if fact is not None:
                        facts.append((row.id, fact))
                try:
                    await self.save(facts, errors, [r.id for r in rows], self.clock())
                except STORE_ERRORS:
                    # One row the database refuses must not block the rest: retry them one by one.
                    facts = await self._save_one_by_one(rows, dict(facts), errors)
                handled += len(rows)
                if self.on_batch is not None:
                    try:
                        await self.on_batch([f for _, f in facts])
                    except Exception:  # a follow-up failing must not stop ingestion
                        log.exception("attendance follow-up failed")

    async def _save_one_by_one(self, rows, facts: dict[int, Fact], errors: dict[int, str]):
        saved = []
        for row in rows:
            fact = facts.get(row.id)
            try:
                await self.save(
                    [(row.id, fact)] if fact else [],
                    {row.id: errors[row.id]} if row.id in errors else {},
                    [row.id],
                    self.clock(),
                )
                if fact:
                    saved.append((row.id, fact))
            except STORE_ERRORS as exc:
                log.warning("webhook %s could not be stored as a fact: %s", row.id, exc)
                await self.save([], {row.id: f"not storable: {exc}"}, [row.id], self.clock())
        return saved

    async def _save_with_engine(self, facts, errors, done, now) -> None:
        async with self.db.begin() as conn:
            await attendance_repo.save_processed(conn, facts, errors, done, now)

    async def run(self, stop: asyncio.Event, idle_seconds: float = 5.0) -> None:
        """Background loop: drain when kicked (and every `idle_seconds`) until `stop` is set.

        Stopping between drains, never by cancelling one: a database call cut in half can leave
        its connection unusable and hang the engine's disposal.
        """
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("draining the webhook inbox failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle_seconds)
            await self._until_quiet(stop)

    async def _until_quiet(self, stop: asyncio.Event) -> None:
        """Let a burst finish arriving: no commit for `coalesce_seconds`, or `max_lag_seconds`.

        Acknowledging Zoom quickly matters more than processing within the same instant (readers
        fold in unprocessed rows), and one drain of many rows is cheaper than many small ones;
        the bound on the wait keeps a never-ending stream from starving processing.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_lag_seconds
        while not stop.is_set():
            self._wake.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=min(self.coalesce_seconds, remaining))
            except TimeoutError:
                return
