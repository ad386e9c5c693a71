"""SQLite: see the changes another process (a local `showcaller apply` or `load`) made to the events.

On PostgreSQL a change notice reaches every instance in the committing transaction
(app/cluster/notify.py). SQLite has no notices, and a SQLite database has one `serve`; a command run
next to it is another process that cannot tell it anything. Rather than have the command find the
running service and post the change to its API (it would need the address and an organiser
token, and a service that is down would make a local command fail), the service looks: twice a
second it reads each event's change marker (its schedule hash) and the Zoom links recorded for it,
two small indexed reads, and follows whatever differs exactly as it follows a PostgreSQL notice.
The service's own writes also change the marker: a schedule whose new marker is the one this
process already has in memory (`known`) is its own write and is not followed (following it was a
no-op that cost the engine's lock and five reads per loaded event, half the cost of a bulk load).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.tasks import cancel_and_wait
from app.store import events_repo

log = logging.getLogger("showcaller.cluster")
POLL_SECONDS = 0.5

Marks = dict[str, tuple]


async def marks(db: AsyncEngine) -> tuple[Marks, Marks]:
    """(event id -> its schedule hash, event id -> its recorded Zoom links and when they were applied)."""
    async with db.connect() as conn:
        return await events_repo.change_marks(conn)


def differences(before: Marks, after: Marks) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


class ChangePoll:
    """`start()` reads the marks now and then polls; `follow(event_id, reason)` runs for each event
    whose schedule ("schedule") or Zoom links ("zoom") changed since the last look."""

    def __init__(
        self,
        db: AsyncEngine,
        follow: Callable[[str, str], Awaitable[None]],
        every: float = POLL_SECONDS,
        known: Callable[[str], tuple | None] = lambda event_id: None,
    ) -> None:
        self.db, self.follow, self.every = db, follow, every
        # The schedule marker this process has in memory for an event (None: none): an equal stored
        # marker is this process's own write, already in memory.
        self.known = known
        self._seen: tuple[Marks, Marks] = ({}, {})
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    async def look(self) -> None:
        """Take the current marks as seen (what is stored now needs no following)."""
        self._seen = await marks(self.db)

    async def start(self) -> None:
        await self.look()
        self._task = asyncio.create_task(self._run(), name="sqlite-change-poll")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let a look under way finish, then end: cancelling one half-way through its SQLite call
        left the connection in a state that could hang the engine's dispose at shutdown."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout=grace_seconds)
        if not task.done():  # stuck for the grace period: cancel as a last resort
            await cancel_and_wait(task)

    async def check(self) -> set[str]:
        """One look: follow what changed; returns the event ids followed."""
        (schedules, zoom), now = self._seen, await marks(self.db)
        theirs = [e for e in differences(schedules, now[0]) if now[0].get(e) is None or self.known(e) != now[0][e]]
        changed = dict.fromkeys(theirs, "schedule")
        changed.update(dict.fromkeys(differences(zoom, now[1]), "zoom"))  # a "zoom" change reloads the links too
        for event_id, reason in sorted(changed.items()):
            await self.follow(event_id, reason)
        self._seen = now  # after following: a failed follow is tried again at the next look
        return set(changed)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.every)
            if self._stopping.is_set():
                return
            try:
                await self.check()
            except Exception as exc:  # a locked or busy database: look again next time
                log.warning("could not look for changes made by other processes: %s", exc)
