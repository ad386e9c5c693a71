"""The run engine: host actions in, dated cues out, with the database as the source of truth.

Every change is one transaction: append to the run log -> rebuild the timeline (pure) -> sync the
outbox; only after it commits does the cached state change and the timer re-arm. A change that
cannot be stored leaves no trace. Nothing lives only in memory, so a restart rebuilds exactly the
same state. The rules for host actions live in the run service (app/run/), which acts through
`transact` under the engine's lock. With several instances on one PostgreSQL database (`shared`),
each write also takes a cluster-wide lock first and refreshes the cached event from the stored
one, so every instance checks the rules against the same state (app/cluster/).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.engine.broadcast import Broadcaster
from app.engine.clock import Clock
from app.engine.lateness import Decision, decide, stale
from app.errors import NotFound, NotRecorded
from app.store import events_repo, outbox_repo
from schedules.adjustments import Adjustment
from schedules.load import MAX_BYTES, load_text
from schedules.model import Schedule
from schedules.problems import ScheduleError
from schedules.timeline import TIMER_OVER_GRACE, Timeline, build_timeline
from schedules.timers import TimerStatus

log = logging.getLogger("showcaller.engine")
FireHook = Callable[[str, Any], Awaitable[dict[str, Any] | None]]
FireListener = Callable[[str, Any, str], None]


class UnknownEvent(NotFound, LookupError):
    """No event with that id is loaded."""

    def __init__(self, event_id: str):
        super().__init__(f"no event '{event_id}' is loaded")


@dataclass
class Loaded:
    """An event's schedule and run log (with who took each action), cached from the database."""

    schedule: Schedule
    actions: list[Adjustment]
    timeline: Timeline | None = None
    actors: dict[int, str | None] = field(default_factory=dict)
    schedule_hash: str | None = None  # with the last run-log seq: the version another instance may have changed

    @property
    def version(self) -> tuple[str | None, int]:
        return self.schedule_hash, (self.actions[-1].seq or 0) if self.actions else 0


@dataclass
class Txn:
    """One change being recorded under the engine's lock: what is known now, and what to append.

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

    def timeline(self, extra: Adjustment | None = None) -> Timeline:
        """The timeline with what is appended so far (plus `extra`, to preview an action)."""
        actions = self.actions if extra is None else [*self.actions, extra]
        return build_timeline(self.schedule, actions, self.now, self.timer_grace)

    async def append(self, adjustment: Adjustment, actor: str | None) -> Adjustment:
        """Append a host action to the run log; returns it with its own sequence number."""
        seq = await events_repo.append_action(self.conn, self.event_id, adjustment, actor)
        numbered = type(adjustment)(**{**adjustment.__dict__, "seq": seq})
        self.actions.append(numbered)
        self.actors[seq] = actor
        self.appended.append(numbered)
        return numbered


def quarantine_reason(exc: Exception) -> str:
    """One line saying why a stored event could not be loaded."""
    if isinstance(exc, ScheduleError):
        first = exc.problems[0].render() if exc.problems else str(exc)
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return f"stored schedule is invalid: {first}{more}"
    text = " ".join(str(exc).split())[:300]
    return f"stored run log or schedule cannot be loaded: {type(exc).__name__}: {text}"


def _moves_with_time(item: Loaded | None) -> bool:
    """Whether re-planning later can change the cues: only a hold or a paused timer projects from
    the present; otherwise the timeline is the same whenever it is built, so re-planning after a
    fire would be wasted work between two cues."""
    timeline = item.timeline if item else None
    return (
        timeline is None
        or timeline.held_segment is not None
        or any(t.status is TimerStatus.paused for t in timeline.timers)
    )


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
    timer_grace: timedelta | None = TIMER_OVER_GRACE
    # Events whose stored schedule or run log could not be loaded at start-up: id -> reason.
    # Shared with Runtime.quarantined; their cues are neither fired nor re-planned.
    quarantined: dict[str, str] = field(default_factory=dict)
    max_schedule_bytes: int = MAX_BYTES
    # Several instances on one PostgreSQL database (app.cluster.writes.SharedWrites): every write
    # takes the cluster-wide writer lock, refreshes the cached event and announces its change.
    # None: this process is the only writer (SQLite), and the cache is always current.
    shared: Any = None
    _events: dict[str, Loaded] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The next delivery number, valid only inside the current tick's transaction: it is read from
    # the database in that transaction, never carried over (a number cached across transactions
    # collided with another writer's, and the duplicate-tolerant insert then dropped deliveries).
    _next_seq: int | None = None

    async def start(self) -> None:
        """Load every stored event and bring its outbox up to date (used at start-up)."""
        async with self.db.begin() as conn:
            rows = await events_repo.list_events(conn)
        for row in rows:
            try:
                await self._reload(row.id)
                await self._sync(row.id)
            except Exception as exc:  # one bad event must never stop the others
                self._quarantine(row.id, exc)

    def _quarantine(self, event_id: str, exc: Exception) -> None:
        self._events.pop(event_id, None)
        reason = quarantine_reason(exc)
        self.quarantined[event_id] = reason
        log.error(
            "event %s quarantined (its cues will not fire): %s; fix it with `showcaller events "
            "repair %s` or `showcaller events remove %s`",
            event_id,
            reason,
            event_id,
            event_id,
        )

    async def load_schedule(self, text: str, source: str, schedule: Schedule | None = None) -> Schedule:
        """Validate and store a schedule (new or edited) and plan its cues; raises ScheduleError.
        `schedule` is the text already parsed (off the event loop, for uploads)."""
        schedule = schedule or load_text(text, source, self.max_schedule_bytes)
        event_id = schedule.event.id
        async with self._lock:
            async with _recording(), self.db.begin() as conn:
                await self._enter(conn)
                now = self.clock.now()
                await events_repo.upsert_event(conn, schedule, source, text, now)
                log_rows = await events_repo.load_log(conn, event_id)
                item = Loaded(
                    schedule,
                    [a for a, _ in log_rows],
                    actors={a.seq: who for a, who in log_rows},
                    schedule_hash=events_repo.text_hash(text),
                )
                item.timeline = build_timeline(schedule, item.actions, now, self.timer_grace)
                await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, now)
                await self.announce(conn, event_id, "schedule")
            self._events[event_id] = item
            self.quarantined.pop(event_id, None)  # a good schedule replaces a quarantined one
        self.on_change()
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
            await self._enter(conn)
            await events_repo.delete_event(conn, event_id)
            await self.announce(conn, event_id, "removed")
        self._events.pop(event_id, None)
        self.quarantined.pop(event_id, None)

    @property
    def lock(self) -> asyncio.Lock:
        """Held while the engine writes the outbox (firing cues numbers deliveries)."""
        return self._lock

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction outside the engine's own (delivery resends): under the engine's
        lock and, on a shared database, the cluster-wide writer lock."""
        async with self._lock, self.db.begin() as conn:
            await self._enter(conn)
            yield conn

    async def _enter(self, conn: AsyncConnection, event_ids: list[str] | None = None) -> None:
        """First statement of every write: on a shared database, wait for other instances' writes and
        bring the named events' cache up to date with what they stored."""
        if self.shared is not None:
            await self.shared.lock(conn)
            if event_ids:
                await self._refresh(conn, event_ids)

    async def announce(self, conn: AsyncConnection, event_id: str, reason: str) -> None:
        """On a shared database, tell the other instances (on commit) that `event_id` changed."""
        if self.shared is not None:
            await self.shared.announce(conn, event_id, reason)

    async def refresh(self, event_ids: list[str] | None = None) -> set[str]:
        """Reload cached events another instance changed (all stored ones when None); returns those
        whose cache changed. Used when a change notice arrives."""
        async with self.db.begin() as conn:
            return await self._refresh(conn, event_ids)

    async def _refresh(self, conn: AsyncConnection, event_ids: list[str] | None) -> set[str]:
        stored = await events_repo.versions(conn, event_ids)
        changed = set()
        for event_id in sorted(set(event_ids) if event_ids is not None else set(stored) | set(self._events)):
            item, version = self._events.get(event_id), stored.get(event_id)
            if version is None:  # removed by another instance
                if self._events.pop(event_id, None) is not None or self.quarantined.pop(event_id, None):
                    changed.add(event_id)
                continue
            if item is not None and item.version == version:
                continue
            row = await events_repo.get_event(conn, event_id)
            log_rows = await events_repo.load_log(conn, event_id)
            try:
                same = item is not None and item.schedule_hash == row.schedule_hash
                schedule = item.schedule if same else load_text(row.schedule_text, row.source, self.max_schedule_bytes)
            except Exception as exc:  # as at start-up: a bad stored schedule stops only its own event
                if event_id not in self.quarantined:
                    self._quarantine(event_id, exc)
                    changed.add(event_id)
                continue
            fresh = Loaded(schedule, [a for a, _ in log_rows], actors={a.seq: who for a, who in log_rows})
            fresh.schedule_hash = row.schedule_hash
            fresh.timeline = build_timeline(schedule, fresh.actions, self.clock.now(), self.timer_grace)
            self._events[event_id] = fresh
            self.quarantined.pop(event_id, None)
            changed.add(event_id)
        return changed

    def event_ids(self) -> list[str]:
        return sorted(self._events)

    def timeline(self, event_id: str) -> Timeline:
        """The current timeline (recomputed so holds and timers project against the present)."""
        item = self.loaded(event_id)
        return build_timeline(item.schedule, item.actions, self.clock.now(), self.timer_grace)

    async def transact(self, event_id: str, work: Callable[[Txn], Awaitable[Any]]) -> Any:
        """Run `work` under the engine's lock in one transaction with the outbox sync it causes.

        `work` checks its rules against `txn` (the state now) and appends through it. If it raises,
        or the database refuses anything, nothing is stored and the cached state is unchanged.
        """
        async with self._lock:
            timeline = None
            async with _recording(), self.db.begin() as conn:
                await self._enter(conn, [event_id])
                item = self.loaded(event_id)
                now = self.clock.now()
                txn = Txn(event_id, item.schedule, now, conn, list(item.actions), dict(item.actors), self.timer_grace)
                result = await work(txn)
                if txn.appended:
                    timeline = txn.timeline()
                    gone = {c.id for c in timeline.cues if stale(c.kind.value, now, c.data)}
                    await outbox_repo.sync_cues(
                        conn, event_id, timeline.cues, now, action=txn.appended[-1].seq, stale=gone
                    )
                    await self.announce(conn, event_id, txn.appended[-1].kind)
            if txn.appended:
                item.actions, item.actors, item.timeline = txn.actions, txn.actors, timeline
                if event_id in self._events:  # a reload meanwhile (a take-over) must not hide this change
                    self._events[event_id] = item
        if txn.appended:
            self.on_change()
            self.broadcaster.publish(event_id, txn.appended[-1].kind)
        return result

    async def act(self, event_id: str, make: Callable[[datetime], Adjustment], actor: str | None = None) -> Adjustment:
        """Record an action taken now without rules (system actors; hosts go through the run service)."""

        async def work(txn: Txn) -> Adjustment:
            return await txn.append(make(txn.now), actor)

        return await self.transact(event_id, work)

    async def _reload(self, event_id: str) -> None:
        async with self.db.begin() as conn:
            row = await events_repo.get_event(conn, event_id)
            log_rows = await events_repo.load_log(conn, event_id)
        schedule = load_text(row.schedule_text, row.source, self.max_schedule_bytes)
        self._events[event_id] = Loaded(
            schedule,
            [a for a, _ in log_rows],
            actors={a.seq: who for a, who in log_rows},
            schedule_hash=row.schedule_hash,
        )

    async def _sync(self, event_id: str) -> None:
        async with self._lock, self.db.begin() as conn:
            await self._enter(conn, [event_id])
            if event_id not in self._events:  # removed by another instance meanwhile
                return
            timeline = self.timeline(event_id)
            self._events[event_id].timeline = timeline
            await outbox_repo.sync_cues(conn, event_id, timeline.cues, self.clock.now())
        self.on_change()

    async def next_wake(self) -> datetime | None:
        """When the next pending cue is due."""
        async with self.db.begin() as conn:
            return await outbox_repo.next_cue_due(conn, exclude=self.quarantined)

    async def tick(self) -> list[tuple[Any, str]]:
        """Fire (or skip) every due cue; returns (cue row, 'fired'|'late'|'skipped') in order."""
        results = []
        async with self._lock:
            # One transaction for every due cue: a cue counts as fired when it commits, and a
            # catch-up after a restart commits once, not once per cue. Hooks run first, before
            # anything is written, so a hook reading through its own connection never waits.
            async with self.db.begin() as conn:
                await self._enter(conn)
                now = self.clock.now()
                self._next_seq = None
                rows = await outbox_repo.due_cues(conn, now, exclude=self.quarantined)
                if rows and self.shared is not None:  # their schedules name the targets and the order
                    await self._refresh(conn, sorted({row.event_id for row in rows}))
                rows = self._in_plan_order(rows)
                due = [await self._prepare(row, now) for row in rows]
                for row, decision in due:
                    results.append((row, await self._record(conn, row, decision, now)))
                for event_id in sorted({row.event_id for row, _ in results}):
                    await self.announce(conn, event_id, "cue")
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
        decision = decide(row.kind, row.due_at, now, row.data or {}, self.give_up, grace)
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
        self._next_seq = await outbox_repo.add_deliveries(
            conn, row, list(row.targets), now, decision.expires_at, parked, self._next_seq
        )
        return "late" if decision.late else "fired"


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
