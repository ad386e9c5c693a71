"""Engine writes shared by several instances: one writer at a time across the cluster, and a change
notice sent in the same transaction (PostgreSQL delivers NOTIFY only if the transaction commits).

Each instance's engine already serialises its own writes with an asyncio lock; the transaction-level
advisory lock extends that to every instance, so a host action taken on a standby is checked
against the state as stored, never against a stale cache, and delivery numbers never collide.
It is released by the commit or the rollback, also when the process dies mid-transaction.
"""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncConnection

from app.store import cluster_repo

WRITE_KEY = 0x5C0_11E6  # any key that differs from the dispatcher lease's
CHANNEL = "showcaller_changes"


def notice(origin: str, event_id: str, reason: str) -> str:
    """The NOTIFY payload: who changed which event and why (well under PostgreSQL's 8000 bytes)."""
    return json.dumps({"from": origin, "event": event_id, "reason": reason[:64]})


class SharedWrites:
    """What the engine does on a shared database inside each write transaction."""

    def __init__(self, origin: str):
        self.origin = origin  # this instance's id: it skips its own notices

    async def lock(self, conn: AsyncConnection) -> None:
        """Wait for every other instance's write transaction to finish (first statement of a write)."""
        await cluster_repo.lock_writes(conn, WRITE_KEY)

    async def announce(self, conn: AsyncConnection, event_id: str, reason: str) -> None:
        """Tell every instance, on commit, that `event_id` changed."""
        payload = notice(self.origin, event_id, reason)
        await cluster_repo.notify(conn, CHANNEL, payload)


# Notices that are not about one event's run (their "event" is not a slug, so they never collide
# with one, and they coalesce apart from it in the listener):
ACCESS_NOTICE = "*access"  # a token was revoked or changed role: re-check the open streams
PRESENCE_NOTICE = "*stage:"  # + event id: a presenter view opened or closed on another instance


async def announce_access(conn: AsyncConnection, origin: str) -> None:
    """Tell every instance, on commit, that tokens changed (no-op on SQLite: one instance, which
    re-checks its own streams itself)."""
    if conn.dialect.name == "postgresql":
        await SharedWrites(origin).announce(conn, ACCESS_NOTICE, "access")
