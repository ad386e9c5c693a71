"""The dispatcher: fires (or skips) every due cue, in one transaction per tick.

A cue counts as fired when its transaction commits, together with its deliveries; a catch-up
after a restart commits once, not once per cue. A hook of the cue's kind may rewrite it first,
before anything is written. With several instances, the dispatcher's fence is checked in every
firing transaction, so a deposed dispatcher fires nothing. Deliveries the transaction inserted
already claimed go to the running delivery worker right after the commit; then each listener
hears the outcome, and an event whose plan moves with time is re-planned (app/engine/writer.py).

The transaction's statements are synchronous functions over a Core `Connection`, in two batches:
the due cues with the firing context, then (after the hooks and the lateness decisions, on the
event loop) every mark, rewrite and delivery insert with the commit. On SQLite each batch is one hop
to a thread of its own (app.store.db.SerialSqlite), not one hop per statement through aiosqlite; on
PostgreSQL the same functions run through `AsyncConnection.run_sync` (asyncpg has no thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.vocabulary import CueStatus, FireOutcome
from app.engine.broadcast import Broadcaster
from app.engine.cache import EventCache, moves_with_time
from app.engine.clock import Clock
from app.engine.dispatch import Dispatch
from app.engine.lateness import Decision, decide, late_note
from app.engine.writer import Writer
from app.store import outbox_repo
from app.store.db import SerialSqlite
from schedules.model import Schedule

FireHook = Callable[[str, Any], Awaitable[dict[str, Any] | None]]
# How far ahead of a cue the timer wakes (real seconds, Firing.lead): long enough for most ticks to
# be committed by the cue's moment (on SQLite 2-5 ms, on PostgreSQL 10-20 ms with its round trips),
# learnt from the last ticks that fired, within these bounds; the first ticks use the default.
LEAD_DEFAULT, LEAD_MIN, LEAD_MAX = 0.012, 0.004, 0.04
# The most real time a tick waits for the moment it woke ahead of (LEAD_MAX with room for a loop
# that woke it early): a wake further ahead reads only what is due now.
AHEAD_MAX_SECONDS = 0.05
MIN_WAIT_SECONDS = 0.0002  # (a wall clock a hair behind the loop's: wait again, not spin)
FireListener = Callable[[str, Any, FireOutcome], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Fired:
    """A due cue a tick fired or skipped: its event, its outbox row (as recorded, after any hook
    rewrote it) and the outcome."""

    event_id: str
    cue: Any
    outcome: FireOutcome


@dataclass
class _Due:
    """What the first batch reads: the due cues and, when there are some, the last delivery number
    and (when handing off) the busy lanes. Read in the firing transaction, never carried over to
    another (a number cached across transactions collided with another writer's, and the
    duplicate-tolerant insert then dropped deliveries)."""

    rows: list
    last_seq: int = 0
    busy: set[tuple[str, str]] | None = None


@dataclass
class _Record:
    """How one due cue is to be recorded, decided on the event loop before the second batch."""

    row: Any
    fire: bool
    late: bool
    late_ms: int
    note: str
    expires_at: datetime
    rewritten: bool = False
    targets: list[str] = field(default_factory=list)
    parked: dict[str, str] = field(default_factory=dict)
    lease_until: datetime | None = None


def _read_due(conn: Connection, now: datetime, exclude: list[str], hand_off: bool) -> _Due:
    """The first batch: the due cues, then the firing context in one round trip."""
    rows = outbox_repo.due_cues_sync(conn, now, exclude)
    if not rows:
        return _Due(rows)
    lanes = {row.event_id for row in rows} if hand_off else None  # (a superset if some are skipped as loading)
    last, busy = outbox_repo.firing_context_sync(conn, lanes)
    return _Due(rows, last, busy)


def _write(
    conn: Connection, records: list[_Record], now: datetime, next_seq: int, busy: set[tuple[str, str]] | None
) -> tuple[list[bool], list[tuple[dict, Any]]]:
    """The second batch: mark each cue (a fired one with its rewrite and its deliveries). Returns
    whether each was recorded as the caller decided (False: another pass got there first, it counts
    as skipped) and the deliveries inserted already claimed, with their cue rows."""
    recorded: list[bool] = []
    claimed: list[tuple[dict, Any]] = []
    for record in records:
        row = record.row
        if not record.fire:
            outbox_repo.mark_cue_sync(conn, row, CueStatus.SKIPPED, now, record.late_ms, record.note)
            recorded.append(True)
            continue
        if record.rewritten:
            outbox_repo.set_cue_text_sync(conn, row)
        if not outbox_repo.mark_cue_sync(conn, row, CueStatus.FIRED, now, record.late_ms, record.note):
            recorded.append(False)
            continue
        mine: list[dict] = []
        next_seq = outbox_repo.add_deliveries_sync(
            conn,
            row,
            record.targets,
            now,
            record.expires_at,
            record.parked,
            next_seq,
            lease_until=record.lease_until,
            busy=busy,
            claimed=mine,
        )
        claimed += [(values, row) for values in mine]
        recorded.append(True)
    return recorded, claimed


class _Transaction(Protocol):
    """The tick's one transaction: `read` is its first batch (it begins it), `write` its last (it
    commits it). `conn` is the async connection on PostgreSQL (the writer's lock and the fence run
    on it), None on SQLite."""

    conn: AsyncConnection | None
    ended: bool

    async def read(self, fn: Callable[..., T], *args: Any, done: Callable[[T], bool]) -> T: ...

    async def write(self, fn: Callable[..., T], *args: Any) -> T: ...


class _AsyncTransaction:
    """PostgreSQL: the batches run through `run_sync` on the async connection; the caller's
    `db.begin()` commits."""

    ended = False

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn: AsyncConnection | None = conn
        self._conn = conn

    async def read(self, fn: Callable[..., T], *args: Any, done: Callable[[T], bool]) -> T:
        return await self._conn.run_sync(fn, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._conn.run_sync(fn, *args)


class _SerialTransaction:
    """SQLite: each batch is one call on the firing thread; the first begins (BEGIN IMMEDIATE) and,
    when `done` says there is nothing to write, ends it in the same call; the write commits in its call."""

    conn: AsyncConnection | None = None
    ended = False

    def __init__(self, serial: SerialSqlite) -> None:
        self.serial = serial

    async def read(self, fn: Callable[..., T], *args: Any, done: Callable[[T], bool]) -> T:
        serial = self.serial

        def batch() -> tuple[T, bool]:
            conn = serial.begin()
            try:
                result = fn(conn, *args)
                finished = done(result)
            except BaseException:
                serial.end(commit=False)
                raise
            if finished:
                serial.end(commit=False)  # nothing was written
            return result, finished

        result, self.ended = await serial.call(batch)
        return result

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        serial = self.serial

        def batch() -> T:
            conn = serial.open()
            try:
                result = fn(conn, *args)
            except BaseException:
                serial.end(commit=False)
                raise
            serial.end(commit=True)
            return result

        try:
            return await serial.call(batch)
        finally:
            self.ended = True  # committed, or rolled back on its thread


class Firing:
    """Fires the due cues of every loaded event (the timer calls `tick`)."""

    def __init__(
        self,
        db: AsyncEngine,
        clock: Clock,
        cache: EventCache,
        writer: Writer,
        broadcaster: Broadcaster,
        *,
        give_up: timedelta = timedelta(minutes=15),
        resolve_targets: Callable[[Schedule], dict[str, str]] = lambda schedule: {},
        hooks: Mapping[str, FireHook] | None = None,
        listeners: Sequence[FireListener] = (),
        on_change: Callable[[], None] = lambda: None,
        dispatch: Dispatch | None = None,
        serial: SerialSqlite | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.cache = cache
        self.writer = writer
        self.broadcaster = broadcaster
        self.give_up = give_up
        self.resolve_targets = resolve_targets
        # What runs when a cue fires, given by the composition root (app/bootstrap.py): `hooks` rewrite
        # a due cue of their kind before it is recorded; `listeners` hear each outcome after the commit.
        self.hooks: Mapping[str, FireHook] = hooks or {}
        self.listeners = listeners
        # A due cue's event was still loading: the timer wakes again at once and loads it.
        self._on_change = on_change
        # Whether this instance dispatches: the running delivery worker, when there is one, gets a
        # fired cue's deliveries inserted already claimed in the firing transaction right after the
        # commit (see outbox_repo.add_deliveries_sync; otherwise they wait for the worker's next pass); with
        # several instances its fence, checked in every firing transaction, stops a deposed dispatcher.
        self.dispatch = dispatch if dispatch is not None else Dispatch()
        # SQLite: the firing transaction runs on this thread of its own, in two calls (module docstring).
        # It is the single-process store: no shared writes, no fence (they need the async connection).
        if serial is not None and writer.shared is not None:
            raise ValueError("the SQLite firing thread serves a single instance: no shared writes")
        self.serial = serial
        # Real seconds from a tick's start to its commit, for the last ticks that fired (see lead).
        self._ready: deque[float] = deque(maxlen=32)

    def lead(self) -> float:
        """How far ahead of a cue's moment the timer should wake it (real seconds): nine in ten of
        the last ticks that fired were committed within that, with a quarter and 2 ms to spare."""
        if not self._ready:
            return LEAD_DEFAULT
        ordered = sorted(self._ready)
        ready = ordered[(len(ordered) - 1) * 9 // 10]
        return min(LEAD_MAX, max(LEAD_MIN, ready * 1.25 + 0.002))

    async def next_wake(self) -> datetime | None:
        """When the next pending cue is due."""
        async with self.db.begin() as conn:
            return await outbox_repo.next_cue_due(conn, exclude=self.cache.quarantined)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Transaction]:
        serial = self.serial
        if serial is None:
            async with self.db.begin() as conn:
                yield _AsyncTransaction(conn)
            return
        if self.dispatch.fenced:
            raise RuntimeError("a fenced dispatcher fires through the async connection (PostgreSQL), not SQLite's")
        txn = _SerialTransaction(serial)
        try:
            yield txn
        finally:
            if not txn.ended:  # a hook raised, or a cancel: roll back on the thread, after its call
                await serial.call(serial.end, False)

    async def tick(self, at: datetime | None = None) -> list[Fired]:
        """Fire (or skip) every due cue; returns what each did, in order.

        `at`: the moment the timer woke for, a few real milliseconds ahead of it (`lead`). The cues
        due by then are read, their hooks run, and they are decided and committed as of that moment
        (`fired_at` is the moment); then, the lock released, the tick waits for the moment on the
        event loop before the deliveries are handed to the worker and the listeners hear it. So
        a cue costs its wake-up jitter at its moment, not the read, the hooks, the writes and the
        commit (issue 27: about 5 ms of every cue's lateness on SQLite). A crash inside those few
        milliseconds leaves the cue fired with its deliveries leased, as a crash just after its
        moment would: they go after the restart. Without `at`, or past it, the due cues are those due
        now, decided and recorded now.
        """
        results: list[Fired] = []
        began = time.perf_counter()
        await self.cache.load_due()
        async with self.writer.lock:
            # One transaction for every due cue: a cue counts as fired when it commits, and a
            # catch-up after a restart commits once, not once per cue. Hooks run first, before
            # anything is written (on SQLite the transaction holds the write lock from its first
            # read, but a hook reading through its own connection never waits in WAL mode).
            async with self._transaction() as txn:
                if txn.conn is not None:
                    await self.writer.enter(txn.conn)
                    await self.dispatch.check(txn.conn)
                now = self.clock.now()
                ahead = at is not None and now < at and self.clock.real_delay(at) <= AHEAD_MAX_SECONDS
                horizon = at if ahead and at is not None else now
                hand_off = self.dispatch.hand_off
                exclude = list(self.cache.quarantined)
                due = await txn.read(_read_due, horizon, exclude, hand_off is not None, done=lambda d: not d.rows)
                rows = due.rows
                if any(self.cache.is_loading(row.event_id) for row in rows):
                    # Fell due since load_due looked: the re-arm wakes again at once and loads it.
                    rows = [row for row in rows if not self.cache.is_loading(row.event_id)]
                    self._on_change()
                if rows and txn.conn is not None:  # their schedules name the targets and the order
                    await self.writer.refresh_shared(txn.conn, sorted({row.event_id for row in rows}))
                rows = self._in_plan_order(rows)
                # Ahead of the moment, everything is decided and recorded as of the moment itself.
                now = horizon
                records = [self._decide(*await self._prepare(row, now), now) for row in rows]
                claimed: list[tuple[dict, Any]] = []
                if not txn.ended:
                    recorded, claimed = await txn.write(_write, records, now, due.last_seq + 1, due.busy)
                    for record, done in zip(records, recorded, strict=True):
                        results.append(Fired(record.row.event_id, record.row, self._outcome(record, done)))
                if txn.conn is not None:
                    for event_id in sorted({fired.event_id for fired in results}):
                        await self.writer.announce(txn.conn, event_id, "cue")
            if results:
                self._ready.append(time.perf_counter() - began)
        if ahead and results:
            await self._until(horizon)
        hand_off = self.dispatch.hand_off
        if claimed and hand_off is not None:  # committed as claimed: send now, before listeners and the re-plan
            hand_off.send_claimed(claimed)
        # Listeners (the timer kicks the delivery worker from one) hear before the re-plan below.
        for fired in results:
            for listener in self.listeners:
                listener(fired.event_id, fired.cue, fired.outcome)
        for event_id in {fired.event_id for fired in results}:
            if moves_with_time(self.cache.get(event_id)):
                await self.writer.sync(event_id)
            self.broadcaster.publish(event_id, "cue")
        return results

    async def _until(self, moment: datetime) -> None:
        """Wait for `moment` on the clock (committed ahead: nothing leaves before it). One sleep on a
        live clock, as precise as `loop.call_at`; a rehearsal's paced clock may stand still a while
        behind it (app/rehearsal/clock.py), so the clock itself is asked again. Outside the engine's
        lock: what holds a rehearsal's clock back may need the lock to let it go (a host's reaction)."""
        while self.clock.now() < moment:
            await asyncio.sleep(max(self.clock.real_delay(moment), MIN_WAIT_SECONDS))

    def _in_plan_order(self, rows: list) -> list:
        """Cues due at one instant fire in the timeline's order (what ends before what starts),
        not in whatever order the database returns ties (the order is prepared with the plan)."""
        orders: dict[str, dict[str, int]] = {}
        for event_id in {row.event_id for row in rows}:
            item = self.cache.get(event_id)
            orders[event_id] = item.plan_order() if item is not None else {}
        last = max((len(order) for order in orders.values()), default=0)
        return sorted(rows, key=lambda r: (r.due_at, orders[r.event_id].get(r.cue_id, last), r.cue_id))

    async def _prepare(self, row, now: datetime) -> tuple[Any, Decision]:
        # Half a real second of wake-up jitter is not lateness, however fast a rehearsal runs.
        grace = timedelta(seconds=0.5 * getattr(self.clock, "speed", 1.0))
        decision = decide(row.kind, row.due_at, now, row.data or {}, self.give_up, grace)
        hook = self.hooks.get(row.kind)
        update = await hook(row.event_id, row) if hook and decision.fire else None
        if update is not None:
            # SQLAlchemy rows are immutable and have no _replace: copy into a plain namespace.
            changed = {k: v for k, v in update.items() if k in row._fields}
            row = SimpleNamespace(**{**row._mapping, **changed}, rewritten=True)
        return row, decision

    def _decide(self, row, decision: Decision, now: datetime) -> _Record:
        """How a due cue is recorded: skipped with the reason, or fired with its deliveries."""
        late_ms = int((now - row.due_at).total_seconds() * 1000)
        if not decision.fire:
            return _Record(row, False, False, late_ms, decision.reason, decision.expires_at)
        item = self.cache.get(row.event_id)
        hand_off = self.dispatch.hand_off
        targets = list(dict.fromkeys(row.targets))  # one message per target, even from an older plan
        return _Record(
            row,
            fire=True,
            late=decision.late,
            late_ms=late_ms,
            note=late_note(late_ms) if decision.late else "",
            rewritten=getattr(row, "rewritten", False),
            targets=targets,
            parked=self.resolve_targets(item.schedule) if item else {},
            expires_at=decision.expires_at,
            lease_until=hand_off.lease_until(now, len(targets)) if hand_off is not None else None,
        )

    @staticmethod
    def _outcome(record: _Record, recorded: bool) -> FireOutcome:
        if not record.fire or not recorded:  # not recorded: another pass got there first
            return FireOutcome.SKIPPED
        return FireOutcome.LATE if record.late else FireOutcome.FIRED
