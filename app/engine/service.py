"""The run engine: host actions in, dated cues out, with the database as the source of truth.

A thin facade over its three parts, each built in the composition root (app/bootstrap.py) with
its collaborators as constructor arguments; what each guarantees is stated where it is kept:

- app/engine/cache.py (EventCache): the stored events in memory; start-up loading and catch-up,
  quarantine of an event that cannot be loaded, refresh from other instances' writes.
- app/engine/writer.py (Writer): every change is one transaction under one lock (run log,
  timeline, outbox sync); on a shared database the cluster-wide lock first.
- app/engine/firing.py (Firing): the tick, hooks by cue kind, the fence, the hand-off of claimed
  deliveries, the listeners.

The rest of the service (run service, timer, lookups, routes) keeps calling the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.engine.cache import (
    PLAN_VERSION,
    EventCache,
    EventLoading,
    Loaded,
    UnknownEvent,
    plan_fingerprint,
    quarantine_reason,
)
from app.engine.clock import Clock
from app.engine.dispatch import Dispatch
from app.engine.firing import Fired, FireHook, FireListener, Firing
from app.engine.writer import Shared, Txn, Writer
from schedules.adjustments import Adjustment
from schedules.model import Schedule
from schedules.timeline import Timeline

__all__ = [
    "PLAN_VERSION",
    "EventLoading",
    "FireHook",
    "FireListener",
    "Fired",
    "Loaded",
    "RunEngine",
    "Shared",
    "Txn",
    "UnknownEvent",
    "plan_fingerprint",
    "quarantine_reason",
]


class RunEngine:
    """Plans, fires and steers cues for every loaded event: the cache, the writer and the firing."""

    def __init__(self, cache: EventCache, writer: Writer, firing: Firing) -> None:
        self.cache = cache
        self.writer = writer
        self.firing = firing

    # -- what the parts share --
    @property
    def clock(self) -> Clock:
        return self.cache.clock

    @property
    def timer_grace(self) -> timedelta | None:
        return self.cache.timer_grace

    @property
    def quarantined(self) -> dict[str, str]:
        return self.cache.quarantined

    @property
    def dispatch(self) -> Dispatch:
        return self.firing.dispatch

    @property
    def catch_up_total(self) -> int:
        return self.cache.catch_up_total

    @property
    def resynced(self) -> int:
        return self.cache.resynced

    # -- the event cache --
    async def start(self) -> None:
        await self.cache.start()

    async def stop(self) -> None:
        await self.cache.stop()

    async def caught_up(self) -> None:
        await self.cache.caught_up()

    def progress(self) -> tuple[int, int]:
        return self.cache.progress()

    def in_memory(self) -> int:
        return self.cache.in_memory()

    def is_loading(self, event_id: str) -> bool:
        return self.cache.is_loading(event_id)

    async def ensure_loaded(self, event_id: str) -> None:
        await self.cache.ensure_loaded(event_id)

    def loaded(self, event_id: str) -> Loaded:
        return self.cache.loaded(event_id)

    def timeline(self, event_id: str) -> Timeline:
        return self.cache.timeline(event_id)

    def stored_as(self, event_id: str) -> tuple[str, datetime] | None:
        """The event's stored source name and loaded_at, if this process stored its schedule and
        still holds that copy (None: read the store)."""
        item = self.cache.get(event_id)
        return item.stored_as if item is not None else None

    def event_ids(self) -> list[str]:
        return self.cache.event_ids()

    async def refresh(self, event_ids: list[str] | None = None) -> set[str]:
        return await self.cache.refresh(event_ids)

    # -- the writer --
    @property
    def lock(self) -> asyncio.Lock:
        return self.writer.lock

    def writing(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        return self.writer.writing()

    async def announce(self, conn: AsyncConnection, event_id: str, reason: str) -> None:
        await self.writer.announce(conn, event_id, reason)

    async def load_schedule(self, text: str, source: str, schedule: Schedule | None = None) -> Schedule:
        return await self.writer.load_schedule(text, source, schedule)

    async def forget(self, event_id: str) -> None:
        await self.writer.forget(event_id)

    async def transact(self, event_id: str, work: Callable[[Txn], Awaitable[Any]]) -> Any:
        return await self.writer.transact(event_id, work)

    async def act(self, event_id: str, make: Callable[[datetime], Adjustment], actor: str | None = None) -> Adjustment:
        return await self.writer.act(event_id, make, actor)

    # -- the firing --
    async def next_wake(self) -> datetime | None:
        return await self.firing.next_wake()

    async def tick(self, at: datetime | None = None) -> list[Fired]:
        return await self.firing.tick(at)

    def fire_lead(self) -> float:
        return self.firing.lead()
