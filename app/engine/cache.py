"""The event cache: every stored event's schedule, run log and timeline, in memory.

The database is the source of truth; the cache is what it says, loaded at start-up and kept
current: each write (app/engine/writer.py) updates it only after its transaction commits, so a
change that cannot be stored leaves no trace here, and a restart rebuilds exactly the same state.
Start-up returns after the first few events; the rest load in the background (catch-up,
soonest-due first) or on demand. An event whose stored schedule or run log cannot be loaded is
quarantined: its cues are neither fired nor re-planned, and the others run on. With several
instances on one PostgreSQL database, `refresh_in` brings named events up to date with what the
others stored (under the cluster-wide writer lock, app/cluster/).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import __version__
from app.core.errors import EventLoading, UnknownEvent
from app.engine.clock import Clock
from app.store import events_repo, outbox_repo
from schedules.adjustments import Adjustment
from schedules.i18n import SHIPPED, CatalogSearch
from schedules.load import MAX_BYTES, load_text
from schedules.model import Schedule
from schedules.problems import ScheduleError
from schedules.rundown import edited
from schedules.timeline import TIMER_OVER_GRACE, Timeline, build_timeline
from schedules.timers import TimerStatus

log = logging.getLogger("showcaller.engine")

# Bump when the planner (build_timeline, sync_cues) would plan differently from the same schedule
# and run log: every stored event is then re-planned once at the next start.
# 2: a cue's named targets are a set (an announcement stored with a target twice posts it once).
# 3: the early/late budget (an early show ends early unless run.early: absorb, up to max_duration),
#    and a respondent's timer plans nothing past the end of its segment.
PLAN_VERSION = "3"


@dataclass
class Loaded:
    """An event's schedule and run log (with who took each action), cached from the database."""

    schedule: Schedule
    actions: list[Adjustment]
    timeline: Timeline | None = None
    actors: dict[int, str | None] = field(default_factory=dict)
    schedule_hash: str = ""  # of the stored schedule text: the plan fingerprint and the cluster version
    # The stored row's source name and loaded_at, if this process stored it (an upload's answer).
    stored_as: tuple[str, datetime] | None = field(default=None, compare=False)
    _rundown: tuple[tuple, Schedule] | None = field(default=None, repr=False, compare=False)
    # Each planned cue's place in `timeline` (plan_order), worked out once per plan.
    _order: tuple[Timeline, dict[str, int]] | None = field(default=None, repr=False, compare=False)
    # The last projection of a timeline that depends on `now` (a hold, a timer): (actions, how
    # many, now, the timeline).
    _projection: tuple[list[Adjustment], int, datetime, Timeline] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def rundown(self) -> Schedule:
        """The schedule with the live rundown edits applied (the same object when there are none):
        what the timeline's segment rows index and what views show."""
        key = (id(self.schedule), len(self.actions), self.actions[-1].seq if self.actions else 0)
        if self._rundown is None or self._rundown[0] != key:
            self._rundown = (key, edited(self.schedule, self.actions))
        return self._rundown[1]

    def plan_order(self) -> dict[str, int]:
        """Each planned cue's place in the timeline (what ends before what starts), by cue id:
        worked out once per plan change, so a tick orders the cues due at one instant without
        walking the whole plan."""
        timeline = self.timeline
        if timeline is None:
            return {}
        if self._order is None or self._order[0] is not timeline:
            self._order = (timeline, {cue.id: index for index, cue in enumerate(timeline.cues)})
        return self._order[1]

    @property
    def version(self) -> tuple[str | None, int]:
        """With the last run-log seq: the version another instance may have changed."""
        return self.schedule_hash, (self.actions[-1].seq or 0) if self.actions else 0


# Re-plan a loaded event's outbox under the writer's lock if its stored fingerprint is out of date
# (app/engine/writer.py, Writer.catch_up): (event id, item, stored fingerprint) -> None when the
# event was replaced meanwhile, else (re-planned, outbox changed).
Replan = Callable[[str, Loaded, str | None], Awaitable[tuple[bool, bool] | None]]


def quarantine_reason(exc: Exception) -> str:
    """One line saying why a stored event could not be loaded."""
    if isinstance(exc, ScheduleError):
        first = exc.problems[0].render() if exc.problems else str(exc)
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return f"stored schedule is invalid: {first}{more}"
    text = " ".join(str(exc).split())[:300]
    return f"stored run log or schedule cannot be loaded: {type(exc).__name__}: {text}"


def moves_with_time(item: Loaded | None) -> bool:
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


def independent_of_now(timeline: Timeline) -> bool:
    """Whether building this timeline again later, from the same schedule and run log, gives the
    same one: only a hold and timers (running ones stop by themselves, paused ones project from the
    present) read `now` in build_timeline. Such a timeline is kept until the plan changes."""
    return timeline.held_segment is None and not timeline.timers


def _timeline_moves(timeline: Timeline | None) -> bool:
    return (
        timeline is None
        or timeline.held_segment is not None
        or any(t.status is TimerStatus.paused for t in timeline.timers)
    )


class EventCache:
    """Loads, catches up, quarantines and refreshes the stored events; answers what is loaded."""

    def __init__(
        self,
        db: AsyncEngine,
        clock: Clock,
        *,
        replan: Replan,
        on_change: Callable[[], None] = lambda: None,
        resolve_targets: Callable[[Schedule], dict[str, str]] = lambda schedule: {},
        timer_grace: timedelta | None = TIMER_OVER_GRACE,
        quarantined: dict[str, str] | None = None,
        max_schedule_bytes: int = MAX_BYTES,
        freeze_loaded: bool = False,
        inline_events: int = 10,
        catalogs: CatalogSearch = SHIPPED,
    ) -> None:
        self.db = db
        self.clock = clock
        # Re-plans an event whose outbox is out of date, under the writer's lock (the writer).
        self._replan = replan
        # After catch-up, or a load that changed an outbox: the plan moved (the timer re-arms).
        self._on_change = on_change
        self._resolve_targets = resolve_targets
        self.timer_grace = timer_grace
        # Events whose stored schedule or run log could not be loaded at start-up: id -> reason.
        # Shared with Services.quarantined; their cues are neither fired nor re-planned.
        self.quarantined: dict[str, str] = quarantined if quarantined is not None else {}
        self.max_schedule_bytes = max_schedule_bytes
        # Where a target's locale finds its catalog when a schedule is loaded (drafts: a rehearsal's preview).
        self.catalogs = catalogs
        # Move loaded schedules and timelines out of the cyclic collector's reach once they are
        # loaded (`serve` sets it; see freeze). Off by default: tests build many engines in one process.
        self.freeze_loaded = freeze_loaded
        # How many stored events start() loads before it returns; the rest load in the background
        # (or on demand) while the API already answers.
        self.inline_events = inline_events
        # Start-up counters: events stored, and how many needed their outbox re-planned.
        self.catch_up_total = 0
        self.resynced = 0
        self._events: dict[str, Loaded] = {}
        # Stored events start() has yet to bring into memory, in loading order; and those of them
        # whose outbox may be out of date (/readyz waits for these).
        self._pending: OrderedDict[str, None] = OrderedDict()
        self._stale: set[str] = set()
        self._loads: dict[str, asyncio.Task] = {}
        self._catch_up: asyncio.Task | None = None
        self._halt = False
        # How many timelines the engine built (start-up, writes, projections): each write builds
        # one, a read or a tick with no plan change none (tests assert it; see `build`).
        self.builds = 0

    def build(self, schedule: Schedule, actions: list[Adjustment], now: datetime | None) -> Timeline:
        """Build a timeline (pure CPU work); every build the engine does goes through here and is counted."""
        self.builds += 1
        return build_timeline(schedule, actions, now, self.timer_grace)

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

    def is_pending(self, event_id: str) -> bool:
        """Still listed by start(): a newer schedule or action has not replaced what it would load."""
        return event_id in self._pending

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

    def freeze(self) -> None:
        """Loaded events live as long as the process: keep them out of the cyclic collector's full
        passes, which walk every tracked object (300 events are ~175,000 objects and a full pass
        over them took 170-440 ms here, a stall of the timer and every stream). Young garbage is
        collected first, so little garbage is frozen with them."""
        if self.freeze_loaded:
            gc.collect(1)
            gc.freeze()

    def _loaded(self) -> None:
        self.freeze()
        log.info(
            "caught up: %d stored events in memory, %d re-planned, %d quarantined",
            len(self._events),
            self.resynced,
            len(self.quarantined),
        )
        self._on_change()

    async def _load_one(self, event_id: str) -> None:
        """Load one stored event; re-plan its outbox only if what it was planned from changed."""
        try:
            async with self.db.begin() as conn:
                row = await events_repo.get_event(conn, event_id)
                log_rows = await events_repo.load_log(conn, event_id) if row is not None else []
            if row is None:  # removed since the list was read
                return
            schedule = load_text(row.schedule_text, row.source, self.max_schedule_bytes, self.catalogs)
            item = Loaded(
                schedule,
                [a for a, _ in log_rows],
                actors={a.seq: who for a, who in log_rows},
                schedule_hash=row.schedule_hash,
            )
            outcome = await self._replan(event_id, item, row.plan_fingerprint)
            if outcome is None:  # a new schedule or an action replaced it meanwhile
                return
            replanned, changed = outcome
            if replanned:
                self.resynced += 1
            if changed:
                self._on_change()
            # `serve` checked the targets of the events it loaded before answering; say so for the rest.
            for target, problem in self._resolve_targets(schedule).items():
                log.warning(
                    "event %s: target '%s' cannot be used (its messages are parked): %s", event_id, target, problem
                )
        except Exception as exc:  # one bad event must never stop the others
            self.quarantine(event_id, exc)
        finally:
            self._pending.pop(event_id, None)
            self._stale.discard(event_id)

    async def load_due(self) -> None:
        """Load the not-yet-loaded events that have a cue due now, before a tick fires it."""
        if not any(self.is_loading(event_id) for event_id in self._pending):
            return
        async with self.db.begin() as conn:
            rows = await outbox_repo.due_cues(conn, self.clock.now(), exclude=self.quarantined)
        for event_id in dict.fromkeys(row.event_id for row in rows):
            await self.ensure_loaded(event_id)

    def fingerprint(self, item: Loaded) -> str | None:
        """The plan fingerprint to store after syncing `item`'s timeline (None: re-plan next start)."""
        if _timeline_moves(item.timeline):
            return None
        return plan_fingerprint(item.schedule_hash, item.actions[-1].seq if item.actions else 0, self.timer_grace)

    def quarantine(self, event_id: str, exc: Exception) -> None:
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

    # -- what the writer calls after its transaction committed --

    def install(self, event_id: str, item: Loaded) -> None:
        """A schedule just stored: fresher than what catch-up would load, and it replaces a
        quarantined one."""
        self._events[event_id] = item
        self._pending.pop(event_id, None)
        self._stale.discard(event_id)
        self.quarantined.pop(event_id, None)

    def settle(self, event_id: str, item: Loaded) -> None:
        """An action just recorded on `item` (updated in place)."""
        if event_id in self._events:  # a reload meanwhile (a take-over) must not hide this change
            self._events[event_id] = item
        self._pending.pop(event_id, None)  # a re-start's catch-up must not load an older copy
        self._stale.discard(event_id)

    def caught_up_one(self, event_id: str, item: Loaded) -> None:
        """Catch-up loaded (and, if needed, re-planned) `event_id` under the writer's lock."""
        self._events[event_id] = item
        self._pending.pop(event_id, None)

    def drop(self, event_id: str) -> None:
        """The event was deleted."""
        self._events.pop(event_id, None)
        self._pending.pop(event_id, None)
        self._stale.discard(event_id)
        self.quarantined.pop(event_id, None)

    def get(self, event_id: str) -> Loaded | None:
        """The cached event, or None (not loaded)."""
        return self._events.get(event_id)

    async def refresh(self, event_ids: list[str] | None = None) -> set[str]:
        """Reload cached events another instance changed (all stored ones when None); returns those
        whose cache changed. Used when a change notice arrives."""
        async with self.db.begin() as conn:
            return await self.refresh_in(conn, event_ids)

    async def refresh_in(self, conn: AsyncConnection, event_ids: list[str] | None) -> set[str]:
        """`refresh` inside a transaction (a write's, under the cluster-wide writer lock)."""
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
                    schedule = load_text(row.schedule_text, row.source, self.max_schedule_bytes, self.catalogs)
            except Exception as exc:  # as at start-up: a bad stored schedule stops only its own event
                if event_id not in self.quarantined:
                    self.quarantine(event_id, exc)
                    changed.add(event_id)
                continue
            fresh = Loaded(schedule, [a for a, _ in log_rows], actors={a.seq: who for a, who in log_rows})
            fresh.schedule_hash = row.schedule_hash
            fresh.timeline = self.build(schedule, fresh.actions, self.clock.now())
            self._events[event_id] = fresh
            self.quarantined.pop(event_id, None)
            changed.add(event_id)
        return changed

    def event_ids(self) -> list[str]:
        return sorted(self._events)

    def loaded(self, event_id: str) -> Loaded:
        """The cached event; raises EventLoading (still catching up) or UnknownEvent."""
        try:
            return self._events[event_id]
        except KeyError:
            if event_id in self._pending:  # callers that can wait use ensure_loaded first
                self._pending.move_to_end(event_id, last=False)  # someone is waiting for it: load it next
                raise EventLoading(event_id, len(self._events), self.catch_up_total) from None
            raise UnknownEvent(event_id) from None

    def timeline(self, event_id: str) -> Timeline:
        """The current timeline: the one the last plan change built, unless it depends on `now`
        (a hold, a timer), which is projected against the present (once per distinct `now`)."""
        return self.current(self.loaded(event_id))

    def current(self, item: Loaded, now: datetime | None = None) -> Timeline:
        """`item`'s timeline at `now` (default: the clock's), built only when it must be."""
        now = now or self.clock.now()
        known = self.known(item, now)
        if known is not None:
            return known
        projected = self.build(item.schedule, item.actions, now)
        self.remember(item, now, projected)
        return projected

    @staticmethod
    def known(item: Loaded, now: datetime) -> Timeline | None:
        """`item`'s timeline at `now` if it is already built: the plan's own when it does not depend
        on `now`, else the last projection if it was made at this very `now` (None: build it)."""
        planned = item.timeline
        if planned is not None and independent_of_now(planned):
            return planned
        seen = item._projection
        if seen is not None and seen[0] is item.actions and seen[1] == len(item.actions) and seen[2] == now:
            return seen[3]
        return None

    @staticmethod
    def remember(item: Loaded, now: datetime, timeline: Timeline) -> None:
        """Keep a timeline of `item.actions` projected at `now` (one that depends on `now`)."""
        if not independent_of_now(timeline):
            item._projection = (item.actions, len(item.actions), now, timeline)
