"""A host's view of the run service: the harness's in-process service, a host token, recorded receivers."""

from __future__ import annotations

import httpx
import pytest

from app.store import events_repo, outbox_repo
from tests.conftest import bangkok
from tests.fixtures import EVENT, Recorder, Service

BASE = f"/api/events/{EVENT}"


class Host:
    """One running service (restartable on the same database) and a host's API client."""

    def __init__(self, service: Service):
        self.service = service

    @property
    def runtime(self):
        return self.service.runtime

    @property
    def clock(self):
        return self.service.clock

    @property
    def api(self):
        """The host's API client (it sends the host token)."""
        return self.service.client

    @property
    def headers(self) -> dict[str, str]:
        return self.service.auth("host")

    @property
    def recorder(self) -> Recorder:
        return self.service.transport

    async def restart(self) -> None:
        await self.service.restart()

    async def post(self, path: str, body: dict | None = None, **headers: str) -> httpx.Response:
        return await self.api.post(BASE + path, json=body if body is not None else {}, headers=headers)

    async def state(self) -> dict:
        return (await self.api.get(BASE + "/state")).json()

    async def at(self, moment) -> list:
        """Move the clock to `moment`, fire what is due and deliver it."""
        return await self.service.at(moment)

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
        return self.recorder.bodies(kind)


@pytest.fixture
async def host(database_url, service_for):
    service = await service_for(
        database_url, bangkok(14, 30), transport=Recorder(), tokens={"host": "Hana"}, login="host"
    )
    harness = Host(service)
    await harness.at(bangkok(14, 30))  # the morning's cues are behind us
    harness.recorder.requests.clear()
    return harness
