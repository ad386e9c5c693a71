"""API tokens and presenter links: stored only as SHA-256 hashes; the plain token is shown once at creation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.vocabulary import HostRole
from app.store.tables import api_tokens
from schedules.limits import TOKEN_NAME, too_long

# Lowest first. A stage token opens only the presenter view (current segment, timer, stage messages).
ROLES = tuple(reversed(HostRole))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    conn: AsyncConnection,
    name: str,
    role: str,
    now: datetime,
    *,
    event_id: str | None = None,
    person: str | None = None,
) -> tuple[str, str]:
    """Create a token (a stage token may be bound to one event and person); returns (id, plain token)."""
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; use one of: {', '.join(ROLES)}")
    if problem := too_long(name, TOKEN_NAME):
        raise ValueError(f"the token name {problem}; give a shorter --name")
    token = "sc_" + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(8)
    await conn.execute(
        insert(api_tokens).values(
            id=token_id,
            name=name,
            role=role,
            token_hash=hash_token(token),
            created_at=now,
            event_id=event_id,
            person=person,
        )
    )
    return token_id, token


# Built once: every API request looks its token up, and building the statement (and its cache key)
# cost about as much as running it on SQLite.
_FIND_TOKEN = select(api_tokens).where(
    api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None)
)


async def find_token(conn: AsyncConnection, token: str):
    """The active token row for a presented token, or None."""
    return (await conn.execute(_FIND_TOKEN, {"token_hash": hash_token(token)})).first()


async def list_tokens(conn: AsyncConnection) -> list:
    return list((await conn.execute(select(api_tokens).order_by(api_tokens.c.created_at))).all())


async def revoke_token(conn: AsyncConnection, token_id: str, now: datetime) -> bool:
    result = await conn.execute(
        update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return result.rowcount == 1


async def stage_links(conn: AsyncConnection, event_id: str) -> dict[str, Any]:
    """The active stage link token row of each person of an event, keyed by person id."""
    rows = (
        await conn.execute(
            select(api_tokens)
            .where(
                api_tokens.c.event_id == event_id,
                api_tokens.c.role == HostRole.STAGE,
                api_tokens.c.person.is_not(None),
                api_tokens.c.revoked_at.is_(None),
            )
            .order_by(api_tokens.c.created_at)
        )
    ).all()
    return {row.person: row for row in rows}


async def revoke_stage_link(conn: AsyncConnection, event_id: str, person: str, now: datetime) -> int:
    """Revoke a person's stage link(s) for an event; returns how many were active."""
    result = await conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.event_id == event_id,
            api_tokens.c.person == person,
            api_tokens.c.role == HostRole.STAGE,
            api_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount


async def active_tokens(conn: AsyncConnection, ids: list[str]) -> dict[str, Any]:
    """The active (unrevoked) token rows among `ids`, keyed by id."""
    if not ids:
        return {}
    rows = (
        await conn.execute(select(api_tokens).where(api_tokens.c.id.in_(ids), api_tokens.c.revoked_at.is_(None)))
    ).all()
    return {row.id: row for row in rows}


async def change_role(conn: AsyncConnection, token_id: str, role: str) -> bool:
    """Give an active token another role. A token bound to an event and person (a presenter link)
    stays a stage token: a link handed to a speaker must never open more than the presenter view."""
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; use one of: {', '.join(ROLES)}")
    result = await conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None), api_tokens.c.event_id.is_(None))
        .values(role=role)
    )
    return result.rowcount == 1
