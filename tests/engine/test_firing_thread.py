"""SQLite's firing transaction on a thread of its own (app.store.db.SerialSqlite): two calls per tick,
the write lock taken with the first read, hooks reading through their own connection meanwhile,
and a cancel between or during the calls leaving no transaction open and nothing written."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.engine.clock import ManualClock
from app.engine.firing import Firing
from app.store import outbox_repo
from app.store.db import SerialSqlite
from app.store.tables import cues
from schedules.model import CueKind
from tests.conftest import MEKONG, bangkok
from tests.fixtures import build_runtime


def _path(url: str) -> str:
    return str(make_url(url).database)


async def _statuses(runtime) -> dict[str, str]:
    async with runtime.db.connect() as conn:
        return {row.cue_id: row.status for row in await conn.execute(select(cues.c.cue_id, cues.c.status))}


async def test_a_hook_reads_while_the_tick_holds_the_write_lock_and_a_cancel_then_writes_nothing(
    sqlite_url, settings_for, receiver_env
):
    receiver_env("http://127.0.0.1:9")
    clock = ManualClock(bangkok(13, 0))
    runtime = build_runtime(settings_for(sqlite_url), clock, lambda r: httpx.Response(200))
    await runtime.start(run_timer=False, run_worker=False)
    try:
        await runtime.engine.load_schedule(MEKONG.read_text(), str(MEKONG))
        clock.set(bangkok(13, 31))
        now = clock.now()
        entered, release = asyncio.Event(), asyncio.Event()
        seen: list[int] = []
        locked: list[bool] = []

        async def hook(_event_id, _row):
            async with runtime.db.connect() as conn:  # its own connection: WAL lets it read at once
                seen.append(len(await outbox_repo.due_cues(conn, now)))
            other = sqlite3.connect(_path(sqlite_url), timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")  # another writer has to wait for the tick's commit
            except sqlite3.OperationalError as exc:
                locked.append("locked" in str(exc))
            finally:
                other.close()
            entered.set()
            await release.wait()
            return None

        current = runtime.engine.firing
        stalled = Firing(
            current.db,
            current.clock,
            current.cache,
            current.writer,
            current.broadcaster,
            hooks={kind.value: hook for kind in CueKind},
            dispatch=current.dispatch,
            serial=current.serial,
        )
        before = await _statuses(runtime)
        tick = asyncio.create_task(stalled.tick())
        await entered.wait()
        assert seen and seen[0] > 0 and locked == [True]
        tick.cancel()  # between the two calls: the rollback runs on the thread
        with pytest.raises(asyncio.CancelledError):
            await tick
        assert await _statuses(runtime) == before  # nothing of the stalled tick was written
        results = await runtime.engine.tick()  # the next tick takes the lock and fires them
        assert len(results) == seen[0] and any(r.outcome != "skipped" for r in results)
    finally:
        await runtime.stop()


async def test_a_cancelled_caller_never_cuts_a_call_short_and_the_next_transaction_begins(sqlite_url):
    serial = SerialSqlite(sqlite_url)
    try:
        started, finish = threading.Event(), threading.Event()

        def slow_read() -> int:
            conn = serial.begin()
            started.set()
            finish.wait(10)
            return len(conn.execute(select(cues.c.cue_id)).all())

        call = asyncio.create_task(serial.call(slow_read))
        await asyncio.to_thread(started.wait, 10)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        ended = asyncio.create_task(serial.call(serial.end, False))  # queued behind the running call
        finish.set()
        await ended

        def read_again() -> int:
            conn = serial.begin()
            try:
                return len(conn.execute(select(cues.c.cue_id)).all())
            finally:
                serial.end(commit=False)

        assert await serial.call(read_again) == 0
    finally:
        await serial.finish()


async def test_the_firing_thread_takes_the_write_lock_as_soon_as_another_connection_lets_it_go(sqlite_url, monkeypatch):
    """SQLite's own busy handler sleeps 1, 2, 5, 10... ms between tries; the firing thread tries
    every BUSY_STEP instead, and gives up with the driver's error after SQLITE_BUSY_TIMEOUT."""
    from app.store import db as store_db

    # Another connection holds the write lock (usable from the firing thread too, to let it go).
    other = sqlite3.connect(_path(sqlite_url), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # (on the firing thread) the other one commits after one try
        waits.append(seconds)
        if len(waits) == 1:
            other.execute("COMMIT")

    monkeypatch.setattr(store_db.time, "sleep", sleep)
    serial = SerialSqlite(sqlite_url)
    try:
        await serial.call(serial.begin)
        await serial.call(serial.end, False)
        assert waits == [store_db.BUSY_STEP]

        other.execute("BEGIN IMMEDIATE")  # now held for good, and no time to wait: the driver's error
        monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT", 0)
        with pytest.raises(Exception, match="locked"):
            await serial.call(serial.begin)
        other.execute("ROLLBACK")
    finally:
        other.close()
        await serial.finish()
