"""Idempotency keys: the first answer to a keyed request, stored with the run log it caused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import idempotency_keys


async def find(conn: AsyncConnection, key: str, since: datetime):
    """The stored answer for `key` if it was given after `since`, else None (an older one is dropped)."""
    row = (await conn.execute(select(idempotency_keys).where(idempotency_keys.c.key == key))).first()
    if row is not None and row.created_at < since:
        await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.key == key))
        return None
    return row


async def store(
    conn: AsyncConnection,
    key: str,
    event_id: str,
    fingerprint: str,
    status: int,
    answer: dict[str, Any],
    seq: int | None,
    now: datetime,
    since: datetime,
) -> None:
    """Remember the answer to `key` (and forget keys given before `since`)."""
    await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < since))
    await conn.execute(
        insert(idempotency_keys).values(
            key=key, event_id=event_id, fingerprint=fingerprint, status=status, answer=answer, seq=seq, created_at=now
        )
    )
