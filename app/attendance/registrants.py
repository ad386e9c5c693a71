"""Fetch who registered and who attended from Zoom, after the event or on demand, into the database.

Zoom lists registrants by status (approved by default), so all three statuses are read; both lists
are paginated and `ZoomClient` follows `next_page_token` to the end. Past participants are read per
ended instance, as the reconciler does, so an on-demand fetch fills the same table it fills.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.polls import count_answers
from app.attendance.reconcile import past_rows
from app.store import attendance_repo, registrants_repo
from app.store.registrants_repo import RegistrantRow
from integrations.zoom.errors import ZoomError
from integrations.zoom.spec import STANDARD_FIELDS

log = logging.getLogger("showcaller.attendance")
STATUSES = ("approved", "pending", "denied")


# Zoom's standard fields but the last name, which the row keeps in a column of its own.
FIELD_NAMES = frozenset(STANDARD_FIELDS) - {"last_name"}


def registrant_row(r: Any) -> RegistrantRow:
    """A client Registrant -> the stored row (standard fields under Zoom's names, extra ones included)."""
    data = r.model_dump()
    fields = {name: str(value) for name, value in data.items() if name in FIELD_NAMES and value not in (None, "")}
    return RegistrantRow(
        r.id,
        r.status or "approved",
        r.email or None,
        r.first_name or None,
        r.last_name or None,
        fields,
        {a.title: a.value for a in r.custom_questions if a.title},
        r.create_time,
    )


async def fetch_registrants(db: AsyncEngine, client: Any, meeting_id: str, kind: str, now: datetime) -> int:
    """Read every registrant (all statuses, all pages) and store them; how many there are."""
    rows: list[RegistrantRow] = []
    for status in STATUSES:
        listed = await client.list_registrants(meeting_id, webinar=kind == "webinar", status=status)
        rows += [registrant_row(r) for r in listed]
    async with db.begin() as conn:
        return await registrants_repo.replace_registrants(conn, meeting_id, rows, now)


@dataclass
class Fetched:
    """What an on-demand fetch stored."""

    registrants: int = 0
    instances: int = 0
    participant_rows: int = 0
    poll_answers: int = 0  # people who answered a poll, over every instance


async def fetch_records(db: AsyncEngine, client: Any, event_id: str, now: datetime) -> Fetched | None:
    """Registrants and past participants of the event's meeting (None: no meeting linked)."""
    from app.zoom.journal import stored

    row = await stored(db, event_id)
    if row is None:
        return None
    meeting_id, out = str(row.zoom_id), Fetched()
    registration_on = (row.applied_spec or {}).get("registration", False)
    if registration_on:
        out.registrants = await fetch_registrants(db, client, meeting_id, row.kind, now)
    async with db.begin() as conn:
        instances = [i for i in await attendance_repo.ended_instances(conn) if i.meeting_id == meeting_id]
    for inst in instances:
        rows = past_rows(
            inst.meeting_uuid, await client.list_past_participants(inst.meeting_uuid, webinar=row.kind == "webinar")
        )
        async with db.begin() as conn:
            out.participant_rows += await attendance_repo.replace_past_rows(conn, meeting_id, inst.meeting_uuid, rows)
        out.instances += 1
        out.poll_answers += await fetch_poll_results(db, client, meeting_id, inst.meeting_uuid, row.kind, now)
    return out


async def fetch_poll_results(db: AsyncEngine, client: Any, meeting_id: str, uuid: str, kind: str, now: datetime) -> int:
    """Store an ended instance's poll counts (app/attendance/polls.py); how many people answered.
    Polls are an extra: a meeting without them (404) or an account with polls off stores nothing
    and does not fail the fetch."""
    try:
        results = await client.past_poll_results(uuid, webinar=kind == "webinar")
    except ZoomError as exc:
        log.info("no poll results for %s: %s", uuid, exc)
        return 0
    async with db.begin() as conn:
        await attendance_repo.replace_poll_results(conn, meeting_id, uuid, count_answers(results.questions), now)
    return len(results.questions)


async def fetch_now(setup: Any, schedule: Any, now: datetime) -> Fetched | None:
    """On demand: through a ZoomSetup's Zoom access (real Zoom, or the sandbox), fetch the event's records."""
    async with setup.access(schedule) as access:
        return await fetch_records(setup.db, access.client, schedule.event.id, now)
