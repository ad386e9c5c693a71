"""Single-use action links: stored only as the SHA-256 of their secret, used at most once.

`use` is one conditional UPDATE (unused, unexpired), so two presses racing on two instances
cannot both act: the one whose UPDATE changed the row acts, the other is told it was used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import action_links
from schedules.limits import fit

TOKEN_PREFIX = "sca_"


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ActionLinkRow:
    id: str
    event_id: str
    verb: str
    expected: str | None
    expected_title: str | None
    target_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    result: str | None


def _row(row) -> ActionLinkRow:
    return ActionLinkRow(
        row.id,
        row.event_id,
        row.verb,
        row.expected,
        row.expected_title,
        row.target_id,
        row.created_at,
        row.expires_at,
        row.used_at,
        row.result,
    )


async def create(
    conn: AsyncConnection,
    *,
    event_id: str,
    verb: str,
    expected: str | None,
    expected_title: str | None,
    target_id: str,
    delivery_id: str | None,
    now: datetime,
    expires_at: datetime,
) -> str:
    """Store a new link; returns its plain token, which is never stored and never shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await conn.execute(
        insert(action_links).values(
            id=secrets.token_hex(8),
            token_hash=hash_secret(token),
            event_id=event_id,
            verb=verb,
            expected=expected,
            expected_title=fit(expected_title, 200) if expected_title else None,
            target_id=target_id,
            delivery_id=delivery_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token


async def find(conn: AsyncConnection, token: str) -> ActionLinkRow | None:
    """The link a presented token opens (used or not), or None for a token never made here."""
    row = (await conn.execute(select(action_links).where(action_links.c.token_hash == hash_secret(token)))).first()
    return _row(row) if row is not None else None


async def use(conn: AsyncConnection, link_id: str, now: datetime) -> bool:
    """Mark a link used if it is still unused and unexpired; True when this call used it."""
    result = await conn.execute(
        update(action_links)
        .where(action_links.c.id == link_id, action_links.c.used_at.is_(None), action_links.c.expires_at > now)
        .values(used_at=now)
    )
    return result.rowcount == 1


async def record_result(conn: AsyncConnection, link_id: str, result: str) -> None:
    """What pressing the link did, shown to whoever presses it again."""
    await conn.execute(update(action_links).where(action_links.c.id == link_id).values(result=fit(result, 2000)))
