"""Stopping the runtime: what is under way (a re-arm, a delivery pass, a heartbeat) finishes its
database work before the database closes; nothing is cancelled in the middle of a call.

`serve` loads its files in a short-lived runtime; the load asks the timer to re-arm, and stopping
at once used to cut that re-arm's SQLite call in half (a traceback on some starts).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from sqlalchemy import event

from app.cluster.member import WORKER_TASK
from app.core.vocabulary import DeliveryStatus
from app.engine.clock import ManualClock
from app.stage.presence import Connection
from app.store import outbox_repo
from app.store.db import create_engine
from tests.engine.helpers import Drill
from tests.fixtures import EVENT, MEKONG, bangkok
from tests.fixtures.receivers import answer_like_receivers
from tests.fixtures.service import Runtime

DRILL = Drill("stop", datetime(2026, 12, 1, 9, 0, tzinfo=UTC), [("main", 3600)], reminders=[60])


async def test_stop_lets_a_requested_rearm_finish(database_url, settings_for, caplog):
    runtime = Runtime(settings_for(database_url), clock=ManualClock(bangkok(13, 0)))
    await runtime.start(run_timer=False, run_worker=False)
    await runtime.engine.load_schedule(MEKONG.read_text(), str(MEKONG))  # requests a re-arm
    pending = runtime.timer._pending
    assert pending is not None
    with caplog.at_level(logging.ERROR):
        await runtime.stop()
    assert pending.done() and not pending.cancelled()
    assert pending.exception() is None
    assert runtime.timer.armed_for == bangkok(13, 30)  # the first cue: the readiness check
    assert not [r for r in caplog.records if "reset" in r.getMessage()]


async def test_stop_lets_the_delivery_pass_finish_and_cuts_no_database_call(database_url, settings_for):
    """Stopping while messages are on their way: the sends finish, their outcomes are stored, and no
    database call is cut in half. (Cancelling the worker mid-call made SQLAlchemy close its SQLite
    connection in a shielded task; a second cancel then left aiosqlite waiting for a thread that had
    ended, and the process never finished stopping: a 120 s teardown timeout in CI.)"""
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_receiver(request: httpx.Request) -> httpx.Response:
        entered.set()
        await release.wait()
        return answer_like_receivers(request)

    clock = ManualClock(DRILL.at(0))
    runtime = Runtime(
        settings_for(database_url),
        clock=clock,
        transport=httpx.MockTransport(slow_receiver),
        env_overrides=DRILL.env("http://127.0.0.1:9"),
    )
    services = await runtime.start(run_timer=False, run_worker=True)
    await services.engine.load_schedule(DRILL.yaml(), "stop.yaml")
    cut: list[object] = []
    event.listen(services.db.sync_engine, "invalidate", lambda *args: cut.append(args))
    worker = services.worker
    task = next(t for t in asyncio.all_tasks() if t.get_name() == WORKER_TASK)
    clock.set(DRILL.at(60))
    assert await services.engine.tick()  # its deliveries go out at once (claimed by the firing)
    await asyncio.wait_for(entered.wait(), timeout=60)

    stopping = asyncio.create_task(runtime.stop())
    while not worker._stopping.is_set():  # the stop has asked the worker to end its pass
        await asyncio.sleep(0)
    assert not task.done()  # still waiting for the receivers: not cancelled
    release.set()
    await asyncio.wait_for(stopping, timeout=60)

    assert task.done() and not task.cancelled()
    assert cut == []
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            rows = await outbox_repo.list_deliveries(conn, DRILL.event_id)
    finally:
        await db.dispose()
    assert rows and {r.status for r in rows} == {DeliveryStatus.SENT}


async def test_stopping_the_presence_heartbeat_cuts_no_database_call(database_url, settings_for):
    """The presenter-view heartbeat ends by itself when stopped, after the write under way."""
    runtime = Runtime(settings_for(database_url), clock=ManualClock(bangkok(13, 0)))
    services = await runtime.start(run_timer=False, run_worker=False)
    cut: list[object] = []
    event.listen(services.db.sync_engine, "invalidate", lambda *args: cut.append(args))
    presence = services.presence
    presence.join(EVENT, Connection(None, "Stage", "presenter", None, bangkok(13, 0)))
    heartbeat = presence._task
    assert heartbeat is not None
    await runtime.stop()
    assert heartbeat.done() and not heartbeat.cancelled()
    assert cut == []


async def test_a_send_past_the_shutdown_grace_is_cut_short_and_goes_again_under_its_id(database_url, settings_for):
    """SHOWCALLER_SHUTDOWN_GRACE_SECONDS bounds the stop: a receiver that never answers does not hold
    it. The send is cut (its HTTP call only: no database call is), the delivery is put back as
    pending, and the next start sends it again under the same id, once."""
    entered = asyncio.Event()

    async def hanging_receiver(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    clock = ManualClock(DRILL.at(0))
    settings = settings_for(database_url, shutdown_grace_seconds=0.05)
    runtime = Runtime(
        settings, clock=clock, transport=httpx.MockTransport(hanging_receiver), env_overrides=DRILL.env("http://x:9")
    )
    services = await runtime.start(run_timer=False, run_worker=True)
    await services.engine.load_schedule(DRILL.yaml(), "stop.yaml")
    cut: list[object] = []
    event.listen(services.db.sync_engine, "invalidate", lambda *args: cut.append(args))
    task = next(t for t in asyncio.all_tasks() if t.get_name() == WORKER_TASK)
    clock.set(DRILL.at(60))
    assert await services.engine.tick()
    await asyncio.wait_for(entered.wait(), timeout=60)
    await asyncio.wait_for(runtime.stop(), timeout=60)  # would wait for the HTTP timeout without the cut
    assert task.done() and not task.cancelled()
    assert cut == []

    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            rows = await outbox_repo.list_deliveries(conn, DRILL.event_id)
    finally:
        await db.dispose()
    # (The first message of each lane was under way and is cut; anything behind it waits unsent.)
    assert rows and {(r.status, r.lease_until) for r in rows} == {(DeliveryStatus.PENDING, None)}
    assert any("cut short by a shutdown" in (r.last_error or "") for r in rows)

    sent: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request.content.decode())
        return answer_like_receivers(request)

    again = Runtime(
        settings, clock=clock, transport=httpx.MockTransport(receiver), env_overrides=DRILL.env("http://x:9")
    )
    services = await again.start(run_timer=False, run_worker=True)
    try:
        for _ in range(600):  # bounded: 60 s at most
            async with services.db.begin() as conn:
                rows = await outbox_repo.list_deliveries(conn, DRILL.event_id)
            if {r.status for r in rows} == {DeliveryStatus.SENT}:
                break
            services.worker.kick()
            await asyncio.sleep(0.1)
    finally:
        await again.stop()
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    # Each delivery went once after the restart, under its own id (the body carries it).
    assert len(sent) == len(rows)
    assert all(sum(r.id in body for body in sent) == 1 for r in rows)
