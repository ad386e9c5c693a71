"""A tick woken a moment ahead of a cue (Firing.lead in app/engine/firing.py) reads, decides and
commits it as of its moment, then waits for the moment before anything leaves: the deliveries are handed to the
worker and the listeners hear the cue only then (issue 27: the cue costs its wake-up, not the tick).

Real time is not slept here: the tick's wait moves the test's clock instead (see `waits`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app import bootstrap
from app.engine import firing
from app.engine.clock import ManualClock
from app.store import outbox_repo
from tests.engine.helpers import Drill
from tests.fixtures.service import Runtime

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DRILL = Drill("ahead", START, [("main", 3600)], reminders=[60, 120])
AHEAD = timedelta(milliseconds=12)


class RealTimeClock(ManualClock):
    """A hand-moved clock whose real delay is the event delay (speed 1), as a live event's is."""

    def real_delay(self, until: datetime) -> float:
        return max(0.0, (until - self.now()).total_seconds())


class Waits:
    """Each wait of a tick for its moment, as `hook(seconds)` saw it; the hook moves the clock by
    the wait's length instead of sleeping (other sleeps are left alone)."""

    def __init__(self) -> None:
        self.seen: list = []
        self.hook: Callable[[float], Awaitable[Any]] | None = None


@pytest.fixture
def waits(monkeypatch) -> Waits:
    waits, real_sleep = Waits(), asyncio.sleep

    async def sleep(delay: float, *args: Any, **kwargs: Any) -> Any:
        if waits.hook is None or not 0 < delay <= firing.AHEAD_MAX_SECONDS:
            return await real_sleep(delay, *args, **kwargs)
        waits.seen.append(await waits.hook(delay))
        return None

    monkeypatch.setattr(firing.asyncio, "sleep", sleep)
    return waits


async def test_a_tick_woken_ahead_commits_as_of_the_moment_and_releases_nothing_before_it(
    database_url, settings_for, waits
) -> None:
    due = DRILL.at(60)  # reminder r001
    clock = RealTimeClock(due - AHEAD)
    received: list[str | None] = []
    heard: list[tuple[str, datetime]] = []

    def hear(event_id: str, row: Any, outcome: Any) -> None:
        heard.append((row.cue_id, clock.now()))

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request.headers.get("webhook-id"))
        return httpx.Response(204)

    runtime = Runtime(
        settings_for(database_url),
        clock=clock,
        transport=httpx.MockTransport(receive),
        env_overrides=DRILL.env("http://127.0.0.1:9"),
        observers=bootstrap.Observers(
            on_fire=(lambda event_id, row, outcome: heard.append((row.cue_id, clock.now())),)
        ),
    )
    await runtime.start(run_timer=False, run_worker=False)
    try:
        await runtime.engine.load_schedule(DRILL.yaml(), "ahead.yaml")
        runtime.engine.dispatch.begin(runtime.worker)  # fired deliveries go straight to the worker

        async def at_the_wait(delay: float):
            async with runtime.db.begin() as conn:
                fired = [c for c in await outbox_repo.list_cues(conn, DRILL.event_id) if c.status == "fired"]
            clock.set(clock.now() + timedelta(seconds=delay))
            return delay, [(c.cue_id, c.fired_at) for c in fired], list(received)

        waits.hook = at_the_wait
        fired = await runtime.engine.tick(due)
        # (the segment's start, due at 0 s, fires with it, late)
        assert [f.cue.cue_id for f in fired] == ["segment_start/main", "reminder/r001"]
        # Committed before the moment, as of the moment, and nothing sent or heard before it:
        [(delay, committed, sent_by_then)] = waits.seen
        assert delay == pytest.approx(AHEAD.total_seconds())
        assert ("reminder/r001", due) in committed and sent_by_then == []
        assert heard == [("segment_start/main", due), ("reminder/r001", due)]  # heard at the moment itself
        for _ in range(100):  # the hand-off sends after the moment
            if not runtime.worker._direct:
                break
            await asyncio.gather(*runtime.worker._direct, return_exceptions=True)
        assert len(received) == 2
    finally:
        await runtime.stop()


async def test_a_wake_far_ahead_or_without_a_moment_fires_only_what_is_due_now(database_url, settings_for, waits):
    due = DRILL.at(60)
    clock = RealTimeClock(due - timedelta(seconds=1))  # a second ahead: more than a tick ever waits
    runtime = Runtime(
        settings_for(database_url),
        clock=clock,
        transport=httpx.MockTransport(lambda request: httpx.Response(204)),
        env_overrides=DRILL.env("http://127.0.0.1:9"),
    )
    await runtime.start(run_timer=False, run_worker=False)
    try:
        await runtime.engine.load_schedule(DRILL.yaml(), "ahead.yaml")
        first = await runtime.engine.tick(due)
        assert "reminder/r001" not in {f.cue.cue_id for f in first} and waits.seen == []
        clock.set(due + timedelta(milliseconds=3))  # woken after the moment: fired now, late by 3 ms
        second = await runtime.engine.tick(due)
        assert [f.cue.cue_id for f in second] == ["reminder/r001"] and waits.seen == []
        async with runtime.db.begin() as conn:
            [row] = [c for c in await outbox_repo.list_cues(conn, DRILL.event_id) if c.cue_id == "reminder/r001"]
        assert row.fired_at == due + timedelta(milliseconds=3)
    finally:
        await runtime.stop()


async def test_the_lead_is_what_recent_ticks_needed_within_its_bounds(database_url, settings_for) -> None:
    """The timer wakes a cue as far ahead as nine in ten of the last firing ticks needed to be
    committed, with a quarter and 2 ms to spare: the default before any, within LEAD_MIN..LEAD_MAX."""
    clock = RealTimeClock(DRILL.at(60))
    runtime = Runtime(settings_for(database_url), clock=clock, env_overrides=DRILL.env("http://127.0.0.1:9"))
    await runtime.start(run_timer=False, run_worker=False)
    try:
        engine = runtime.engine
        assert engine.fire_lead() == firing.LEAD_DEFAULT
        await engine.load_schedule(DRILL.yaml(), "ahead.yaml")
        assert await engine.tick()  # fired: its own time to its commit is now known
        assert firing.LEAD_MIN <= engine.fire_lead() <= firing.LEAD_MAX
        ready = engine.firing._ready  # (the measured times, set here to known ones)
        ready.clear()
        ready.extend([0.002] * 9 + [0.5])  # one slow tick in ten does not move it
        assert engine.fire_lead() == pytest.approx(0.002 * 1.25 + 0.002)
        ready.extend([0.016] * 10)
        assert engine.fire_lead() == pytest.approx(0.016 * 1.25 + 0.002)
        ready.extend([0.2] * 32)
        assert engine.fire_lead() == firing.LEAD_MAX
        ready.clear()
        ready.extend([0.0001] * 10)
        assert engine.fire_lead() == firing.LEAD_MIN
    finally:
        await runtime.stop()


async def test_a_clock_that_stands_behind_the_moment_is_waited_for_before_anything_leaves(
    database_url, settings_for, waits
) -> None:
    """A rehearsal's paced clock may stand still behind the moment (a host's reaction under way):
    the tick, its commit done and the lock released, asks the clock again until it is there."""
    due = DRILL.at(60)
    clock = RealTimeClock(due - AHEAD)
    heard: list[datetime] = []
    runtime = Runtime(
        settings_for(database_url),
        clock=clock,
        transport=httpx.MockTransport(lambda request: httpx.Response(204)),
        env_overrides=DRILL.env("http://127.0.0.1:9"),
        observers=bootstrap.Observers(on_fire=(lambda event_id, row, outcome: heard.append(clock.now()),)),
    )
    await runtime.start(run_timer=False, run_worker=False)
    try:
        await runtime.engine.load_schedule(DRILL.yaml(), "ahead.yaml")

        async def standing_twice(delay: float) -> float:
            if len(waits.seen) == 2:  # the third wait: the clock moves on to the moment
                clock.set(clock.now() + timedelta(seconds=delay))
            else:  # the lock is free meanwhile (what holds the clock back may need it)
                assert not runtime.engine.lock.locked()
            return delay

        waits.hook = standing_twice
        fired = await runtime.engine.tick(due)
        assert "reminder/r001" in {f.cue.cue_id for f in fired}
        assert len(waits.seen) == 3 and heard and set(heard) == {due}
    finally:
        await runtime.stop()
