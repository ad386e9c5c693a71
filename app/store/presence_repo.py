"""Presenter views open right now on every instance (each instance owns and rewrites its own rows)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import stage_presence


async def replace_mine(conn: AsyncConnection, instance_id: str, rows: Iterable[dict], expires_at: datetime) -> None:
    """This instance's rows become exactly `rows` (dicts of the table's columns but expires_at)."""
    await conn.execute(delete(stage_presence).where(stage_presence.c.instance_id == instance_id))
    values = [{**row, "instance_id": instance_id, "expires_at": expires_at} for row in rows]
    if values:
        await conn.execute(insert(stage_presence), values)


async def purge_expired(conn: AsyncConnection, now: datetime) -> list[str]:
    """Forget the rows of instances that stopped renewing them; returns the events they were in."""
    gone = await conn.execute(
        delete(stage_presence).where(stage_presence.c.expires_at <= now).returning(stage_presence.c.event_id)
    )
    return sorted({row.event_id for row in gone})


async def others(conn: AsyncConnection, event_id: str, instance_id: str, now: datetime) -> list:
    """The live rows of an event held by other instances."""
    return list(
        (
            await conn.execute(
                select(stage_presence).where(
                    stage_presence.c.event_id == event_id,
                    stage_presence.c.instance_id != instance_id,
                    stage_presence.c.expires_at > now,
                )
            )
        ).all()
    )
