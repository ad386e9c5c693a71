"""The delivery worker: sends each fired cue to its targets, on time, in order, exactly once.

Each target's messages go out in creation order (a message waiting for its retry holds back the
ones behind it), targets are served concurrently, every retry carries the same delivery id, and a
delivery stops being retried once its cue no longer matters.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.engine.clock import Clock
from app.engine.compose import compose
from app.engine.targets import Resolved
from app.store import outbox_repo
from app.store.tables import cues
from integrations.notifiers.backoff import retry_delay
from integrations.notifiers.outcome import DeliveryResult
from integrations.notifiers.pacing import SlackPacer
from integrations.notifiers.sender import send
from schedules.model import Schedule

log = logging.getLogger("showcaller.delivery")
LEASE = timedelta(seconds=60)


@dataclass
class DeliveryWorker:
    """Drains the deliveries table; `kick()` after cues fire, `run()` as a background task."""

    db: AsyncEngine
    http: httpx.AsyncClient
    clock: Clock
    schedules: Callable[[str], Schedule]
    targets: Callable[[str], Resolved]
    links: Callable[[str], list[tuple[str, str]]] = lambda event_id: []
    pacer: SlackPacer | None = None
    timeout: float = 10.0
    rng: random.Random = field(default_factory=random.Random)
    on_change: Callable[[str, str], None] = lambda event_id, reason: None
    _kick: asyncio.Event = field(default_factory=asyncio.Event)

    def kick(self) -> None:
        """Something may be due now."""
        self._kick.set()

    async def run(self) -> None:
        """Serve forever: a pass, then sleep until the next retry or a kick."""
        while True:
            self._kick.clear()
            try:
                await self.drain()
            except Exception:  # the worker must outlive one bad pass; the rows stay for the next
                log.exception("delivery pass failed")
            async with self.db.begin() as conn:
                upcoming = await outbox_repo.next_attempt(conn)
            delay = self.clock.real_delay(upcoming) if upcoming else 3600.0
            try:
                await asyncio.wait_for(self._kick.wait(), timeout=max(0.01, min(delay, 3600.0)))
            except TimeoutError:
                pass

    async def drain(self) -> int:
        """One pass over everything claimable now; returns how many attempts were made."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            rows = await outbox_repo.claimable(conn, now)
            blocked = await outbox_repo.blocked_targets(conn, now)
        lanes = [list(group) for target, group in groupby(rows, key=lambda r: r.target_id) if target not in blocked]
        counts = await asyncio.gather(*(self._lane(lane) for lane in lanes))
        return sum(counts)

    async def _lane(self, rows: list) -> int:
        attempts = 0
        for row in rows:
            attempts += 1
            if not await self._attempt(row):
                break  # keep this target's order: later messages wait for this one
        return attempts

    def _expired(self, row, at) -> bool:
        # Two real seconds of queueing are not a reason to give up, however fast a rehearsal runs.
        grace = timedelta(seconds=2 * getattr(self.clock, "speed", 1.0))
        return row.expires_at is not None and at > row.expires_at + grace

    async def _attempt(self, row) -> bool:
        """Try one delivery; True when the lane may go on to the next message."""
        now = self.clock.now()
        if self._expired(row, now):
            await self._finish(row, status="expired", last_error="gave up: the cue no longer matters")
            return True
        async with self.db.begin() as conn:
            if not await outbox_repo.lease(conn, row.id, now, now + LEASE):
                return False
            cue = (await conn.execute(select(cues).where(cues.c.event_id == row.event_id,
                                                         cues.c.cue_id == row.cue_id))).first()
        resolved = self.targets(row.event_id)
        target = resolved.configs.get(row.target_id)
        if target is None:
            problem = resolved.problems.get(row.target_id, f"target '{row.target_id}' is not in the schedule")
            await self._finish(row, status="parked", last_error=problem)
            return True
        schedule = self.schedules(row.event_id)
        notification = compose(schedule, cue, row.id, target.timezone, self.links(row.event_id))
        template = next((t.template for t in schedule.targets if t.id == row.target_id), None)
        # Signatures and Retry-After dates are about real time, even in a rehearsal's fast clock.
        outcome = await send(self.http, target, notification, template=template, timeout=self.timeout,
                             pacer=self.pacer)
        if outcome.result is DeliveryResult.ok:
            await self._finish(row, status="sent", sent_at=self.clock.now(), last_status=outcome.status_code,
                               last_error=None)
            return True
        error = outcome.error or f"HTTP {outcome.status_code}: {outcome.answer}"[:2048]
        if outcome.result is DeliveryResult.permanent:
            await self._finish(row, status="parked", last_status=outcome.status_code, last_error=error)
            return True
        wait = retry_delay(outcome, row.attempts + 1, rng=self.rng)
        retry_at = self.clock.now() + timedelta(seconds=wait)
        if self._expired(row, retry_at):
            await self._finish(row, status="expired", last_status=outcome.status_code,
                               last_error=f"gave up after {row.attempts + 1} attempts: {error}")
            return True
        await self._finish(row, status="pending", next_attempt_at=retry_at, last_status=outcome.status_code,
                           last_error=error)
        return False

    async def _finish(self, row, **values) -> None:
        async with self.db.begin() as conn:
            await outbox_repo.finish(conn, row.id, **values)
        self.on_change(row.event_id, values.get("status", ""))
