"""Event-stream tickets: browsers cannot send a header with EventSource, and a token in the URL ends
up in access logs and proxies. A ticket is what goes in the URL instead: asked for with the bearer
token (POST), valid for one event, for a few seconds, and for one connection only.

Tickets are kept in the database (as hashes), not in memory, so behind a round-robin balancer a
ticket issued by one instance opens the stream on any other. The database rather than a signed
ticket because a signature proves where a ticket came from but not that it is unused: single use
across instances needs a shared record of it anyway, and deleting that row on redemption gives it
(of two instances redeeming one ticket at once, exactly one deletes the row).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from app.store import tickets_repo, tokens_repo

TICKET_SECONDS = 30.0
# Unredeemed tickets kept per token (its oldest are dropped): with expired ones purged at every
# issue, a bound on rows however fast a token asks.
MAX_OPEN_PER_TOKEN = 100


def _wall() -> datetime:
    return datetime.now(UTC)


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


@dataclass
class StreamTickets:
    """Single-use tickets in the shared database. Expiry is wall time, never the event clock (a
    rehearsal's clock runs faster)."""

    ttl: float = TICKET_SECONDS
    now: Callable[[], datetime] = field(default=_wall)
    keep: int = MAX_OPEN_PER_TOKEN

    async def issue(self, db: AsyncEngine, token_id: str | None, event_id: str) -> str:
        """A new ticket for the token `token_id` and one event."""
        if token_id is None:
            raise ValueError("a stream ticket is issued to a stored token (it is checked again when redeemed)")
        ticket = "stk_" + secrets.token_urlsafe(24)
        now = self.now()
        async with db.begin() as conn:
            expires = now + timedelta(seconds=self.ttl)
            await tickets_repo.add_ticket(
                conn, ticket_hash(ticket), token_id, event_id, expires_at=expires, now=now, keep=self.keep
            )
        return ticket

    async def redeem(self, db: AsyncEngine, ticket: str, event_id: str):
        """The active token row the ticket was issued to, or None (unknown, used, expired, another
        event, or its token revoked since). The ticket is used up either way."""
        async with db.begin() as conn:
            found = await tickets_repo.take_ticket(conn, ticket_hash(ticket))
            if found is None or found.event_id != event_id or found.expires_at <= self.now():
                return None
            return (await tokens_repo.active_tokens(conn, [found.token_id])).get(found.token_id)
