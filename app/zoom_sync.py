"""Converge Zoom to a schedule: map the schedule onto a MeetingSpec, apply it, remember the ids.

In the sandbox (no Zoom credentials) the local Zoom emulator stands in, in-process, and its state
is kept in a JSON file so that a second `apply` sees what the first one created.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.store.tables import zoom_objects
from integrations.zoom import ApplyResult, ChangePlan, MeetingSpec, ZoomClient, converge, make_http_client
from integrations.zoom.converge import fetch_state, plan_changes
from integrations.zoom.spec import BreakoutRoom, Interpreter, PanelistSpec
from integrations.zoom_emulator import ZoomEmulator, create_emulator
from integrations.zoom_emulator.persist import restore, snapshot
from schedules.model import Schedule
from schedules.resolve import event_window
from schedules.roster import panelist_refs
from schedules.rules import email_of

SANDBOX_BASE = "http://zoom-emulator.local"


class ZoomSetupError(ValueError):
    """The schedule cannot be applied to Zoom as written (e.g. no host)."""


def _emails(schedule: Schedule, refs: list[str]) -> tuple[str, ...]:
    out = []
    for ref in refs:
        email = email_of(schedule, ref)
        if email and email.lower() not in {e.lower() for e in out}:
            out.append(email)
    return tuple(out)


def _panelists(schedule: Schedule) -> tuple[PanelistSpec, ...]:
    zoom = schedule.zoom
    if zoom.kind != "webinar":
        return ()
    out, seen = [], set()
    for _, ref in panelist_refs(schedule):
        person = schedule.person(ref)
        email = email_of(schedule, ref)
        if email is None or email.lower() in seen or (zoom.host and email.lower() == zoom.host.lower()):
            continue
        seen.add(email.lower())
        out.append(PanelistSpec(name=person.name if person else email.split("@")[0], email=email))
    return tuple(out)


def spec_from_schedule(schedule: Schedule) -> MeetingSpec:
    """The Zoom meeting or webinar a schedule asks for."""
    zoom, event = schedule.zoom, schedule.event
    if not zoom.host:
        raise ZoomSetupError("zoom.host is not set: name the Zoom user (email) that owns the meeting")
    meeting = zoom.kind == "meeting"
    opens, closes = event_window(schedule)
    minutes = max(1, round((closes - opens).total_seconds() / 60))
    return MeetingSpec(
        kind=zoom.kind, host_user=zoom.host, topic=zoom.topic or event.title,
        agenda=zoom.agenda or "", start_time=opens, duration_minutes=minutes, timezone=event.timezone,
        password=zoom.password, auto_recording=zoom.auto_recording, registration=zoom.registration,
        # Webinars have no waiting room, mute-on-entry or join-before-host: leave them unmanaged there.
        waiting_room=zoom.waiting_room if meeting else None,
        mute_upon_entry=zoom.mute_upon_entry if meeting else None,
        join_before_host=zoom.join_before_host if meeting else None,
        alternative_hosts=_emails(schedule, zoom.alternative_hosts),
        interpreters=tuple(Interpreter(email=email_of(schedule, i.interpreter), languages=tuple(i.languages))
                           for i in zoom.interpretation if email_of(schedule, i.interpreter)),
        breakout_rooms=tuple(BreakoutRoom(name=r.name, participants=_emails(schedule, r.participants))
                             for r in zoom.breakout_rooms),
        meeting_invitees=_emails(schedule, zoom.invitees),
        panelists=_panelists(schedule),
    )


@dataclass
class ZoomAccess:
    """A Zoom client and whether it talks to the sandbox emulator."""

    client: ZoomClient
    sandbox: bool


@contextlib.asynccontextmanager
async def zoom_access(settings: Settings, users: tuple[str, ...] = (), emulator: ZoomEmulator | None = None
                      ) -> AsyncIterator[ZoomAccess]:
    """A ZoomClient for the real Zoom (credentials set), a given emulator, or the persisted sandbox one."""
    if emulator is not None:
        for email in users:
            emulator.state.add_user(email)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url=SANDBOX_BASE) as http:
            yield ZoomAccess(sandbox_client(http, emulator), True)
        return
    if not settings.sandbox:
        async with make_http_client() as http:
            yield ZoomAccess(ZoomClient(http, api_base=settings.zoom_api_base, oauth_base=settings.zoom_oauth_base,
                                        account_id=settings.zoom_account_id, client_id=settings.zoom_client_id,
                                        client_secret=settings.zoom_client_secret.get_secret_value()), False)
        return
    path = Path(settings.sandbox_state_path)
    emulator = create_emulator(users=users)
    if path.exists():
        restore(emulator.state, json.loads(path.read_text(encoding="utf-8")))
    for email in users:
        emulator.state.add_user(email)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url=SANDBOX_BASE) as http:
        try:
            yield ZoomAccess(sandbox_client(http, emulator), True)
        finally:
            path.write_text(json.dumps(snapshot(emulator.state), indent=1), encoding="utf-8")


def sandbox_client(http: httpx.AsyncClient, emulator: ZoomEmulator) -> ZoomClient:
    """A ZoomClient talking to an in-process emulator over `http`."""
    state = emulator.state
    return ZoomClient(http, api_base=f"{SANDBOX_BASE}/v2", oauth_base=SANDBOX_BASE, account_id=state.account_id,
                      client_id=state.client_id, client_secret=state.client_secret)


def sandbox_users(schedule: Schedule) -> tuple[str, ...]:
    """The emulated account's users: the host and the alternative hosts (Zoom wants them licensed)."""
    return tuple(e for e in (schedule.zoom.host, *_emails(schedule, schedule.zoom.alternative_hosts)) if e)


async def stored(db: AsyncEngine, event_id: str):
    """The Zoom object recorded for an event, or None."""
    async with db.begin() as conn:
        return (await conn.execute(select(zoom_objects).where(zoom_objects.c.event_id == event_id))).first()


async def plan_only(db: AsyncEngine, access: ZoomAccess, schedule: Schedule) -> ChangePlan:
    """What apply would do, without writing to Zoom."""
    spec = spec_from_schedule(schedule)
    row = await stored(db, schedule.event.id)
    state = await fetch_state(access.client, row.kind, row.zoom_id) if row else None
    return plan_changes(spec, state)


async def apply_schedule(db: AsyncEngine, access: ZoomAccess, schedule: Schedule, now: datetime
                         ) -> tuple[ChangePlan, ApplyResult]:
    """Converge Zoom to the schedule and record ids and links."""
    spec = spec_from_schedule(schedule)
    row = await stored(db, schedule.event.id)
    existing = row.zoom_id if row is not None and row.kind == spec.kind else None
    plan, result = await converge(access.client, spec, existing)
    if result.id is not None:
        async with db.begin() as conn:
            await conn.execute(delete(zoom_objects).where(zoom_objects.c.event_id == schedule.event.id))
            await conn.execute(insert(zoom_objects).values(
                event_id=schedule.event.id, kind=spec.kind, zoom_id=result.id, uuid=result.uuid,
                host=spec.host_user, join_url=result.join_url, start_url=result.start_url,
                registration_url=result.registration_url, sandbox=access.sandbox,
                applied_spec=spec.model_dump(mode="json"), applied_at=now))
    return plan, result
