"""Which presenter views are open right now, on every instance.

Each instance knows its own open streams exactly (in memory) and writes them to the shared
`stage_presence` table: on every open and close (soon after, coalesced) and on a heartbeat that
renews their expiry. The console's instance adds the other instances' live rows to its own, so it
shows who is connected anywhere behind the balancer. An instance that dies stops renewing its rows;
they stop counting at their expiry and the next instance to write purges them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cluster.writes import PRESENCE_NOTICE, SharedWrites
from app.core.tasks import cancel_and_wait
from app.store import presence_repo

log = logging.getLogger("showcaller.stage")
HEARTBEAT_SECONDS = 10.0
EXPIRY_SECONDS = 30.0  # three missed heartbeats: the instance is gone
STOP_GRACE_SECONDS = 10.0  # how long a stop waits for a write under way
# What the presenter streams publish when a view opens, closes or opened elsewhere (the console
# reloads its stage card on them; the presenter view itself has nothing new to show).
PRESENCE_REASONS = ("stage_connected", "stage_disconnected", "stage_presence")


def _wall() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Connection:
    """One open presenter-view stream."""

    token_id: str | None
    name: str
    role: str
    person: str | None
    since: datetime


class StagePresence:
    """Open presenter-view streams per event, so the console can show which stage links are connected.

    `now` is wall time (expiry across instances), never the event clock; `on_change(event_id)` tells
    this instance's streams that another instance's viewers changed."""

    def __init__(
        self,
        db_of: Callable[[], AsyncEngine],
        instance_id: str,
        *,
        now: Callable[[], datetime] = _wall,
        heartbeat: float = HEARTBEAT_SECONDS,
        expiry: float = EXPIRY_SECONDS,
        on_change: Callable[[str], None] = lambda _event_id: None,
    ):
        self.db_of, self.instance_id, self.now = db_of, instance_id, now
        self.heartbeat, self.expiry, self.on_change = heartbeat, expiry, on_change
        self._open: dict[str, tuple[str, Connection]] = {}
        self._keys = itertools.count(1)
        self._changed: set[str] = set()  # events whose viewers changed since the last write
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._written = False  # whether this instance may have rows in the table
        self._writing = asyncio.Lock()  # one write at a time: two would insert the same rows
        self._stopping = False

    def join(self, event_id: str, connection: Connection) -> str:
        """Record an opened stream; returns the key to leave with."""
        key = f"{self.instance_id}:{next(self._keys)}"
        self._open[key] = (event_id, connection)
        self._touch(event_id)
        return key

    def leave(self, key: str) -> None:
        """Forget a closed stream (at once here; in the table at the next write)."""
        gone = self._open.pop(key, None)
        if gone is not None:
            self._touch(gone[0])

    def mine(self, event_id: str) -> list[Connection]:
        """This instance's open streams of an event."""
        return [c for e, c in self._open.values() if e == event_id]

    async def connected(self, event_id: str) -> list[Connection]:
        """Open streams of an event on every instance, oldest first."""
        async with self.db_of().begin() as conn:
            rows = await presence_repo.others(conn, event_id, self.instance_id, self.now())
        theirs = [Connection(r.token_id, r.name, r.role, r.person, r.since) for r in rows]
        return sorted([*self.mine(event_id), *theirs], key=lambda c: c.since)

    def _touch(self, event_id: str) -> None:
        self._changed.add(event_id)
        self._wake.set()
        if not self._stopping and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run(), name="stage-presence")

    async def write(self) -> None:
        """Make this instance's rows what is open now, renew their expiry, purge dead instances'
        rows, and tell the other instances which events' viewers changed (on commit)."""
        async with self._writing:
            await self._write()

    async def _write(self) -> None:
        changed, self._changed = self._changed, set()
        now = self.now()
        rows = [{"id": key, "event_id": e, **asdict(c)} for key, (e, c) in self._open.items()]
        try:
            async with self.db_of().begin() as conn:
                await presence_repo.replace_mine(conn, self.instance_id, rows, now + timedelta(seconds=self.expiry))
                purged = await presence_repo.purge_expired(conn, now)
                if conn.dialect.name == "postgresql":
                    shared = SharedWrites(self.instance_id)
                    for event_id in sorted(changed | set(purged)):
                        await shared.announce(conn, PRESENCE_NOTICE + event_id, "stage_presence")
        except BaseException:
            self._changed |= changed  # said again at the next write
            raise
        self._written = bool(rows)
        for event_id in purged:  # viewers of a dead instance left: this instance's consoles too
            self.on_change(event_id)

    async def _run(self) -> None:
        """Write after changes (coalesced) and on every heartbeat, while anything is or was open."""
        while (self._open or self._changed or self._written) and not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.heartbeat)
            self._wake.clear()
            if self._stopping:  # stop() writes the last rows itself
                return
            try:
                await self.write()
            except Exception as exc:  # the database is away: the next heartbeat writes it all again
                log.warning("could not record the open presenter views: %s", exc)

    async def stop(self) -> None:
        """Stop the heartbeat and take this instance's rows out (a clean stop: gone at once)."""
        # The heartbeat ends by itself, a write under way finished: a cancel could cut a database
        # call in half (on SQLite that can hang the close; see DeliveryWorker.request_stop).
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=STOP_GRACE_SECONDS)
            await cancel_and_wait(self._task)
        self._changed |= {e for e, _ in self._open.values()}
        self._open.clear()
        if self._changed or self._written:
            with contextlib.suppress(Exception):
                await self.write()
