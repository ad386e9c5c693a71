"""A started Runtime on the Mekong schedule, its app over ASGI, a linked meeting, signing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from app.engine.clock import ManualClock
from app.main import create_app
from app.runtime import Runtime
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


class Recorder:
    """Answers every outgoing notification with success and keeps it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={}) if "zoom_chat" in request.url.path else httpx.Response(200, text="ok")

    def texts(self, kind: str = "slack") -> list[str]:
        return [json.loads(r.content).get("text", "") for r in self.requests if r.url.path.startswith(f"/{kind}")]


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
    receiver_env("http://127.0.0.1:9")
    recorder = Recorder()
    clock = ManualClock(start)
    runtime = Runtime(
        settings_for(database_url, **(settings or {})),
        clock=clock,
        transport=httpx.MockTransport(recorder),
        **runtime_kw,
    )
    await runtime.start(run_timer=False, run_worker=False)
    await runtime.engine.load_schedule(schedule_text or MEKONG.read_text(), str(MEKONG))
    async with runtime.db.begin() as conn:
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
    app = create_app(runtime=runtime)
    app.state.runtime = runtime  # ASGITransport runs no lifespan
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    return Harness(runtime, clock, client, recorder, meeting_ref())


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
