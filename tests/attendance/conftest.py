"""The harness's service on the Mekong schedule with a linked meeting, and Zoom webhook signing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from app.engine.clock import ManualClock
from app.store.tables import zoom_objects
from integrations.zoom.webhooks import sign
from integrations.zoom_emulator.payloads import (
    MeetingRef,
    Person,
    lifecycle_event,
    participant_event,
)
from integrations.zoom_emulator.render import zoom_time
from tests.conftest import MEKONG, bangkok
from tests.fixtures import UNREACHABLE, Recorder, mekong_text, start_service
from tests.fixtures.service import Runtime

EVENT = "mekong-dialogue-2022"
MEETING_ID = "81234567890"
UUID = "Xk3pQ9sYT0uYbq1yQm1zRw=="
SECRET = "emulator-secret-token"
BASE = "http://showcaller.test"


def meeting_ref(meeting_id: str = MEETING_ID, uuid: str = UUID) -> MeetingRef:
    return MeetingRef(
        kind="meeting",
        id=meeting_id,
        uuid=uuid,
        host_id="hostUser_1",
        host_email="host@example.org",
        topic="Mekong Dialogue",
        type=2,
        start_time=zoom_time(bangkok(13, 30)),
        timezone="Asia/Bangkok",
        duration=240,
        account_id="emulated-account",
    )


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(body: bytes, when: datetime, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(when.timestamp()))
    return {
        "content-type": "application/json",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": sign(secret, stamp, body),
    }


@dataclass
class Harness:
    runtime: Runtime
    clock: ManualClock
    client: httpx.AsyncClient
    recorder: Recorder
    ref: MeetingRef

    async def post(self, payload: dict[str, Any], *, when: datetime | None = None) -> httpx.Response:
        body = body_of(payload)
        return await self.client.post(
            "/webhooks/zoom", content=body, headers=signed_headers(body, when or self.clock.now())
        )

    def join(self, person: Person, user_id: str, at: datetime, what: str = "participant_joined", **kw):
        return participant_event(self.ref, what, person, user_id, at, **kw)

    def lifecycle(self, what: str, at: datetime) -> dict[str, Any]:
        return lifecycle_event(self.ref, what, at)

    async def settle(self) -> None:
        """Process the inbox, fire due cues, deliver them."""
        await self.runtime.attendance.drain()
        await self.runtime.engine.tick()
        await self.runtime.worker.drain()


async def start_harness(
    database_url: str,
    settings_for,
    receiver_env,
    start: datetime,
    schedule_text: str | None = None,
    settings: dict | None = None,
    **runtime_kw,
) -> Harness:
    """The harness's service at `start` with the meeting recorded as applied (stop: client, then runtime)."""
    receiver_env(UNREACHABLE)
    recorder = Recorder()
    service = await start_service(
        settings_for(database_url, **(settings or {})),
        start,
        transport=recorder,
        schedule=(schedule_text or mekong_text(), str(MEKONG)),
        base_url=BASE,
        **runtime_kw,
    )
    async with service.runtime.db.begin() as conn:
        await conn.execute(
            insert(zoom_objects).values(
                event_id=EVENT,
                kind="meeting",
                zoom_id=int(MEETING_ID),
                uuid=UUID,
                host="host@example.org",
                join_url=f"https://zoom.us/j/{MEETING_ID}",
                sandbox=True,
                applied_spec={},
                applied_at=datetime(2022, 5, 1, tzinfo=UTC),
            )
        )
    return Harness(service.handle, service.clock, service.client, recorder, meeting_ref())


@pytest.fixture
async def harness(database_url, settings_for, receiver_env):
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(13, 30))
    try:
        yield h
    finally:
        await h.client.aclose()
        await h.runtime.stop()


@pytest.fixture
async def viewer_token(harness) -> str:
    from app.store import tokens_repo

    async with harness.runtime.db.begin() as conn:
        _, token = await tokens_repo.create_token(conn, "viewer-test", "viewer", harness.clock.now())
    return token
