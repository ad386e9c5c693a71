"""Registrants of a meeting/webinar, as last fetched from Zoom."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import zoom_registrants


@dataclass(frozen=True)
class RegistrantRow:
    """One registrant: identity, status, standard fields (Zoom names) and custom answers."""

    registrant_id: str
    status: str
    email: str | None
    first_name: str | None
    last_name: str | None
    fields: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    registered_at: datetime | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


async def replace_registrants(
    conn: AsyncConnection, meeting_id: str, rows: Iterable[RegistrantRow], now: datetime
) -> int:
    """Store Zoom's latest list for a meeting (a registrant Zoom no longer lists is dropped)."""
    await conn.execute(delete(zoom_registrants).where(zoom_registrants.c.meeting_id == meeting_id))
    values: list[dict[str, Any]] = [
        {
            "meeting_id": meeting_id,
            "registrant_id": r.registrant_id,
            "status": r.status,
            "email": r.email,
            "first_name": r.first_name,
            "last_name": r.last_name,
            "fields": dict(r.fields),
            "answers": [{"title": t, "value": v} for t, v in r.answers.items()],
            "registered_at": r.registered_at,
            "fetched_at": now,
        }
        for r in rows
    ]
    if values:
        await conn.execute(insert(zoom_registrants), values)
    return len(values)


async def registrants_for_meeting(conn: AsyncConnection, meeting_id: str) -> list[RegistrantRow]:
    """Every stored registrant of a meeting, in registration order."""
    query = select(zoom_registrants).where(zoom_registrants.c.meeting_id == meeting_id)
    rows = [
        RegistrantRow(
            r.registrant_id,
            r.status,
            r.email,
            r.first_name,
            r.last_name,
            dict(r.fields or {}),
            {a["title"]: a["value"] for a in r.answers or []},
            r.registered_at,
        )
        for r in await conn.execute(query)
    ]
    return sorted(rows, key=lambda r: (r.registered_at is None, r.registered_at or datetime.min, r.registrant_id))


async def fetched_at(conn: AsyncConnection, meeting_id: str) -> datetime | None:
    """When the registrants of a meeting were last fetched (None: never)."""
    query = select(zoom_registrants.c.fetched_at).where(zoom_registrants.c.meeting_id == meeting_id).limit(1)
    return (await conn.execute(query)).scalar()
