"""PostgreSQL's cluster primitives the instances share: the writer lock, change notices, and the
check that the dispatcher lease is still held (app/cluster/ decides when to use them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# The lease is a session advisory lock held by this process's own connection (`pid`), in this database.
_LEASE_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = :key "
    "AND objsubid = 1 AND pid = :pid AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
)


async def lock_writes(conn: AsyncConnection, key: int) -> None:
    """Wait for the transaction-level advisory lock `key` (released by the commit or rollback)."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def notify(conn: AsyncConnection, channel: str, payload: str) -> None:
    """NOTIFY `channel`: delivered to every listener when the transaction commits."""
    await conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})


async def lease_held(conn: AsyncConnection, key: int, pid: int) -> bool:
    """Whether the session advisory lock `key` is granted to the backend `pid` in this database."""
    return bool((await conn.execute(_LEASE_HELD, {"key": key, "pid": pid})).scalar())


async def try_lease(raw: Any, key: int) -> bool:
    """Take the session advisory lock `key` on an asyncpg connection, without waiting."""
    return bool(await raw.fetchval("SELECT pg_try_advisory_lock($1)", key))


async def ping(raw: Any) -> None:
    """One round trip on an asyncpg connection (the lease's heartbeat)."""
    await raw.fetchval("SELECT 1")
