"""The dispatcher: fires (or skips) every due cue, in one transaction per tick.

A cue counts as fired when its transaction commits, together with its deliveries; a catch-up
after a restart commits once, not once per cue. A hook of the cue's kind may rewrite it first,
before anything is written. With several instances, the dispatcher's fence is checked in every
firing transaction, so a deposed dispatcher fires nothing. Deliveries the transaction inserted
already claimed go to the running delivery worker right after the commit; then each listener
hears the outcome, and an event whose plan moves with time is re-planned (app/engine/writer.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.vocabulary import CueStatus, FireOutcome
from app.engine.broadcast import Broadcaster
from app.engine.cache import EventCache, moves_with_time
from app.engine.clock import Clock
from app.engine.dispatch import Dispatch
from app.engine.lateness import Decision, decide, late_note
from app.engine.writer import Writer
from app.store import outbox_repo
from schedules.model import Schedule

FireHook = Callable[[str, Any], Awaitable[dict[str, Any] | None]]
FireListener = Callable[[str, Any, FireOutcome], None]


@dataclass(frozen=True)
class Fired:
    """A due cue a tick fired or skipped: its event, its outbox row (as recorded, after any hook
    rewrote it) and the outcome."""

    event_id: str
    cue: Any
    outcome: FireOutcome


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
        # commit (see outbox_repo.add_deliveries; otherwise they wait for the worker's next pass); with
        # several instances its fence, checked in every firing transaction, stops a deposed dispatcher.
        self.dispatch = dispatch if dispatch is not None else Dispatch()
        self._busy: set[tuple[str, str]] | None = None
        self._claimed: list[tuple[dict, Any]] = []
        # The next delivery number, valid only inside the current tick's transaction: it is read from
        # the database in that transaction, never carried over (a number cached across transactions
        # collided with another writer's, and the duplicate-tolerant insert then dropped deliveries).
        self._next_seq: int | None = None

    async def next_wake(self) -> datetime | None:
        """When the next pending cue is due."""
        async with self.db.begin() as conn:
            return await outbox_repo.next_cue_due(conn, exclude=self.cache.quarantined)

    async def tick(self) -> list[Fired]:
        """Fire (or skip) every due cue; returns what each did, in order."""
        results: list[Fired] = []
        await self.cache.load_due()
        async with self.writer.lock:
            # One transaction for every due cue: a cue counts as fired when it commits, and a
            # catch-up after a restart commits once, not once per cue. Hooks run first, before
            # anything is written, so a hook reading through its own connection never waits.
            async with self.db.begin() as conn:
                await self.writer.enter(conn)
                await self.dispatch.check(conn)
                now = self.clock.now()
                self._next_seq, self._busy, self._claimed = None, None, []
                rows = await outbox_repo.due_cues(conn, now, exclude=self.cache.quarantined)
                if any(self.cache.is_loading(row.event_id) for row in rows):
                    # Fell due since load_due looked: the re-arm wakes again at once and loads it.
                    rows = [row for row in rows if not self.cache.is_loading(row.event_id)]
                    self._on_change()
                if rows:  # their schedules name the targets and the order
                    await self.writer.refresh_shared(conn, sorted({row.event_id for row in rows}))
                rows = self._in_plan_order(rows)
                hand_off = self.dispatch.hand_off
                if rows:  # one round trip: the last delivery number and, when handing off, the busy lanes
                    lanes = {row.event_id for row in rows} if hand_off is not None else None
                    last, self._busy = await outbox_repo.firing_context(conn, lanes)
                    self._next_seq = last + 1
                due = [await self._prepare(row, now) for row in rows]
                for row, decision in due:
                    results.append(Fired(row.event_id, row, await self._record(conn, row, decision, now)))
                for event_id in sorted({fired.event_id for fired in results}):
                    await self.writer.announce(conn, event_id, "cue")
            claimed, self._claimed = self._claimed, []
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

    async def _record(self, conn, row, decision: Decision, now: datetime) -> FireOutcome:
        late_ms = int((now - row.due_at).total_seconds() * 1000)
        if not decision.fire:
            await outbox_repo.mark_cue(conn, row, CueStatus.SKIPPED, now, late_ms, decision.reason)
            return FireOutcome.SKIPPED
        if getattr(row, "rewritten", False):
            await outbox_repo.set_cue_text(conn, row)
        note = late_note(late_ms) if decision.late else ""
        if not await outbox_repo.mark_cue(conn, row, CueStatus.FIRED, now, late_ms, note):
            return FireOutcome.SKIPPED
        item = self.cache.get(row.event_id)
        parked = self.resolve_targets(item.schedule) if item else {}
        assert self._next_seq is not None  # read with the due cues, in this transaction (tick)
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
