"""The run engine: host actions in, dated cues out, with the database as the source of truth.

Every change is: append to the run log -> rebuild the timeline (pure) -> sync the outbox -> re-arm
the timer. Nothing lives only in memory, so a restart rebuilds exactly the same state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.engine.broadcast import Broadcaster
from app.engine.clock import Clock
from app.engine.lateness import Decision, decide
from app.store import events_repo, outbox_repo
from schedules.adjustments import Adjustment
from schedules.load import MAX_BYTES, load_text
from schedules.model import Schedule
from schedules.timeline import Timeline, build_timeline
from schedules.timers import TimerStatus

log = logging.getLogger("showcaller.engine")
FireHook = Callable[[str, Any], Awaitable[dict[str, Any] | None]]
FireListener = Callable[[str, Any, str], None]


class UnknownEvent(LookupError):
    """No event with that id is loaded."""


@dataclass
class Loaded:
    """An event's schedule and run log, cached from the database."""

    schedule: Schedule
    actions: list[Adjustment]
    timeline: Timeline | None = None


def _moves_with_time(item: Loaded | None) -> bool:
    """Whether re-planning later can change the cues: only a hold or a paused timer projects from
    the present; otherwise the timeline is the same whenever it is built, so re-planning after a
    fire would be wasted work between two cues."""
    timeline = item.timeline if item else None
    return timeline is None or timeline.held_segment is not None or any(
        t.status is TimerStatus.paused for t in timeline.timers)


@dataclass
class RunEngine:
    """Plans, fires and steers cues for every loaded event."""

    db: AsyncEngine
    clock: Clock
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    give_up: timedelta = timedelta(minutes=15)
    resolve_targets: Callable[[Schedule], dict[str, str]] = lambda schedule: {}
    hooks: dict[str, FireHook] = field(default_factory=dict)
    listeners: list[FireListener] = field(default_factory=list)
    on_change: Callable[[], None] = lambda: None
    max_schedule_bytes: int = MAX_BYTES
    _events: dict[str, Loaded] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Deliveries are numbered here: one engine per database writes them, under its lock.
    _next_seq: int | None = None

    async def start(self) -> None:
        """Load every stored event and bring its outbox up to date (used at start-up)."""
        async with self.db.begin() as conn:
            rows = await events_repo.list_events(conn)
        for row in rows:
            await self._reload(row.id)
            await self._sync(row.id)

    async def load_schedule(self, text: str, source: str) -> Schedule:
        """Validate and store a schedule (new or edited) and plan its cues; raises ScheduleError."""
        schedule = load_text(text, source, self.max_schedule_bytes)
        async with self.db.begin() as conn:
            await events_repo.upsert_event(conn, schedule, source, text, self.clock.now())
        await self._reload(schedule.event.id)
        await self._sync(schedule.event.id)
        return schedule

    def loaded(self, event_id: str) -> Loaded:
        """The cached event; raises UnknownEvent."""
        try:
            return self._events[event_id]
        except KeyError:
            raise UnknownEvent(event_id) from None

    async def forget(self, event_id: str) -> None:
        """Delete an event and everything it ran (used before a rehearsal replays it)."""
        async with self._lock, self.db.begin() as conn:
            await events_repo.delete_event(conn, event_id)
        self._events.pop(event_id, None)

    def event_ids(self) -> list[str]:
        return sorted(self._events)

    def timeline(self, event_id: str) -> Timeline:
        """The current timeline (recomputed so holds project against the present)."""
        item = self.loaded(event_id)
        return build_timeline(item.schedule, item.actions, self.clock.now())

    async def act(self, event_id: str, make: Callable[[datetime], Adjustment], actor: str | None = None
                  ) -> Adjustment:
        """Record a host action taken now, re-plan and re-arm."""
        item = self.loaded(event_id)
        async with self._lock:
            now = self.clock.now()
            adjustment = make(now)
            async with self.db.begin() as conn:
                seq = await events_repo.append_action(conn, event_id, adjustment, actor)
            item.actions.append(type(adjustment)(**{**adjustment.__dict__, "seq": seq}))
        await self._sync(event_id)
        self.broadcaster.publish(event_id, adjustment.kind)
        return adjustment

    async def _reload(self, event_id: str) -> None:
        async with self.db.begin() as conn:
            row = await events_repo.get_event(conn, event_id)
            actions = await events_repo.load_actions(conn, event_id)
        schedule = load_text(row.schedule_text, row.source, self.max_schedule_bytes)
        self._events[event_id] = Loaded(schedule, actions)

    async def _sync(self, event_id: str) -> None:
        timeline = self.timeline(event_id)
        self._events[event_id].timeline = timeline
        async with self._lock, self.db.begin() as conn:
            await outbox_repo.sync_cues(conn, event_id, timeline.cues, self.clock.now())
        self.on_change()

    async def next_wake(self) -> datetime | None:
        """When the next pending cue is due."""
        async with self.db.begin() as conn:
            return await outbox_repo.next_cue_due(conn)

    async def tick(self) -> list[tuple[Any, str]]:
        """Fire (or skip) every due cue; returns (cue row, 'fired'|'late'|'skipped') in order."""
        results = []
        async with self._lock:
            now = self.clock.now()
            # One transaction for every due cue: a cue counts as fired when it commits, and a
            # catch-up after a restart commits once, not once per cue. Hooks run first, before
            # anything is written, so a hook reading through its own connection never waits.
            async with self.db.begin() as conn:
                rows = self._in_plan_order(await outbox_repo.due_cues(conn, now))
                due = [await self._prepare(row, now) for row in rows]
                for row, decision in due:
                    results.append((row, await self._record(conn, row, decision, now)))
        # Listeners (the timer kicks the delivery worker from one) hear before the re-plan below.
        for row, outcome in results:
            for listener in self.listeners:
                listener(row.event_id, row, outcome)
        for event_id in {row.event_id for row, _ in results}:
            if _moves_with_time(self._events.get(event_id)):
                await self._sync(event_id)
            self.broadcaster.publish(event_id, "cue")
        return results

    def _in_plan_order(self, rows: list) -> list:
        """Cues due at one instant fire in the timeline's order (what ends before what starts),
        not in whatever order the database returns ties."""
        ranks: dict[tuple[str, str], int] = {}
        for event_id in {row.event_id for row in rows}:
            item = self._events.get(event_id)
            for index, cue in enumerate(item.timeline.cues if item and item.timeline else ()):
                ranks[(event_id, cue.id)] = index
        last = len(ranks)
        return sorted(rows, key=lambda r: (r.due_at, ranks.get((r.event_id, r.cue_id), last), r.cue_id))

    async def _prepare(self, row, now: datetime) -> tuple[Any, Decision]:
        # Half a real second of wake-up jitter is not lateness, however fast a rehearsal runs.
        grace = timedelta(seconds=0.5 * getattr(self.clock, "speed", 1.0))
        decision = decide(row.kind, row.due_at, now, row.data, self.give_up, grace)
        hook = self.hooks.get(row.kind)
        update = await hook(row.event_id, row) if hook and decision.fire else None
        if update is not None:
            # SQLAlchemy rows are immutable and have no _replace: copy into a plain namespace.
            changed = {k: v for k, v in update.items() if k in row._fields}
            row = SimpleNamespace(**{**row._mapping, **changed}, rewritten=True)
        return row, decision

    async def _record(self, conn, row, decision: Decision, now: datetime) -> str:
        late_ms = int((now - row.due_at).total_seconds() * 1000)
        if not decision.fire:
            await outbox_repo.mark_cue(conn, row, "skipped", now, late_ms, decision.reason)
            return "skipped"
        if getattr(row, "rewritten", False):
            await outbox_repo.set_cue_text(conn, row)
        note = f"late by {late_ms / 1000:.1f} s" if decision.late else ""
        if not await outbox_repo.mark_cue(conn, row, "fired", now, late_ms, note):
            return "skipped"
        item = self._events.get(row.event_id)
        parked = self.resolve_targets(item.schedule) if item else {}
        if self._next_seq is None:
            self._next_seq = await outbox_repo.last_delivery_seq(conn) + 1
        self._next_seq = await outbox_repo.add_deliveries(conn, row, list(row.targets), now, decision.expires_at,
                                                          parked, self._next_seq)
        return "late" if decision.late else "fired"
