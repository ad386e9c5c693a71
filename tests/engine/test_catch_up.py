"""Start-up does not grow with history: the service answers at once, stored events load in the
background (soonest-due first), /readyz says how far catch-up is, an event not loaded yet answers
503 with Retry-After (never a wrong 404), a cue that falls due meanwhile still fires, and an event
whose plan has not changed since it was stored is not re-planned (no outbox writes)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from app.engine.cache import EventCache
from app.engine.clock import ManualClock
from app.main import create_app
from app.store import events_repo, outbox_repo, tokens_repo
from app.store.db import create_engine, migrate
from app.store.tables import cues, events
from schedules.adjustments import StageMessage
from tests.engine.helpers import Drill
from tests.fixtures.service import Runtime, WithLifespan

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STORED = 300


def _drill(index: int, offset_minutes: float = 60) -> Drill:
    """A one-segment event starting `offset_minutes` after START, with three reminders."""
    start = START + timedelta(minutes=offset_minutes + index)
    return Drill(f"ev-{index:04d}", start, [("main", 1800)], reminders=[60, 600, 1200])


async def _store_directly(database_url: str, drills: list[Drill]) -> None:
    """Store events the fast way (rows only, as an older version or another process left them)."""
    await migrate(database_url)
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            rows = []
            for drill in drills:
                text = drill.yaml()
                rows.append(
                    {
                        "id": drill.event_id,
                        "title": f"Drill {drill.event_id}",
                        "timezone": "UTC",
                        "source": f"{drill.event_id}.yaml",
                        "schedule_text": text,
                        "schedule_hash": events_repo.text_hash(text),
                        "loaded_at": START,
                    }
                )
            await conn.execute(insert(events), rows)
    finally:
        await db.dispose()


async def _store_planned(database_url: str, settings_for, drills: list[Drill]) -> None:
    """Store events through the engine (planned outbox and fingerprint), as a running service does."""
    runtime = _runtime(database_url, settings_for, ManualClock(START))
    await runtime.start(run_timer=False, run_worker=False)
    try:
        for drill in drills:
            await runtime.engine.load_schedule(drill.yaml(), f"{drill.event_id}.yaml")
    finally:
        await runtime.stop()


def _runtime(database_url: str, settings_for, clock: ManualClock, **overrides) -> Runtime:
    env = Drill("x", START, []).env("http://127.0.0.1:9")
    return Runtime(
        settings_for(database_url, **overrides),
        clock=clock,
        transport=httpx.MockTransport(lambda r: httpx.Response(204)),
        env_overrides=env,
    )


@contextlib.contextmanager
def _gated_catch_up():
    """Hold the background catch-up before each event until the gate opens (loads asked for by
    the timer go through): what the API does meanwhile is then deterministic."""
    gate = asyncio.Event()
    original = EventCache.ensure_loaded

    async def gated(self, event_id: str) -> None:
        if asyncio.current_task().get_name() == "event-catch-up":
            await gate.wait()
        await original(self, event_id)

    original_shared = EventCache._load_shared

    async def gated_shared(self, event_id: str) -> None:
        if asyncio.current_task().get_name() == "event-catch-up":
            await gate.wait()
        await original_shared(self, event_id)

    EventCache.ensure_loaded = gated
    EventCache._load_shared = gated_shared
    try:
        yield gate
    finally:
        EventCache.ensure_loaded = original
        EventCache._load_shared = original_shared


@contextlib.contextmanager
def _cue_writes():
    """Count INSERT/UPDATE/DELETE statements on the cues table (the outbox re-plan)."""
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        words = statement.lstrip().split(None, 3)
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE") and "cues" in statement.split("WHERE")[0]:
            writes.append(statement)

    sa_event.listen(Engine, "before_cursor_execute", count)
    try:
        yield writes
    finally:
        sa_event.remove(Engine, "before_cursor_execute", count)


async def _client(runtime: Runtime, role: str = "organiser") -> httpx.AsyncClient:
    web = create_app(runtime.settings, services=runtime.services)
    web.state.runtime = runtime
    async with runtime.db.begin() as conn:
        _, token = await tokens_repo.create_token(conn, "catch-up", role, runtime.clock.now())
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(WithLifespan(web)),
        base_url="http://sc.test",
        headers={"authorization": f"Bearer {token}"},
    )


async def test_the_api_answers_during_catch_up_and_readyz_flips_when_done(database_url, settings_for):
    await _store_directly(database_url, [_drill(i) for i in range(STORED)])
    clock = ManualClock(START)
    runtime = _runtime(database_url, settings_for, clock, startup_inline_events=0)
    with _gated_catch_up() as gate:
        await runtime.start()
        try:
            async with await _client(runtime) as client:
                assert (await client.get("/healthz")).status_code == 200
                assert runtime.engine.progress() == (0, STORED)

                waiting = await client.get("/readyz")
                assert waiting.status_code == 503 and waiting.headers["retry-after"] == "1"
                body = waiting.json()
                assert body["reason"] == f"catching up: 0 of {STORED} events up to date"
                assert body["checks"]["events"] == {"ok": False, "up_to_date": 0, "total": STORED, "in_memory": 0}
                assert body["checks"]["database"]["ok"] and body["checks"]["dispatcher"]["ok"]

                # Stored but not loaded yet: the API loads it on demand (re-planning it), never a wrong 404.
                last = f"ev-{STORED - 1:04d}"
                assert runtime.engine.is_loading(last)
                state = await client.get(f"/api/events/{last}/state")
                assert state.status_code == 200, state.text
                assert not runtime.engine.is_loading(last) and runtime.engine.in_memory() == 1
                assert (await client.get("/api/events/no-such-event/state")).status_code == 404
                assert (await client.get("/readyz")).json()["reason"] == f"catching up: 1 of {STORED} events up to date"

                gate.set()
                await asyncio.wait_for(runtime.engine.caught_up(), timeout=120)
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert ready.json()["checks"]["events"] == {
                    "ok": True,
                    "up_to_date": STORED,
                    "total": STORED,
                    "in_memory": STORED,
                }
                assert runtime.engine.resynced == STORED  # stored without a plan: each planned once
        finally:
            gate.set()
            await runtime.stop()


async def test_a_cue_due_during_catch_up_fires_through_the_lateness_policy(database_url, settings_for):
    # ev-0000's first reminder is due at START + 61 min; the others' much later.
    drills = [_drill(0, offset_minutes=0)] + [_drill(i, offset_minutes=600) for i in range(1, 40)]
    await _store_planned(database_url, settings_for, drills)
    due = drills[0].at(60)
    clock = ManualClock(due + timedelta(seconds=5))
    runtime = _runtime(database_url, settings_for, clock, startup_inline_events=0)
    with _gated_catch_up() as gate:
        await runtime.start(run_timer=False, run_worker=False)
        try:
            assert runtime.engine.is_loading("ev-0000")
            fired = await runtime.engine.tick()  # the timer's wake: loads the due event first
            assert {f.event_id for f in fired} == {"ev-0000"}
            outcomes = {f.cue.cue_id: f.outcome for f in fired}
            assert outcomes["reminder/r001"] == "late"  # 5 s after its moment: fired, flagged late
            assert outcomes["segment_start/main"] == "late"
            assert not runtime.engine.is_loading("ev-0000")
            assert runtime.engine.in_memory() == 1  # the others still wait for the background catch-up
            # Every stored plan was current: nothing to re-plan, so /readyz would already say ready.
            assert runtime.engine.progress() == (len(drills), len(drills)) and runtime.engine.resynced == 0
        finally:
            gate.set()
            await runtime.stop()


async def test_an_unchanged_event_is_not_replanned_at_start_and_a_changed_one_is(database_url, settings_for):
    clock = ManualClock(START)
    drills = [_drill(i) for i in range(4)]
    await _store_planned(database_url, settings_for, drills)
    first = _runtime(database_url, settings_for, clock)
    await first.start(run_timer=False, run_worker=False)
    try:
        await first.engine.act("ev-0001", _hold_nothing)  # a run-log entry: its fingerprint moves on
    finally:
        await first.stop()

    # Change one event behind the service's back (as `events repair` or an older version does):
    # its second reminder moves by ten minutes.
    changed = drills[2]
    moved = changed.yaml().replace(changed.at(600).isoformat(), changed.at(1200 - 1).isoformat())
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            await conn.execute(
                update(events)
                .where(events.c.id == changed.event_id)
                .values(schedule_text=moved, schedule_hash=events_repo.text_hash(moved))
            )
    finally:
        await db.dispose()

    clock.advance(minutes=5)
    second = _runtime(database_url, settings_for, clock, startup_inline_events=0)
    with _cue_writes() as writes:
        await second.start(run_timer=False, run_worker=False)
        try:
            await asyncio.wait_for(second.engine.caught_up(), timeout=60)
            assert second.engine.progress() == (4, 4)
            assert second.engine.resynced == 1  # only the changed event
            assert any(w.lstrip().upper().startswith("UPDATE") for w in writes)  # the moved reminder
            async with second.db.begin() as conn:
                r002 = (
                    await conn.execute(
                        select(cues.c.due_at).where(
                            cues.c.event_id == changed.event_id, cues.c.cue_id == "reminder/r002"
                        )
                    )
                ).scalar_one()
            assert r002 == changed.at(1200 - 1)
        finally:
            await second.stop()

    # A third start finds every fingerprint current: no outbox write at all.
    third = _runtime(database_url, settings_for, clock, startup_inline_events=0)
    with _cue_writes() as writes:
        await third.start(run_timer=False, run_worker=False)
        try:
            await asyncio.wait_for(third.engine.caught_up(), timeout=60)
            assert third.engine.resynced == 0 and writes == []
            assert third.engine.event_ids() == [d.event_id for d in drills]
        finally:
            await third.stop()


def _hold_nothing(now: datetime):
    """A run-log entry that does not move any cue: a message on the presenter view."""
    return StageMessage(at=now, text="checked")


async def test_a_delivery_left_pending_by_a_restart_loads_its_event_and_goes(database_url, settings_for):
    drills = [_drill(0, offset_minutes=0)] + [_drill(i, offset_minutes=600) for i in range(1, 20)]
    await _store_planned(database_url, settings_for, drills)
    clock = ManualClock(drills[0].at(60))
    first = _runtime(database_url, settings_for, clock)
    await first.start(run_timer=False, run_worker=False)
    try:
        assert await first.engine.tick()  # fired and committed; the process stops before sending
    finally:
        await first.stop()

    second = _runtime(database_url, settings_for, clock, startup_inline_events=0)
    with _gated_catch_up() as gate:
        await second.start(run_timer=False, run_worker=False)
        try:
            assert second.engine.is_loading("ev-0000")
            assert await second.worker.drain() >= 2  # segment start and reminder r001 to `ops`
            assert not second.engine.is_loading("ev-0000") and second.engine.in_memory() == 1
            async with second.db.begin() as conn:
                statuses = {d.status for d in await outbox_repo.list_deliveries(conn, "ev-0000")}
            assert statuses == {"sent"}
        finally:
            gate.set()
            await second.stop()


async def test_a_second_start_reloads_every_event_from_the_database(database_url, settings_for):
    """What an instance does when it takes over dispatching: its cached events may be stale."""
    clock = ManualClock(START)
    drills = [_drill(i) for i in range(3)]
    await _store_planned(database_url, settings_for, drills)
    runtime = _runtime(database_url, settings_for, clock, startup_inline_events=0)
    await runtime.start(run_timer=False, run_worker=False)
    try:
        await asyncio.wait_for(runtime.engine.caught_up(), timeout=60)
        changed = drills[1]
        moved = changed.yaml().replace(changed.at(600).isoformat(), changed.at(900).isoformat())
        async with runtime.db.begin() as conn:  # changed behind this instance's back
            await conn.execute(
                update(events)
                .where(events.c.id == changed.event_id)
                .values(schedule_text=moved, schedule_hash=events_repo.text_hash(moved))
            )
        await runtime.engine.start()
        await asyncio.wait_for(runtime.engine.caught_up(), timeout=60)
        assert runtime.engine.loaded(changed.event_id).schedule_hash == events_repo.text_hash(moved)
        assert runtime.engine.resynced == 1 and runtime.engine.in_memory() == 3
        async with runtime.db.begin() as conn:
            r002 = (
                await conn.execute(
                    select(cues.c.due_at).where(cues.c.event_id == changed.event_id, cues.c.cue_id == "reminder/r002")
                )
            ).scalar_one()
        assert r002 == changed.at(900)
    finally:
        await runtime.stop()


async def test_loaded_events_are_moved_out_of_the_collectors_full_passes_when_asked(database_url, settings_for):
    """`serve` sets freeze_loaded: a full collection over thousands of loaded events stalled the loop."""
    runtime = _runtime(database_url, settings_for, ManualClock(START))
    await runtime.start(run_timer=False, run_worker=False)
    try:
        drill = _drill(0)
        await runtime.engine.load_schedule(drill.yaml(), "a.yaml")
        plain = runtime.engine.loaded(drill.event_id)
        assert any(o is plain for o in gc.get_objects())  # off by default

        runtime.engine.cache.freeze_loaded = True
        other = _drill(1)
        await runtime.engine.load_schedule(other.yaml(), "b.yaml")
        frozen = runtime.engine.loaded(other.event_id)
        assert not any(o is frozen for o in gc.get_objects())  # in the permanent generation
    finally:
        gc.unfreeze()
        await runtime.stop()
