"""What the database remembers about each event's Zoom object, step by step as apply proceeds
(the statements are app/store/zoom_repo.py; each step is its own short transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.store import zoom_repo
from integrations.zoom import ApplyResult, Journal, MeetingSpec
from integrations.zoom.models import ZoomMeeting


async def stored(db: AsyncEngine, event_id: str) -> Any:
    """The Zoom object recorded for an event, or None."""
    async with db.begin() as conn:
        return await zoom_repo.stored(conn, event_id)


async def pending_create(db: AsyncEngine, event_id: str) -> Any:
    """A create sent for the event whose answer was never recorded, or None."""
    async with db.begin() as conn:
        return await zoom_repo.pending_create(conn, event_id)


async def other_ids(db: AsyncEngine, event_id: str) -> set[int]:
    """Zoom ids recorded for other events (never adopted for this one)."""
    async with db.begin() as conn:
        return await zoom_repo.other_ids(conn, event_id)


def links_of(obj: ZoomMeeting | ApplyResult) -> dict[str, Any]:
    """The identifiers and links to store, from a Zoom answer or an apply result."""
    return {
        "zoom_id": obj.id,
        "uuid": obj.uuid,
        "join_url": obj.join_url,
        "start_url": obj.start_url,
        "registration_url": obj.registration_url,
    }


async def record_object(
    db: AsyncEngine, event_id: str, kind: str, links: dict[str, Any], spec: MeetingSpec, sandbox: bool, now: datetime
) -> None:
    """Record (or replace) the event's Zoom object and its links; the pending create is settled."""
    async with db.begin() as conn:
        await zoom_repo.record_object(
            conn,
            event_id,
            kind=kind,
            host=spec.host_user,
            applied_spec=spec.model_dump(mode="json"),
            links=links,
            sandbox=sandbox,
            now=now,
        )


async def forget_pending_create(db: AsyncEngine, event_id: str) -> None:
    """The pending create was looked for and never happened."""
    async with db.begin() as conn:
        await zoom_repo.forget_pending_create(conn, event_id)


async def record_start_url(db: AsyncEngine, event_id: str, start_url: str | None, now: datetime) -> None:
    """Store a freshly read start link."""
    async with db.begin() as conn:
        await zoom_repo.record_start_url(conn, event_id, start_url, now)


def db_journal(db: AsyncEngine, event_id: str, spec: MeetingSpec, sandbox: bool, now: datetime) -> Journal:
    """Journal hooks that write each step of apply to the database the moment it happens."""

    async def creating(_spec: MeetingSpec) -> None:
        async with db.begin() as conn:
            await zoom_repo.record_create(
                conn, event_id, kind=spec.kind, host=spec.host_user, topic=spec.topic, now=now
            )

    async def created(meeting: ZoomMeeting) -> None:
        await record_object(db, event_id, spec.kind, links_of(meeting), spec, sandbox, now)

    async def deleted(_kind: str, _zoom_id: int) -> None:
        async with db.begin() as conn:
            await zoom_repo.forget_object(conn, event_id)

    return Journal(creating=creating, created=created, deleted=deleted)
