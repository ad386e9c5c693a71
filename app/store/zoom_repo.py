"""The Zoom object recorded for each event, and the create sent but not yet answered.

`app/zoom/journal.py` calls these as apply proceeds, one short transaction per step, so a failed or
interrupted apply leaves the database saying what Zoom holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import zoom_creates, zoom_objects


async def stored(conn: AsyncConnection, event_id: str) -> Any:
    """The Zoom object recorded for an event, or None."""
    return (await conn.execute(select(zoom_objects).where(zoom_objects.c.event_id == event_id))).first()


async def pending_create(conn: AsyncConnection, event_id: str) -> Any:
    """A create sent for the event whose answer was never recorded, or None."""
    return (await conn.execute(select(zoom_creates).where(zoom_creates.c.event_id == event_id))).first()


async def other_ids(conn: AsyncConnection, event_id: str) -> set[int]:
    """Zoom ids recorded for other events (never adopted for this one)."""
    rows = await conn.execute(select(zoom_objects.c.zoom_id).where(zoom_objects.c.event_id != event_id))
    return {int(r.zoom_id) for r in rows}


async def record_object(
    conn: AsyncConnection,
    event_id: str,
    *,
    kind: str,
    host: str,
    applied_spec: dict[str, Any],
    links: dict[str, Any],
    sandbox: bool,
    now: datetime,
) -> None:
    """Record (or replace) the event's Zoom object and its links; the pending create is settled."""
    await conn.execute(delete(zoom_creates).where(zoom_creates.c.event_id == event_id))
    await conn.execute(delete(zoom_objects).where(zoom_objects.c.event_id == event_id))
    await conn.execute(
        insert(zoom_objects).values(
            event_id=event_id,
            kind=kind,
            host=host,
            sandbox=sandbox,
            applied_spec=applied_spec,
            applied_at=now,
            start_url_at=now if links.get("start_url") else None,
            **links,
        )
    )


async def forget_pending_create(conn: AsyncConnection, event_id: str) -> None:
    """The pending create was looked for and never happened."""
    await conn.execute(delete(zoom_creates).where(zoom_creates.c.event_id == event_id))


async def record_start_url(conn: AsyncConnection, event_id: str, start_url: str | None, now: datetime) -> None:
    """Store a freshly read start link."""
    await conn.execute(
        update(zoom_objects).where(zoom_objects.c.event_id == event_id).values(start_url=start_url, start_url_at=now)
    )


async def record_create(
    conn: AsyncConnection, event_id: str, *, kind: str, host: str, topic: str, now: datetime
) -> None:
    """A create is about to be sent: remembered first, so an answer lost in transit can be adopted."""
    await conn.execute(delete(zoom_creates).where(zoom_creates.c.event_id == event_id))
    await conn.execute(
        insert(zoom_creates).values(event_id=event_id, kind=kind, host=host, topic=topic, requested_at=now)
    )


async def forget_object(conn: AsyncConnection, event_id: str) -> None:
    """The event's Zoom object was deleted in Zoom."""
    await conn.execute(delete(zoom_objects).where(zoom_objects.c.event_id == event_id))
