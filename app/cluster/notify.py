"""Change notices between instances: PostgreSQL LISTEN on a connection of its own.

A notice only says "event X changed, because Y"; the receiver reloads X from the database (the
source of truth) and tells its own server-sent-event streams. Notices of one event coalesce while
one is being handled, so a burst costs one reload. If the connection drops, notices sent meanwhile
are lost: after reconnecting, the listener asks for a full resync instead of trusting them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from app.cluster.lease import asyncpg_dsn
from app.cluster.writes import CHANNEL

log = logging.getLogger("showcaller.cluster")


class ChangeListener:
    """`start()` connects and listens; `on_change(event_id, reason)` runs for others' notices,
    `on_resync()` after every reconnection; `stop()` ends it."""

    def __init__(
        self,
        database_url: str,
        origin: str,
        on_change: Callable[[str, str], Awaitable[None]],
        on_resync: Callable[[], Awaitable[None]],
        check_every: float = 1.0,
    ):
        self.dsn, self.origin = asyncpg_dsn(database_url), origin
        self.on_change, self.on_resync, self.check_every = on_change, on_resync, check_every
        self.connected = False
        self.reconnects = 0
        self._conn = None
        self._pending: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        """Listen now (so nothing committed after start-up is missed), then watch in the background."""
        await self._connect()
        self._tasks = [
            asyncio.create_task(self._consume(), name="cluster-notices"),
            asyncio.create_task(self._watch(), name="cluster-listener"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self._drop()

    async def _connect(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn, timeout=10)
        await conn.add_listener(CHANNEL, self._received)
        self._conn, self.connected = conn, True

    async def _drop(self) -> None:
        conn, self._conn, self.connected = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
            if not conn.is_closed():
                conn.terminate()

    def _received(self, _conn, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = json.loads(payload)
            origin, event_id, reason = notice["from"], notice["event"], notice["reason"]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed change notice: %r", payload[:200])
            return
        if origin == self.origin:
            return  # this instance made the change and has told its own streams already
        self._pending[event_id] = reason
        self._wake.set()

    async def _consume(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, {}
            for event_id, reason in batch.items():
                try:
                    await self.on_change(event_id, reason)
                except Exception:  # one event's reload must not stop the others'
                    log.exception("could not follow a change of event %s", event_id)

    async def _watch(self) -> None:
        """Check the connection; on failure reconnect (with back-off) and resync everything."""
        while True:
            await asyncio.sleep(self.check_every)
            try:
                if self._conn is None or self._conn.is_closed():
                    raise ConnectionError("closed")
                await asyncio.wait_for(self._conn.fetchval("SELECT 1"), timeout=max(2.0, 2 * self.check_every))
                continue
            except Exception as exc:
                log.warning("change listener lost its connection (%s); reconnecting", exc)
            await self._drop()
            delay = 0.2
            while self._conn is None:
                try:
                    await self._connect()
                except Exception as exc:
                    log.warning("change listener cannot reconnect yet (%s)", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            self.reconnects += 1
            try:
                await self.on_resync()  # notices sent while disconnected are lost: reload everything
            except Exception:
                log.exception("resync after reconnecting the change listener failed")


class Announcer:
    """Change notices for work done outside the engine's transactions (delivery outcomes, attendance):
    queued, coalesced per event, and sent together in one short transaction after the change committed."""

    def __init__(self, db, shared):
        self.db, self.shared = db, shared
        self._pending: dict[str, str] = {}
        self._task: asyncio.Task | None = None

    def add(self, event_id: str, reason: str) -> None:
        self._pending[event_id] = reason
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send(), name="cluster-announce")

    async def _send(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                async with self.db.begin() as conn:
                    for event_id, reason in batch.items():
                        await self.shared.announce(conn, event_id, reason)
            except Exception as exc:  # other instances catch up at their next notice or resync
                log.warning("could not announce %d change(s) to other instances: %s", len(batch), exc)

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
