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
import gc
import hashlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import __version__
from app.core.errors import Invalid, NotFound, NotRecorded, NotYetLoaded
from app.core.vocabulary import CueStatus, FireOutcome
from app.engine.broadcast import Broadcaster
from app.engine.clock import Clock
from app.engine.dispatch import Dispatch
from app.engine.lateness import Decision, decide, stale
from app.store import events_repo, outbox_repo
from schedules.adjustments import Adjustment
from schedules.load import MAX_BYTES, check_source, load_text
from schedules.model import Schedule
from schedules.problems import ScheduleError
from schedules.timeline import TIMER_OVER_GRACE, Timeline, build_timeline
from schedules.timers import TimerStatus

log = logging.getLogger("showcaller.engine")
FireHook = Callable[[str, Any], Awaitable[dict[str, Any] | None]]
FireListener = Callable[[str, Any, FireOutcome], None]


class Shared(Protocol):
    """Writes shared with other instances on one PostgreSQL database (app.cluster.writes.SharedWrites)."""

    async def lock(self, conn: AsyncConnection) -> None: ...

    async def announce(self, conn: AsyncConnection, event_id: str, reason: str) -> None: ...


# Bump when the planner (build_timeline, sync_cues) would plan differently from the same schedule
# and run log: every stored event is then re-planned once at the next start.
# 2: a cue's named targets are a set (an announcement stored with a target twice posts it once).
PLAN_VERSION = "2"


class UnknownEvent(NotFound, LookupError):
    """No event with that id is loaded."""

    def __init__(self, event_id: str):
        super().__init__(f"no event '{event_id}' is loaded")


class EventLoading(NotYetLoaded, LookupError):
    """The event is stored but start-up has not loaded it yet (503 with Retry-After)."""

    def __init__(self, event_id: str, loaded: int, total: int):
        super().__init__(
            f"event '{event_id}' is still loading after a restart ({loaded} of {total} events in memory); "
            "try again in a moment",
            loaded=loaded,
            total=total,
        )


@dataclass
class Loaded:
    """An event's schedule and run log (with who took each action), cached from the database."""

    schedule: Schedule
    actions: list[Adjustment]
    timeline: Timeline | None = None
    actors: dict[int, str | None] = field(default_factory=dict)
    schedule_hash: str = ""  # of the stored schedule text: the plan fingerprint and the cluster version

    @property
    def version(self) -> tuple[str | None, int]:
        """With the last run-log seq: the version another instance may have changed."""
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
    return _timeline_moves(item.timeline if item else None)


def plan_fingerprint(schedule_hash: str, last_seq: int, grace: timedelta | None) -> str:
    """What an outbox sync plans from: the schedule text, the run log (its last seq), the timer
    grace setting and the planner's version. Equal fingerprints plan equal outboxes, unless the
    timeline moves with time (then none is stored)."""
    seconds = grace.total_seconds() if grace is not None else None
    text = f"{PLAN_VERSION}|{__version__}|{schedule_hash}|{last_seq}|{seconds}"
    return hashlib.sha256(text.encode()).hexdigest()


def _timeline_moves(timeline: Timeline | None) -> bool:
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
    # What runs when a cue fires, given by the composition root (app/bootstrap.py): `hooks` rewrite
    # a due cue of their kind before it is recorded; `listeners` hear each outcome after the commit.
    hooks: Mapping[str, FireHook] = field(default_factory=dict)
    listeners: Sequence[FireListener] = ()
    # After every committed change that moves the plan (the timer re-arms).
    on_change: Callable[[], None] = lambda: None
    timer_grace: timedelta | None = TIMER_OVER_GRACE
    # Events whose stored schedule or run log could not be loaded at start-up: id -> reason.
    # Shared with Services.quarantined; their cues are neither fired nor re-planned.
    quarantined: dict[str, str] = field(default_factory=dict)
    max_schedule_bytes: int = MAX_BYTES
    # The most messages (cue x target) one action may queue (SHOWCALLER_MAX_MESSAGES_PER_ACTION);
    # None: unbounded. A bug or a hostile request must not bury a target's lane under thousands.
    max_messages_per_action: int | None = None
    # Several instances on one PostgreSQL database (app.cluster.writes.SharedWrites): every write
    # takes the cluster-wide writer lock, refreshes the cached event and announces its change.
    # None: this process is the only writer (SQLite), and the cache is always current.
    shared: Shared | None = None
    # Whether this instance dispatches: the running delivery worker, when there is one, gets a
    # fired cue's deliveries inserted already claimed in the firing transaction right after the
    # commit (see outbox_repo.add_deliveries; otherwise they wait for the worker's next pass); with
    # several instances its fence, checked in every firing transaction, stops a deposed dispatcher.
    dispatch: Dispatch = field(default_factory=Dispatch)
    # Move loaded schedules and timelines out of the cyclic collector's reach once they are loaded
    # (`serve` sets it; see _freeze_loaded). Off by default: tests build many engines in one process.
    freeze_loaded: bool = False
    # How many stored events start() loads before it returns; the rest load in the background
    # (or on demand) while the API already answers.
    inline_events: int = 10
    # Start-up counters: events stored, and how many needed their outbox re-planned.
    catch_up_total: int = 0
    resynced: int = 0
    _events: dict[str, Loaded] = field(default_factory=dict)
    # Stored events start() has yet to bring into memory, in loading order; and those of them
    # whose outbox may be out of date (/readyz waits for these).
    _pending: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _stale: set[str] = field(default_factory=set)
    _loads: dict[str, asyncio.Task] = field(default_factory=dict)
    _catch_up: asyncio.Task | None = None
    _halt: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _busy: set[tuple[str, str]] | None = None
    _claimed: list[tuple[dict, Any]] = field(default_factory=list)
    # The next delivery number, valid only inside the current tick's transaction: it is read from
    # the database in that transaction, never carried over (a number cached across transactions
    # collided with another writer's, and the duplicate-tolerant insert then dropped deliveries).
    _next_seq: int | None = None

    async def start(self) -> None:
        """(Re)load every stored event and bring its outbox up to date, without blocking start-up.

        One pass over the events table finds the events whose outbox may be out of date: no stored
        plan fingerprint, or one that no longer matches (the schedule, the run log, the timer
        grace or the planner changed; a timeline that moves with time stores none). Only those are
        re-planned; every other outbox is already right. A background task re-plans them first,
        then brings the rest into memory, soonest-due first; the `inline_events` first ones load
        before this returns. Meanwhile anything that needs an event not in memory loads it on
        demand (`ensure_loaded`): the API, the timer before firing a due cue, the delivery worker.
        `progress()` says how far the re-planning is (for /readyz).
        """
        await self.stop()
        async with self.db.begin() as conn:
            order = await outbox_repo.catch_up_order(conn)
            stored = await events_repo.plan_state(conn)
        stale = {
            event_id
            for event_id, (digest, fingerprint, last) in stored.items()
            if fingerprint is None or fingerprint != plan_fingerprint(digest, last, self.timer_grace)
        }
        # What may be out of date first (soonest-due first), then the rest into memory.
        self._pending = OrderedDict.fromkeys([e for e in order if e in stale] + [e for e in order if e not in stale])
        self._stale = {e for e in stale if e in self._pending}
        self.catch_up_total, self.resynced = len(order), 0
        for event_id in list(self._pending)[: self.inline_events]:
            await self.ensure_loaded(event_id)
        if self._pending:
            self._catch_up = asyncio.get_running_loop().create_task(self._load_pending(), name="event-catch-up")
        else:
            self._loaded()

    async def stop(self) -> None:
        """Stop a catch-up still running (before the database is closed): it finishes the event it
        is loading (cancelling a database call half-way leaves SQLite connections in a bad state)."""
        task, self._catch_up = self._catch_up, None
        if self._loads:  # loads asked for on demand: let them finish their database work too
            await asyncio.wait(list(self._loads.values()), timeout=10)
        if task is None or task.done():
            return
        self._halt = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._halt = False

    async def caught_up(self) -> None:
        """Wait until every stored event is in memory (tests, benchmarks)."""
        if self._catch_up is not None:
            await asyncio.shield(self._catch_up)

    def progress(self) -> tuple[int, int]:
        """(events whose outbox is known up to date, events stored at start): re-planning is done
        when they are equal; events not in memory yet are loaded on demand."""
        return self.catch_up_total - len(self._stale), self.catch_up_total

    def in_memory(self) -> int:
        """How many events are loaded (the rest of the stored ones load in the background)."""
        return len(self._events)

    def is_loading(self, event_id: str) -> bool:
        """Stored but not in memory yet: `ensure_loaded` loads it."""
        return event_id in self._pending and event_id not in self._events

    async def ensure_loaded(self, event_id: str) -> None:
        """Load a stored event not in memory yet (re-planning it if it changed); a no-op otherwise.
        Concurrent callers share one load."""
        if self.is_loading(event_id):
            await self._load_shared(event_id)

    async def _load_shared(self, event_id: str) -> None:
        """(Re)load an event start() listed; one load however many wait for it. An event already
        in memory (a second start) keeps serving its cached copy until the fresh one replaces it."""
        task = self._loads.get(event_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load_one(event_id), name=f"load-{event_id}")
            self._loads[event_id] = task
            task.add_done_callback(lambda _: self._loads.pop(event_id, None))
        await asyncio.shield(task)

    async def _load_pending(self) -> None:
        while self._pending and not self._halt:
            await self._load_shared(next(iter(self._pending)))
            await asyncio.sleep(0)  # requests and the timer run between two events
        if not self._halt:
            self._loaded()

    def _freeze_loaded(self) -> None:
        """Loaded events live as long as the process: keep them out of the cyclic collector's full
        passes, which walk every tracked object (300 events are ~175,000 objects and a full pass
        over them took 170-440 ms here, a stall of the timer and every stream). Young garbage is
        collected first, so little garbage is frozen with them."""
        if self.freeze_loaded:
            gc.collect(1)
            gc.freeze()

    def _loaded(self) -> None:
        self._freeze_loaded()
        log.info(
            "caught up: %d stored events in memory, %d re-planned, %d quarantined",
            len(self._events),
            self.resynced,
            len(self.quarantined),
        )
        self.on_change()

    async def _load_one(self, event_id: str) -> None:
        """Load one stored event; re-plan its outbox only if what it was planned from changed."""
        try:
            async with self.db.begin() as conn:
                row = await events_repo.get_event(conn, event_id)
                log_rows = await events_repo.load_log(conn, event_id) if row is not None else []
            if row is None:  # removed since the list was read
                return
            schedule = load_text(row.schedule_text, row.source, self.max_schedule_bytes)
            item = Loaded(
                schedule,
                [a for a, _ in log_rows],
                actors={a.seq: who for a, who in log_rows},
                schedule_hash=row.schedule_hash,
            )
            changed = False
            async with self._lock:
                if event_id not in self._pending:  # a new schedule or an action replaced it meanwhile
                    return
                now = self.clock.now()
                item.timeline = build_timeline(schedule, item.actions, now, self.timer_grace)
                fingerprint = self._fingerprint(item)
                if fingerprint is None or fingerprint != row.plan_fingerprint:
                    async with self.db.begin() as conn:
                        await self._enter(conn, [event_id])
                        if self.shared is not None and event_id in self._events:
                            # Another instance may have changed it since it was read: plan the
                            # copy just refreshed under the writer lock, never an older one.
                            item = self._events[event_id]
                            item.timeline = build_timeline(item.schedule, item.actions, now, self.timer_grace)
                            fingerprint = self._fingerprint(item)
                        assert item.timeline is not None  # built just above
                        changed = await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, now) > 0
                        await events_repo.set_plan_fingerprint(conn, event_id, fingerprint)
                        if changed:
                            await self.announce(conn, event_id, "replan")
                    self.resynced += 1
                self._events[event_id] = item
                self._pending.pop(event_id, None)
            if changed:
                self.on_change()
            # `serve` checked the targets of the events it loaded before answering; say so for the rest.
            for target, problem in self.resolve_targets(schedule).items():
                log.warning(
                    "event %s: target '%s' cannot be used (its messages are parked): %s", event_id, target, problem
                )
        except Exception as exc:  # one bad event must never stop the others
            self._quarantine(event_id, exc)
        finally:
            self._pending.pop(event_id, None)
            self._stale.discard(event_id)

    async def _load_due(self) -> None:
        """Load the not-yet-loaded events that have a cue due now, before tick fires it."""
        if not any(self.is_loading(event_id) for event_id in self._pending):
            return
        async with self.db.begin() as conn:
            rows = await outbox_repo.due_cues(conn, self.clock.now(), exclude=self.quarantined)
        for event_id in dict.fromkeys(row.event_id for row in rows):
            await self.ensure_loaded(event_id)

    def _fingerprint(self, item: Loaded) -> str | None:
        """The plan fingerprint to store after syncing `item`'s timeline (None: re-plan next start)."""
        if _timeline_moves(item.timeline):
            return None
        return plan_fingerprint(item.schedule_hash, item.actions[-1].seq if item.actions else 0, self.timer_grace)

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
        check_source(source)  # before the store, which keeps SOURCE characters (SQLite would keep more)
        schedule = schedule or load_text(text, source, self.max_schedule_bytes)
        event_id = schedule.event.id
        # Planning a large schedule is pure CPU work: done in a thread (as parsing is in a child) and
        # before taking the lock, so the loop and the timer go on firing other events' cues. The
        # draft is kept when nothing it depends on moved meanwhile: the same run log, and no hold or
        # timer (the only parts of a plan that depend on `now`); otherwise it is planned again below.
        async with self.db.begin() as conn:
            ahead = [a for a, _ in await events_repo.load_log(conn, event_id)]
        draft = await asyncio.to_thread(build_timeline, schedule, ahead, self.clock.now(), self.timer_grace)
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
                moved = [a.seq for a in ahead] != [a.seq for a in item.actions]
                if moved or draft.held_segment is not None or draft.timers:
                    draft = await asyncio.to_thread(build_timeline, schedule, item.actions, now, self.timer_grace)
                item.timeline = draft
                await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, now)
                await events_repo.set_plan_fingerprint(conn, event_id, self._fingerprint(item))
                await self.announce(conn, event_id, "schedule")
            self._events[event_id] = item
            self._pending.pop(event_id, None)  # fresher than what catch-up would load
            self._stale.discard(event_id)
            self.quarantined.pop(event_id, None)  # a good schedule replaces a quarantined one
        self._freeze_loaded()
        self.on_change()
        return schedule

    def loaded(self, event_id: str) -> Loaded:
        """The cached event; raises EventLoading (still catching up) or UnknownEvent."""
        try:
            return self._events[event_id]
        except KeyError:
            if event_id in self._pending:  # callers that can wait use ensure_loaded first
                self._pending.move_to_end(event_id, last=False)  # someone is waiting for it: load it next
                raise EventLoading(event_id, len(self._events), self.catch_up_total) from None
            raise UnknownEvent(event_id) from None

    async def forget(self, event_id: str) -> None:
        """Delete an event and everything it ran (used before a rehearsal replays it)."""
        async with self._lock, self.db.begin() as conn:
            await self._enter(conn)
            await events_repo.delete_event(conn, event_id)
            await self.announce(conn, event_id, "removed")
        self._events.pop(event_id, None)
        self._pending.pop(event_id, None)
        self._stale.discard(event_id)
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
            if event_ids is None and self.is_loading(event_id):
                continue  # start-up's catch-up loads it from the database, under the writer lock
            item, version = self._events.get(event_id), stored.get(event_id)
            if version is None:  # removed by another instance
                if self._events.pop(event_id, None) is not None or self.quarantined.pop(event_id, None) is not None:
                    changed.add(event_id)
                continue
            if item is not None and item.version == version:
                continue
            row = await events_repo.get_event(conn, event_id)
            log_rows = await events_repo.load_log(conn, event_id)
            try:
                if item is not None and item.schedule_hash == row.schedule_hash:
                    schedule = item.schedule  # only the run log changed: no need to parse again
                else:
                    schedule = load_text(row.schedule_text, row.source, self.max_schedule_bytes)
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
                    await events_repo.set_plan_fingerprint(conn, event_id, self._fingerprint(planned))
                    await self.announce(conn, event_id, txn.appended[-1].kind)
            if txn.appended:
                item.actions, item.actors, item.timeline = txn.actions, txn.actors, timeline
                if event_id in self._events:  # a reload meanwhile (a take-over) must not hide this change
                    self._events[event_id] = item
                self._pending.pop(event_id, None)  # a re-start's catch-up must not load an older copy
                self._stale.discard(event_id)
        if txn.appended:
            self.on_change()
            self.broadcaster.publish(event_id, txn.appended[-1].kind)
        return result

    async def act(self, event_id: str, make: Callable[[datetime], Adjustment], actor: str | None = None) -> Adjustment:
        """Record an action taken now without rules (system actors; hosts go through the run service)."""

        async def work(txn: Txn) -> Adjustment:
            return await txn.append(make(txn.now), actor)

        return await self.transact(event_id, work)

    async def _sync(self, event_id: str) -> None:
        async with self._lock, self.db.begin() as conn:
            await self._enter(conn, [event_id])
            if event_id not in self._events:  # removed by another instance meanwhile
                return
            item = self._events[event_id]
            item.timeline = self.timeline(event_id)
            await outbox_repo.sync_cues(conn, event_id, item.timeline.cues, self.clock.now())
            await events_repo.set_plan_fingerprint(conn, event_id, self._fingerprint(item))
        self.on_change()

    async def next_wake(self) -> datetime | None:
        """When the next pending cue is due."""
        async with self.db.begin() as conn:
            return await outbox_repo.next_cue_due(conn, exclude=self.quarantined)

    async def tick(self) -> list[tuple[Any, FireOutcome]]:
        """Fire (or skip) every due cue; returns (cue row, outcome) in order."""
        results = []
        await self._load_due()
        async with self._lock:
            # One transaction for every due cue: a cue counts as fired when it commits, and a
            # catch-up after a restart commits once, not once per cue. Hooks run first, before
            # anything is written, so a hook reading through its own connection never waits.
            async with self.db.begin() as conn:
                await self._enter(conn)
                await self.dispatch.check(conn)
                now = self.clock.now()
                self._next_seq, self._busy, self._claimed = None, None, []
                rows = await outbox_repo.due_cues(conn, now, exclude=self.quarantined)
                if any(self.is_loading(row.event_id) for row in rows):
                    # Fell due since _load_due looked: the re-arm wakes again at once and loads it.
                    rows = [row for row in rows if not self.is_loading(row.event_id)]
                    self.on_change()
                if rows and self.shared is not None:  # their schedules name the targets and the order
                    await self._refresh(conn, sorted({row.event_id for row in rows}))
                rows = self._in_plan_order(rows)
                hand_off = self.dispatch.hand_off
                if rows and hand_off is not None:
                    self._busy = await outbox_repo.busy_lanes(conn, {row.event_id for row in rows})
                due = [await self._prepare(row, now) for row in rows]
                for row, decision in due:
                    results.append((row, await self._record(conn, row, decision, now)))
                for event_id in sorted({row.event_id for row, _ in results}):
                    await self.announce(conn, event_id, "cue")
            claimed, self._claimed = self._claimed, []
        hand_off = self.dispatch.hand_off
        if claimed and hand_off is not None:  # committed as claimed: send now, before listeners and the re-plan
            hand_off.send_claimed(claimed)
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

    async def _record(self, conn, row, decision: Decision, now: datetime) -> FireOutcome:
        late_ms = int((now - row.due_at).total_seconds() * 1000)
        if not decision.fire:
            await outbox_repo.mark_cue(conn, row, CueStatus.SKIPPED, now, late_ms, decision.reason)
            return FireOutcome.SKIPPED
        if getattr(row, "rewritten", False):
            await outbox_repo.set_cue_text(conn, row)
        note = f"late by {late_ms / 1000:.1f} s" if decision.late else ""
        if not await outbox_repo.mark_cue(conn, row, CueStatus.FIRED, now, late_ms, note):
            return FireOutcome.SKIPPED
        item = self._events.get(row.event_id)
        parked = self.resolve_targets(item.schedule) if item else {}
        if self._next_seq is None:
            self._next_seq = await outbox_repo.last_delivery_seq(conn) + 1
        targets = list(dict.fromkeys(row.targets))  # one message per target, even from an older plan
        hand_off = self.dispatch.hand_off
        lease_until = hand_off.lease_until(now, len(targets)) if hand_off is not None else None
        claimed: list[dict] = []
        self._next_seq = await outbox_repo.add_deliveries(
            conn,
            row,
            targets,
            now,
            decision.expires_at,
            parked,
            self._next_seq,
            lease_until=lease_until,
            busy=self._busy,
            claimed=claimed,
        )
        self._claimed += [(values, row) for values in claimed]
        return FireOutcome.LATE if decision.late else FireOutcome.FIRED


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
