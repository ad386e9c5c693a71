"""A host's view of the run service: the real app over ASGI, a manual clock, recorded receivers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
import pytest

from app.engine.clock import ManualClock
from app.main import create_app
from app.runtime import Runtime
from app.store import events_repo, outbox_repo, tokens_repo
from tests.conftest import MEKONG, bangkok
from tests.engine.test_engine_flow import Recorder

EVENT = "mekong-dialogue-2022"
BASE = f"/api/events/{EVENT}"


@dataclass
class Host:
    """One running service (restartable on the same database) and a host's API client."""

    settings: object
    clock: ManualClock
    recorder: Recorder = field(default_factory=Recorder)
    runtime: Runtime | None = None
    api: httpx.AsyncClient | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def start(self) -> None:
        self.runtime = Runtime(self.settings, clock=self.clock, transport=httpx.MockTransport(self.recorder))
        await self.runtime.start(run_timer=False, run_worker=False)
        if EVENT not in self.runtime.engine.event_ids():
            await self.runtime.run.load_schedule(MEKONG.read_text(), str(MEKONG))
        if not self.headers:
            async with self.runtime.db.begin() as conn:
                _, token = await tokens_repo.create_token(conn, "Hana", "host", self.clock.now())
            self.headers = {"Authorization": f"Bearer {token}"}
        app = create_app(self.settings, runtime=self.runtime)
        app.state.runtime = self.runtime
        self.api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=self.headers)

    async def stop(self) -> None:
        if self.api is not None:
            await self.api.aclose()
        if self.runtime is not None:
            await self.runtime.stop()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def post(self, path: str, body: dict | None = None, **headers: str) -> httpx.Response:
        return await self.api.post(BASE + path, json=body if body is not None else {}, headers=headers)

    async def state(self) -> dict:
        return (await self.api.get(BASE + "/state")).json()

    async def at(self, moment) -> list:
        """Move the clock to `moment`, fire what is due and deliver it."""
        self.clock.set(moment)
        fired = await self.runtime.engine.tick()
        await self.runtime.worker.drain()
        return fired

    async def log(self) -> list:
        async with self.runtime.db.begin() as conn:
            return await events_repo.action_log(conn, EVENT)

    async def cues(self) -> dict:
        async with self.runtime.db.begin() as conn:
            return {r.cue_id: r for r in await outbox_repo.list_cues(conn, EVENT)}

    async def deliveries(self) -> list:
        async with self.runtime.db.begin() as conn:
            return await outbox_repo.list_deliveries(conn, EVENT)

    def received(self, kind: str = "webhook") -> list[dict]:
        """Bodies the receivers of one kind got, in order."""
        return [json.loads(r.content) for r in self.recorder.requests if r.url.path.split("/")[1] == kind]


@pytest.fixture
async def host(database_url, settings_for, receiver_env):
    receiver_env("http://127.0.0.1:9")
    harness = Host(settings_for(database_url), ManualClock(bangkok(14, 30)))
    await harness.start()
    await harness.at(bangkok(14, 30))  # the morning's cues are behind us
    harness.recorder.requests.clear()
    try:
        yield harness
    finally:
        await harness.stop()
