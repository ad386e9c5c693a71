"""Stream tickets: stored as SHA-256 hashes; redeeming deletes the row, so each works once anywhere."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import stream_tickets


async def add_ticket(
    conn: AsyncConnection,
    ticket_hash: str,
    token_id: str,
    event_id: str,
    *,
    expires_at: datetime,
    now: datetime,
    keep: int,
) -> None:
    """Store a ticket; drop every expired one, and a token's oldest beyond `keep` unredeemed ones."""
    await conn.execute(delete(stream_tickets).where(stream_tickets.c.expires_at <= now))
    await conn.execute(
        insert(stream_tickets).values(
            ticket_hash=ticket_hash, token_id=token_id, event_id=event_id, expires_at=expires_at
        )
    )
    mine = stream_tickets.c.token_id == token_id
    count = (await conn.execute(select(func.count()).select_from(stream_tickets).where(mine))).scalar_one()
    if count > keep:
        oldest = select(stream_tickets.c.ticket_hash).where(mine).order_by(stream_tickets.c.expires_at)
        await conn.execute(
            delete(stream_tickets).where(stream_tickets.c.ticket_hash.in_(oldest.limit(count - keep).scalar_subquery()))
        )


async def take_ticket(conn: AsyncConnection, ticket_hash: str):
    """Delete a ticket and return its row (token_id, event_id, expires_at), or None if there is none.

    The DELETE is the single use: of two instances redeeming the same ticket at once, the database
    lets exactly one of them delete the row."""
    return (
        await conn.execute(
            delete(stream_tickets)
            .where(stream_tickets.c.ticket_hash == ticket_hash)
            .returning(stream_tickets.c.token_id, stream_tickets.c.event_id, stream_tickets.c.expires_at)
        )
    ).first()


async def count_tickets(conn: AsyncConnection) -> int:
    return (await conn.execute(select(func.count()).select_from(stream_tickets))).scalar_one()
