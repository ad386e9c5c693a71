"""The writer: every change to an event is one transaction, under one lock.

Every change is one transaction: append to the run log -> rebuild the timeline (pure) -> sync the
outbox; only after it commits does the cached state (app/engine/cache.py) change and the timer
re-arm. A change that cannot be stored leaves no trace. The rules for host actions live in the run
service (app/run/), which acts through `transact` under the writer's lock. With several instances
on one PostgreSQL database (`shared`), each write also takes a cluster-wide lock first and
refreshes the cached event from the stored one, so every instance checks the rules against the
same state (app/cluster/).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.errors import Invalid, NotRecorded
from app.engine.broadcast import Broadcaster
from app.engine.cache import EventCache, Loaded
from app.engine.clock import Clock
from app.engine.lateness import stale
from app.store import events_repo, outbox_repo
from schedules.adjustments import Adjustment
from schedules.load import check_source, load_text
from schedules.model import Schedule
from schedules.timeline import Timeline, build_timeline


class Shared(Protocol):
    """Writes shared with other instances on one PostgreSQL database (app.cluster.writes.SharedWrites)."""

    async def lock(self, conn: AsyncConnection) -> None: ...

    async def announce(self, conn: AsyncConnection, event_id: str, reason: str) -> None: ...


@dataclass
class Txn:
    """One change being recorded under the writer's lock: what is known now, and what to append.

    Everything written through `conn` commits together with the outbox sync, or not at all.
    """

    event_id: str
    schedule: Schedule
    now: datetime
    conn: AsyncConnection
    actions: list[Adjustment]
    actors: dict[int, str | None]
    timer_grace: timedelta | None
    appended: list[Adjustment] = field(default_factory=list)
    # Builds a timeline at `now` (EventCache.build, which counts them); the plain planner by default.
    build: Callable[[Schedule, list[Adjustment], datetime | None], Timeline] | None = None
    # The timeline of `actions` as they are (how many, the last one): rules ask for it many times
    # per action, and it is built once per change of the run log (seeded with the cached one).
    known: tuple[int, Adjustment | None, Timeline] | None = None

    def timeline(self, extra: Adjustment | None = None) -> Timeline:
        """The timeline with what is appended so far (plus `extra`, to preview an action); built
        once per change of the run log, however often the rules ask."""
        if extra is not None:
            return self._build([*self.actions, extra])
        last = self.actions[-1] if self.actions else None
        if self.known is not None and self.known[0] == len(self.actions) and self.known[1] is last:
            return self.known[2]
        timeline = self._build(self.actions)
        self.known = (len(self.actions), last, timeline)
        return timeline

    def _build(self, actions: list[Adjustment]) -> Timeline:
        if self.build is not None:
            return self.build(self.schedule, actions, self.now)
        return build_timeline(self.schedule, actions, self.now, self.timer_grace)

    async def append(self, adjustment: Adjustment, actor: str | None) -> Adjustment:
        """Append a host action to the run log; returns it with its own sequence number."""
        seq = await events_repo.append_action(self.conn, self.event_id, adjustment, actor)
        numbered = type(adjustment)(**{**adjustment.__dict__, "seq": seq})
        self.actions.append(numbered)
        self.actors[seq] = actor
        self.appended.append(numbered)
        return numbered


class Writer:
    """Stores schedules and actions, re-plans outboxes, and serialises every write (and every tick)."""

    def __init__(
        self,
        db: AsyncEngine,
        clock: Clock,
        cache: EventCache,
        broadcaster: Broadcaster,
        *,
        on_change: Callable[[], None] = lambda: None,
        max_messages_per_action: int | None = None,
        shared: Shared | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.cache = cache
        self.broadcaster = broadcaster
        # After every committed change that moves the plan (the timer re-arms).
        self._on_change = on_change
        # The most messages (cue x target) one action may queue (SHOWCALLER_MAX_MESSAGES_PER_ACTION);
        # None: unbounded. A bug or a hostile request must not bury a target's lane under thousands.
        self.max_messages_per_action = max_messages_per_action
        # Several instances on one PostgreSQL database (app.cluster.writes.SharedWrites): every write
        # takes the cluster-wide writer lock, refreshes the cached event and announces its change.
        # None: this process is the only writer (SQLite), and the cache is always current.
        self.shared = shared
        self._lock = asyncio.Lock()

    @property
    def timer_grace(self) -> timedelta | None:
        return self.cache.timer_grace

    @property
    def lock(self) -> asyncio.Lock:
        """Held while the engine writes the outbox (firing cues numbers deliveries)."""
        return self._lock

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction outside the engine's own (delivery resends): under the engine's
        lock and, on a shared database, the cluster-wide writer lock."""
        async with self._lock, self.db.begin() as conn:
            await self.enter(conn)
            yield conn

    async def enter(self, conn: AsyncConnection, event_ids: list[str] | None = None) -> None:
        """First statement of every write: on a shared database, wait for other instances' writes and
        bring the named events' cache up to date with what they stored."""
        if self.shared is not None:
            await self.shared.lock(conn)
            if event_ids:
                await self.cache.refresh_in(conn, event_ids)

    async def refresh_shared(self, conn: AsyncConnection, event_ids: list[str]) -> None:
        """On a shared database (writer lock held), bring the named events' cache up to date."""
        if self.shared is not None:
            await self.cache.refresh_in(conn, event_ids)

    async def announce(self, conn: AsyncConnection, event_id: str, reason: str) -> None:
        """On a shared database, tell the other instances (on commit) that `event_id` changed."""
        if self.shared is not None:
            await self.shared.announce(conn, event_id, reason)

    async def load_schedule(self, text: str, source: str, schedule: Schedule | None = None) -> Schedule:
        """Validate and store a schedule (new or edited) and plan its cues; raises ScheduleError.
        `schedule` is the text already parsed (off the event loop, for uploads)."""
        check_source(source)  # before the store, which keeps SOURCE characters (SQLite would keep more)
        schedule = schedule or load_text(text, source, self.cache.max_schedule_bytes, self.cache.catalogs)
        event_id = schedule.event.id
        # Planning a large schedule is pure CPU work: done in a thread (as parsing is in a child) and
        # before taking the lock, so the loop and the timer go on firing other events' cues. The
        # draft is kept when nothing it depends on moved meanwhile: the same run log, and no hold or
        # timer (the only parts of a plan that depend on `now`); otherwise it is planned again below.
        # The draft's run log is the cached one (none for a new event): the log read under the lock
        # below is the one that counts, so a transaction of its own to read it first was redundant.
        cached = self.cache.get(event_id)
        ahead = list(cached.actions) if cached is not None else []
        draft = await asyncio.to_thread(self.cache.build, schedule, ahead, self.clock.now())
        digest = events_repo.text_hash(text)
        # A new event's plan, if the draft is it (no run log, nothing that moves with time): stored
        # with the event's row instead of by an UPDATE after it.
        fresh = Loaded(schedule, [], draft, schedule_hash=digest)
        fresh_fingerprint = self.cache.fingerprint(fresh) if not ahead else None
        async with self._lock:
            async with _recording(), self.db.begin() as conn:
                await self.enter(conn)
                now = self.clock.now()
                stored = await events_repo.upsert_event(
                    conn, schedule, source, text, now, plan_fingerprint=fresh_fingerprint
                )
                if stored.status == "new" and not ahead and draft.held_segment is None and not draft.timers:
                    # Inserted just now: it has no run log and no cues (their foreign keys), so
                    # neither is read; the plan is the draft, and its fingerprint went in with the row.
                    item = fresh
                    await outbox_repo.sync_cues(conn, event_id, draft.cues, now, new_event=True)
                else:
                    log_rows = await events_repo.load_log(conn, event_id)
                    item = Loaded(
                        schedule,
                        [a for a, _ in log_rows],
                        actors={a.seq: who for a, who in log_rows},
                        schedule_hash=digest,
                    )
                    moved = ahead != item.actions  # by value: a stale cache may reuse seqs after a removal
                    if moved or draft.held_segment is not None or draft.timers:
                        draft = await asyncio.to_thread(self.cache.build, schedule, item.actions, now)
                    item.timeline = draft
                    await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, now)
                    await events_repo.set_plan_fingerprint(conn, event_id, self.cache.fingerprint(item))
                item.stored_as = (stored.source, stored.loaded_at)
                await self.announce(conn, event_id, "schedule")
            self.cache.install(event_id, item)
        self.cache.freeze()
        self._on_change()
        return schedule

    async def forget(self, event_id: str) -> None:
        """Delete an event and everything it ran (used before a rehearsal replays it)."""
        async with self._lock, self.db.begin() as conn:
            await self.enter(conn)
            await events_repo.delete_event(conn, event_id)
            await self.announce(conn, event_id, "removed")
        self.cache.drop(event_id)

    async def transact(self, event_id: str, work: Callable[[Txn], Awaitable[Any]]) -> Any:
        """Run `work` under the writer's lock in one transaction with the outbox sync it causes.

        `work` checks its rules against `txn` (the state now) and appends through it. If it raises,
        or the database refuses anything, nothing is stored and the cached state is unchanged.
        """
        async with self._lock:
            timeline = None
            async with _recording(), self.db.begin() as conn:
                await self.enter(conn, [event_id])
                item = self.cache.loaded(event_id)
                now = self.clock.now()
                txn = Txn(
                    event_id,
                    item.schedule,
                    now,
                    conn,
                    list(item.actions),
                    dict(item.actors),
                    self.timer_grace,
                    build=self.cache.build,
                )
                cached = self.cache.known(item, now)
                if cached is not None:  # the rules read the cached plan: no build unless they append
                    txn.known = (len(txn.actions), txn.actions[-1] if txn.actions else None, cached)
                result = await work(txn)
                if txn.appended:
                    timeline = txn.timeline()
                    gone = {c.id for c in timeline.cues if stale(c.kind.value, now, c.data)}
                    try:
                        await outbox_repo.sync_cues(
                            conn,
                            event_id,
                            timeline.cues,
                            now,
                            action=txn.appended[-1].seq,
                            stale=gone,
                            budget=self.max_messages_per_action,
                        )
                    except outbox_repo.OverBudget as exc:  # raised in the transaction: it rolls back
                        raise Invalid(
                            f"this {txn.appended[-1].kind} would queue {exc.queued} messages (one per target "
                            f"of each cue), more than one action may (SHOWCALLER_MAX_MESSAGES_PER_ACTION = "
                            f"{exc.budget}); nothing was recorded",
                            queued=exc.queued,
                            limit=exc.budget,
                            setting="SHOWCALLER_MAX_MESSAGES_PER_ACTION",
                        ) from None
                    planned = Loaded(item.schedule, txn.actions, timeline, schedule_hash=item.schedule_hash)
                    await events_repo.set_plan_fingerprint(conn, event_id, self.cache.fingerprint(planned))
                    await self.announce(conn, event_id, txn.appended[-1].kind)
            if txn.appended:
                assert timeline is not None  # built above, with what was appended
                item.actions, item.actors, item.timeline = txn.actions, txn.actors, timeline
                self.cache.remember(item, now, timeline)
                self.cache.settle(event_id, item)
        if txn.appended:
            self._on_change()
            self.broadcaster.publish(event_id, txn.appended[-1].kind)
        return result

    async def act(self, event_id: str, make: Callable[[datetime], Adjustment], actor: str | None = None) -> Adjustment:
        """Record an action taken now without rules (system actors; hosts go through the run service)."""

        async def work(txn: Txn) -> Adjustment:
            return await txn.append(make(txn.now), actor)

        return await self.transact(event_id, work)

    async def sync(self, event_id: str) -> None:
        """Re-plan an event's outbox against the present (a hold or a paused timer moves with time)."""
        async with self._lock, self.db.begin() as conn:
            await self.enter(conn, [event_id])
            item = self.cache.get(event_id)
            if item is None:  # removed by another instance meanwhile
                return
            item.timeline = self.cache.current(item)
            await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, self.clock.now())
            await events_repo.set_plan_fingerprint(conn, event_id, self.cache.fingerprint(item))
        self._on_change()

    async def catch_up(self, event_id: str, item: Loaded, stored_fingerprint: str | None) -> tuple[bool, bool] | None:
        """Put an event catch-up just read into the cache, re-planning its outbox first if what it
        was planned from changed. None: a new schedule or an action replaced it meanwhile; else
        (re-planned, the outbox changed)."""
        replanned = changed = False
        async with self._lock:
            if not self.cache.is_pending(event_id):  # a new schedule or an action replaced it meanwhile
                return None
            now = self.clock.now()
            item.timeline = self.cache.build(item.schedule, item.actions, now)
            fingerprint = self.cache.fingerprint(item)
            if fingerprint is None or fingerprint != stored_fingerprint:
                async with self.db.begin() as conn:
                    await self.enter(conn, [event_id])
                    current = self.cache.get(event_id)
                    if self.shared is not None and current is not None:
                        # Another instance may have changed it since it was read: plan the
                        # copy just refreshed under the writer lock, never an older one.
                        item = current
                        item.timeline = self.cache.build(item.schedule, item.actions, now)
                        fingerprint = self.cache.fingerprint(item)
                    assert item.timeline is not None  # built just above
                    changed = await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, now) > 0
                    await events_repo.set_plan_fingerprint(conn, event_id, fingerprint)
                    if changed:
                        await self.announce(conn, event_id, "replan")
                replanned = True
            self.cache.caught_up_one(event_id, item)
        return replanned, changed


@contextlib.asynccontextmanager
async def _recording():
    """A database refusal becomes one clear error; the transaction has rolled back by then."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise NotRecorded(f"the database is not available ({_first_line(exc)}); nothing was changed") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise NotRecorded(f"the database is not available ({_first_line(exc)}); nothing was changed") from exc
        raise NotRecorded(f"the database refused it ({_first_line(exc)}); nothing was changed", status=422) from exc


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return (text.strip().splitlines() or ["unknown error"])[0][:200]
