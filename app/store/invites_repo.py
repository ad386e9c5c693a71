"""Invites sent: per person, the content's fingerprint and the calendar sequence number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import invites


async def next_sequence(conn: AsyncConnection, event_id: str, person: str, fingerprint: str, now: datetime) -> int:
    """The invite's sequence number for calendars: the same while its content is the same, one more
    each time it changes (so a calendar replaces the invite it has)."""
    row = (
        await conn.execute(select(invites).where(invites.c.event_id == event_id, invites.c.person == person))
    ).first()
    if row is None:
        await conn.execute(
            insert(invites).values(
                event_id=event_id, person=person, sequence=0, content_hash=fingerprint, updated_at=now
            )
        )
        return 0
    if row.content_hash == fingerprint:
        return row.sequence
    await conn.execute(
        update(invites)
        .where(invites.c.event_id == event_id, invites.c.person == person)
        .values(sequence=row.sequence + 1, content_hash=fingerprint, updated_at=now)
    )
    return row.sequence + 1
