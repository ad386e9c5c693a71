"""Open event streams and the token each relies on: a stream ends when its token's access does.

A stream is authorised once, when it opens; without this it would outlive a revoked presenter link
or API token, or a role taken away, for as long as the browser kept it open. Every change to tokens
wakes `check()` (locally, and on other instances through the cluster's change notice), which reads
the open streams' tokens from the database in one query and ends each stream whose token is revoked,
no longer has the role the stream needs, or is bound to another event. A slow poll backs the
notices up; on SQLite it is fast, because `showcaller token revoke` runs in a process of its own
that cannot tell the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.tasks import cancel_and_wait
from app.core.vocabulary import ROLE_RANK, HostRole
from app.store import tokens_repo

log = logging.getLogger("showcaller.streams")
ENDED = "access_ended"  # the reason put in an ended stream's queue to wake it
RECENT = 2.0  # seconds: a stream registered this soon after a token change is checked at once


def allows(row, role: str, event_id: str) -> bool:
    """Whether a token row (None: revoked or gone) still opens a stream of `event_id` needing `role`."""
    if row is None:
        return False
    if role == HostRole.DECK:  # the deck's stream: a deck token or a viewer and up (not a stage token)
        if row.role != HostRole.DECK and ROLE_RANK[row.role] < ROLE_RANK[HostRole.VIEWER]:
            return False
    elif ROLE_RANK[row.role] < ROLE_RANK[role]:
        return False
    return row.event_id is None or row.event_id == event_id


@dataclass(eq=False)
class OpenStream:
    """One open stream: whose token, which event, the least role it needs, and its change queue."""

    token_id: str | None
    event_id: str
    role: str
    queue: asyncio.Queue
    ended: bool = False

    def end(self) -> None:
        self.ended = True
        if self.queue.full():  # wake the stream even if it is behind (it stops at once anyway)
            self.queue.get_nowait()
        self.queue.put_nowait(ENDED)


class StreamGuard:
    """`open()` when a stream starts, `close()` when it ends, `kick()` when tokens changed."""

    def __init__(self, db_of: Callable[[], AsyncEngine], poll: float):
        self.db_of, self.poll = db_of, poll
        self._open: set[OpenStream] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._kicked_at = float("-inf")
        self.checks = 0  # checks done (tests wait on it)

    def open(self, token_id: str | None, event_id: str, role: str, queue: asyncio.Queue) -> OpenStream:
        stream = OpenStream(token_id, event_id, role, queue)
        self._open.add(stream)
        if time.monotonic() - self._kicked_at < RECENT:
            # Its token was read before this registration: a revocation checked in between did not
            # see this stream, so check again rather than wait for the poll.
            self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="stream-access")
        return stream

    def close(self, stream: OpenStream) -> None:
        self._open.discard(stream)

    def kick(self) -> None:
        """Tokens changed: check the open streams now."""
        self._kicked_at = time.monotonic()
        self._wake.set()

    def streams(self) -> list[OpenStream]:
        return list(self._open)

    async def check(self) -> int:
        """End every open stream its token no longer opens; returns how many ended."""
        self.checks += 1
        watched = [s for s in self._open if s.token_id is not None and not s.ended]
        if not watched:
            return 0
        async with self.db_of().begin() as conn:
            rows = await tokens_repo.active_tokens(conn, sorted({s.token_id for s in watched if s.token_id}))
        ended = 0
        for stream in watched:
            if not allows(rows.get(stream.token_id or ""), stream.role, stream.event_id):
                stream.end()
                self._open.discard(stream)
                ended += 1
        if ended:
            log.info("ended %d event stream(s) whose token was revoked or lost its role", ended)
        return ended

    async def _run(self) -> None:
        while self._open:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)
            self._wake.clear()
            try:
                await self.check()
            except Exception as exc:  # the database is away: streams stay open until the next check
                log.warning("could not check the open streams' tokens: %s", exc)

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
