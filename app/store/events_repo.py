"""Loaded events and the append-only run log of host actions."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store.tables import cues, deliveries, events, idempotency_keys, run_log, zoom_objects
from schedules.adjustments import Adjustment, from_dict
from schedules.model import Schedule


def text_hash(text: str) -> str:
    """Fingerprint of a schedule's text."""
    return hashlib.sha256(text.encode()).hexdigest()


class Stored(NamedTuple):
    """What `upsert_event` did: "new" (inserted), "changed" (its text replaced) or "same" (the same
    text: the row kept as it was, its source name and loaded_at too), and the row's source and
    loaded_at after it."""

    status: Literal["new", "changed", "same"]
    source: str
    loaded_at: datetime


# Built once (each load runs them): building a statement with its values cost more than running it.
_STORED_EVENT = select(events.c.schedule_hash, events.c.source, events.c.loaded_at).where(
    events.c.id == bindparam("id")
)
_INSERT_EVENT = insert(events)


async def upsert_event(
    conn: AsyncConnection,
    schedule: Schedule,
    source: str,
    text: str,
    now: datetime,
    plan_fingerprint: str | None = None,
) -> Stored:
    """Store (or replace) an event's schedule; a new row gets `plan_fingerprint` (the plan its
    outbox is about to get), so no UPDATE has to follow."""
    event = schedule.event
    digest = text_hash(text)
    row = (await conn.execute(_STORED_EVENT, {"id": event.id})).first()
    values = {
        "title": event.title,
        "timezone": event.timezone,
        "source": source,
        "schedule_text": text,
        "schedule_hash": digest,
        "loaded_at": now,
    }
    if row is None:
        await conn.execute(_INSERT_EVENT, {"id": event.id, "plan_fingerprint": plan_fingerprint, **values})
        return Stored("new", source, now)
    if row.schedule_hash != digest:
        await conn.execute(update(events).where(events.c.id == event.id).values(**values))
        return Stored("changed", source, now)
    return Stored("same", row.source, row.loaded_at)


async def delete_event(conn: AsyncConnection, event_id: str) -> None:
    """Remove an event with its run log, cues and deliveries (a rehearsal starts from scratch)."""
    for table in (deliveries, cues, idempotency_keys, run_log):
        await conn.execute(delete(table).where(table.c.event_id == event_id))
    await conn.execute(delete(events).where(events.c.id == event_id))


async def get_event(conn: AsyncConnection, event_id: str):
    """The event row, or None."""
    return (await conn.execute(select(events).where(events.c.id == event_id))).first()


async def any_stored(conn: AsyncConnection) -> bool:
    """Whether at least one event is stored."""
    return (await conn.execute(select(events.c.id).limit(1))).first() is not None


async def list_events(conn: AsyncConnection) -> list:
    """All loaded events, by id."""
    return list((await conn.execute(select(events).order_by(events.c.id))).all())


async def plan_state(conn: AsyncConnection) -> dict[str, tuple[str, str | None, int]]:
    """Every event's (schedule hash, stored plan fingerprint, last run-log seq), without the
    schedule text: enough to tell, at start-up, which outboxes may be out of date."""
    last = {
        row.event_id: row.seq
        for row in await conn.execute(
            select(run_log.c.event_id, func.max(run_log.c.seq).label("seq")).group_by(run_log.c.event_id)
        )
    }
    rows = await conn.execute(select(events.c.id, events.c.schedule_hash, events.c.plan_fingerprint))
    return {row.id: (row.schedule_hash, row.plan_fingerprint, last.get(row.id) or 0) for row in rows}


async def set_plan_fingerprint(conn: AsyncConnection, event_id: str, fingerprint: str | None) -> None:
    """Record what the event's outbox was just planned from (None: re-plan it at the next start)."""
    await conn.execute(update(events).where(events.c.id == event_id).values(plan_fingerprint=fingerprint))


async def append_action(conn: AsyncConnection, event_id: str, adjustment: Adjustment, actor: str | None) -> int:
    """Append one host action to the run log; returns its sequence number."""
    last = (await conn.execute(select(func.max(run_log.c.seq)).where(run_log.c.event_id == event_id))).scalar()
    seq = (last or 0) + 1
    data = adjustment.to_dict()
    data["seq"] = seq
    await conn.execute(
        insert(run_log).values(
            event_id=event_id, seq=seq, at=adjustment.at, kind=adjustment.kind, data=data, actor=actor
        )
    )
    return seq


async def load_log(conn: AsyncConnection, event_id: str) -> list[tuple[Adjustment, str | None]]:
    """Every host action on an event with who took it, in order."""
    query = select(run_log.c.data, run_log.c.actor).where(run_log.c.event_id == event_id).order_by(run_log.c.seq)
    return [(from_dict(row.data), row.actor) for row in await conn.execute(query)]


async def load_actions(conn: AsyncConnection, event_id: str) -> list[Adjustment]:
    """Every host action on an event, in order."""
    rows = await conn.execute(select(run_log.c.data).where(run_log.c.event_id == event_id).order_by(run_log.c.seq))
    return [from_dict(row.data) for row in rows]


async def action_log(conn: AsyncConnection, event_id: str) -> list:
    """The run log rows (for the API and reports)."""
    query = select(run_log).where(run_log.c.event_id == event_id).order_by(run_log.c.seq)
    return list((await conn.execute(query)).all())


async def versions(conn: AsyncConnection, event_ids: list[str] | None = None) -> dict[str, tuple[str, int]]:
    """Each event's (schedule hash, last run-log seq): what another instance may have changed."""
    last = select(run_log.c.event_id, func.max(run_log.c.seq).label("seq")).group_by(run_log.c.event_id)
    if event_ids is not None:
        last = last.where(run_log.c.event_id.in_(event_ids))
    seqs = {row.event_id: row.seq for row in await conn.execute(last)}
    query = select(events.c.id, events.c.schedule_hash)
    if event_ids is not None:
        query = query.where(events.c.id.in_(event_ids))
    return {row.id: (row.schedule_hash, seqs.get(row.id) or 0) for row in await conn.execute(query)}


async def join_links(conn: AsyncConnection) -> dict[str, str]:
    """Each event's Zoom join link (events with a meeting that has one)."""
    rows = (await conn.execute(select(zoom_objects.c.event_id, zoom_objects.c.join_url))).all()
    return {row.event_id: row.join_url for row in rows if row.join_url}


async def change_marks(conn: AsyncConnection) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """What another process may have changed, per event: (id -> (schedule hash,), id -> (join URL,
    registration URL, applied at) of its Zoom object). Two small reads (a SQLite `serve` polls them)."""
    stored = {row.id: (row.schedule_hash,) for row in await conn.execute(select(events.c.id, events.c.schedule_hash))}
    query = select(
        zoom_objects.c.event_id, zoom_objects.c.join_url, zoom_objects.c.registration_url, zoom_objects.c.applied_at
    )
    return stored, {row.event_id: tuple(row[1:]) for row in await conn.execute(query)}
