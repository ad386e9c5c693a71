"""The dispatcher lease: the one instance that fires cues, sends deliveries and processes the inbox.

It is a PostgreSQL session advisory lock held by a connection of its own. Standbys try to take it
every `poll` seconds; PostgreSQL releases it the moment the holder's connection ends, on a clean
stop as on `kill -9` or a lost host (once the server notices the dead socket), so a standby takes
over without any clock or expiry to tune. The holder checks its connection every `heartbeat`
seconds: if it is gone, another instance may already hold the lease, so this one must stop
dispatching at once; the simplest way to be sure it does is to exit (a supervisor restarts it as a
standby).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.failures import ExitCode
from app.store import cluster_repo
from app.store.db import normalise_url

log = logging.getLogger("showcaller.cluster")
# The same key the single-instance lock used, so an older `serve` never dispatches beside a newer one.
LEASE_KEY = 0x5C0_11E5


class LeaseLost(RuntimeError):
    """This instance no longer holds the dispatcher lease: it must not send or fire."""


def asyncpg_dsn(database_url: str) -> str:
    """The plain postgresql:// address asyncpg connects to, from a SQLAlchemy URL."""
    return "postgresql://" + normalise_url(database_url).split("://", 1)[1]


def exit_on_lost(reason: str) -> None:
    """Stop the whole process now: its timer and worker must not run one more step."""
    sys.stderr.write(
        f"showcaller: lost the dispatcher lease ({reason}); exiting at once so that two instances never "
        "dispatch together. Fix: restart it (a supervisor's restart policy does); another instance takes over\n"
    )
    sys.stderr.flush()
    os._exit(ExitCode.LEASE_LOST)


class Lease:
    """`try_acquire()` once at start-up, then `run(on_acquired)` as a task: waits, takes over, watches."""

    def __init__(
        self,
        database_url: str,
        *,
        poll: float = 0.5,
        heartbeat: float = 0.5,
        on_lost: Callable[[str], None] = exit_on_lost,
    ):
        self.dsn = asyncpg_dsn(database_url)
        self.poll, self.heartbeat, self.on_lost = poll, heartbeat, on_lost
        self.held = False
        self._conn = None
        self._lost = False
        self._unreachable = False

    async def try_acquire(self) -> bool:
        """One attempt; True when this instance holds the lease now."""
        import asyncpg

        if self.held:
            return True
        try:
            conn = self._conn
            if conn is None or conn.is_closed():
                conn = self._conn = await asyncpg.connect(self.dsn, timeout=10)
            self.held = await cluster_repo.try_lease(conn, LEASE_KEY)
        except Exception as exc:  # the database is away: stay a standby and try again
            if not self._unreachable:  # once per outage, not every poll
                log.warning("dispatcher lease: cannot reach the database (%s); retrying", exc)
            self._unreachable = True
            await self._drop()
            return False
        self._unreachable = False
        if self.held:
            conn.add_termination_listener(lambda _conn: self._lose("its database connection was closed"))
        return self.held

    async def run(self, on_acquired: Callable[[], Awaitable[None]]) -> None:
        """Wait for the lease (unless held already), call `on_acquired` once, then watch it."""
        if not self.held:
            while not await self.try_acquire():
                await asyncio.sleep(self.poll)
            try:
                await on_acquired()
            except Exception as exc:  # holding the lease without dispatching would stop every event
                log.exception("could not start dispatching")
                self._lose(f"could not start dispatching: {type(exc).__name__}: {exc}")
                return
        while not self._lost:
            await asyncio.sleep(self.heartbeat)
            try:
                conn = self._conn
                if conn is None:
                    raise ConnectionError("the lease connection is gone")
                await asyncio.wait_for(cluster_repo.ping(conn), timeout=max(2.0, 4 * self.heartbeat))
            except Exception as exc:
                self._lose(f"its database connection failed: {type(exc).__name__}: {exc}".strip())

    async def fence(self, conn: AsyncConnection) -> None:
        """Raise LeaseLost unless PostgreSQL grants the lease to this instance's session now.

        Checked in the transaction that claims deliveries: if the lease connection was cut but the
        heartbeat has not noticed yet, the worker sends nothing a new dispatcher may be sending."""
        pid = self._conn.get_server_pid() if self.held and self._conn is not None else None
        if pid is None or not await cluster_repo.lease_held(conn, LEASE_KEY, pid):
            self._lose("PostgreSQL no longer grants it to this instance")
            raise LeaseLost("this instance no longer holds the dispatcher lease")

    def _lose(self, reason: str) -> None:
        if self._lost or not self.held:
            return
        self._lost = True
        log.critical("dispatcher lease lost: %s", reason)
        self.on_lost(reason)

    async def close(self) -> None:
        """Release the lease (a clean stop): a standby takes over within `poll` seconds."""
        self._lost = True  # closing on purpose is not a loss
        await self._drop()
        self.held = False

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
            if not conn.is_closed():
                conn.terminate()
