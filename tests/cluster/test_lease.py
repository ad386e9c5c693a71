"""The dispatcher lease and the change listener against a real PostgreSQL server, in one process:
a lost lease connection is reported at once and frees the lease for a standby; a listener whose
connection is cut reconnects and asks for a resync (notices sent meanwhile were lost)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from app.cluster.lease import LEASE_KEY, Lease, LeaseLost, asyncpg_dsn
from app.cluster.notify import ChangeListener
from app.cluster.writes import SharedWrites
from app.store.db import create_engine

pytestmark = pytest.mark.postgres


async def _until(condition, what: str, limit: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"no {what} within {limit} s")
        await asyncio.sleep(0.02)


async def _terminate(database_url: str, pid: int) -> bool:
    """End one server session (as an administrator, a network cut or a server restart would)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_a_lost_lease_is_reported_and_a_standby_takes_it(shared_database):
    lost: list[str] = []
    holder = Lease(shared_database, heartbeat=0.05, on_lost=lost.append)
    standby = Lease(shared_database, poll=0.05)
    taken = asyncio.Event()
    assert await holder.try_acquire() and not await standby.try_acquire()

    async def take_over() -> None:
        taken.set()

    tasks = [asyncio.create_task(holder.run(take_over)), asyncio.create_task(standby.run(take_over))]
    try:
        assert await _terminate(shared_database, holder._conn.get_server_pid())
        await _until(lambda: lost, "lost lease reported")
        await asyncio.wait_for(taken.wait(), 30)
        assert standby.held and "connection" in lost[0]
        conn = await asyncpg.connect(asyncpg_dsn(shared_database))
        try:  # the lease is held by exactly one session now
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                LEASE_KEY & 0xFFFFFFFF,
            )
        finally:
            await conn.close()
        assert held == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await holder.close()
        await standby.close()


async def test_the_listener_hears_others_skips_its_own_and_resyncs_after_a_cut(shared_database):
    heard: list[tuple[str, str]] = []
    resyncs: list[int] = []

    async def on_change(event_id: str, reason: str) -> None:
        heard.append((event_id, reason))

    async def on_resync() -> None:
        resyncs.append(1)

    listener = ChangeListener(shared_database, "me", on_change, on_resync, check_every=0.05)
    await listener.start()
    db = create_engine(shared_database)
    try:
        async with db.begin() as conn:
            await SharedWrites("me").announce(conn, "mine", "delay")
            await SharedWrites("other").announce(conn, "theirs", "hold")
        await _until(lambda: heard, "a notice")
        async with db.begin() as conn:  # rolled back: never delivered
            await SharedWrites("other").announce(conn, "rolled-back", "hold")
            await conn.rollback()
        assert await _terminate(shared_database, listener._conn.get_server_pid())
        await _until(lambda: resyncs, "a resync after reconnecting")
        async with db.begin() as conn:
            await SharedWrites("other").announce(conn, "after", "schedule")
        await _until(lambda: len(heard) >= 2, "a notice after reconnecting")
        assert heard == [("theirs", "hold"), ("after", "schedule")] and listener.reconnects == 1
    finally:
        await listener.stop()
        await db.dispose()


async def test_a_standby_that_cannot_start_dispatching_gives_the_lease_up(shared_database):
    holder = Lease(shared_database)
    lost: list[str] = []
    standby = Lease(shared_database, poll=0.02, on_lost=lost.append)
    assert await holder.try_acquire()

    async def broken() -> None:
        raise RuntimeError("database refused the reload")

    task = asyncio.create_task(standby.run(broken))
    try:
        await holder.close()  # a clean stop hands the lease over
        await asyncio.wait_for(task, 30)  # the watch ends: the lease was lost on purpose
        assert lost == ["could not start dispatching: RuntimeError: database refused the reload"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await standby.close()


async def test_the_fence_lets_only_the_holder_claim(shared_database):
    lost: list[str] = []
    holder = Lease(shared_database, on_lost=lost.append)
    other = Lease(shared_database)
    db = create_engine(shared_database)
    try:
        assert await holder.try_acquire() and not await other.try_acquire()
        async with db.begin() as conn:
            await holder.fence(conn)  # granted: no error
            with pytest.raises(LeaseLost):
                await other.fence(conn)
        # Cut the holder's session (no heartbeat runs here): once the server has ended it, the next
        # claim is refused, and the loss is reported.
        assert await _terminate(shared_database, holder._conn.get_server_pid())
        refused: list[LeaseLost] = []

        async def claim() -> None:
            async with db.begin() as conn:
                try:
                    await holder.fence(conn)
                except LeaseLost as exc:
                    refused.append(exc)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not refused and loop.time() < deadline:
            await claim()
            await asyncio.sleep(0.02)
        assert refused and lost
    finally:
        await holder.close()
        await other.close()
        await db.dispose()
