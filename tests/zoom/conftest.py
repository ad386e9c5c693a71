"""Fixtures for the Zoom adapter tests: specs, emulator, client, fake sleep, request capture."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrations.zoom import RetryPolicy, ZoomClient
from integrations.zoom_emulator import ZoomEmulator, create_emulator
from tests.zoom.openapi_contract import OpenApiContract

# Zoom's official OpenAPI files, carried by the repository (see tests/data/zoom-spec/SOURCE.md).
SPEC_DIR = Path(__file__).resolve().parents[1] / "data" / "zoom-spec"
API = "http://zoom.test/v2"
OAUTH = "http://zoom.test"
CREDS = {"account_id": "acct-1", "client_id": "cid-1", "client_secret": "secret-1"}


class FakeClock:
    """A settable UTC clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class FakeSleep:
    """Records requested sleeps instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class Captured:
    """Every request/response pair that went through the client."""

    pairs: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)


def _load(name: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / name).read_text())


@pytest.fixture(scope="session")
def meetings_spec() -> dict[str, Any]:
    return _load("zoom-meeting-open-api-spec.json")


@pytest.fixture(scope="session")
def events_spec() -> dict[str, Any]:
    return _load("zoom-meeting-events-open-api-spec.json")


@pytest.fixture(scope="session")
def contract(meetings_spec: dict[str, Any]) -> OpenApiContract:
    return OpenApiContract(meetings_spec, _load("zoom-users-open-api-spec.json"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2030, 1, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def emulator(clock: FakeClock, fake_sleep: FakeSleep) -> ZoomEmulator:
    return create_emulator(
        clock=clock,
        seed=7,
        users=["alt@example.org", "other-host@example.org"],
        sleep=fake_sleep,
        **CREDS,
    )


@pytest.fixture
def captured() -> Captured:
    return Captured()


@pytest.fixture
async def emu_http(emulator: ZoomEmulator, captured: Captured) -> AsyncIterator[httpx.AsyncClient]:
    async def on_response(response: httpx.Response) -> None:
        await response.aread()
        captured.pairs.append((response.request, response))

    transport = httpx.ASGITransport(app=emulator)
    async with httpx.AsyncClient(transport=transport, base_url=OAUTH, event_hooks={"response": [on_response]}) as http:
        yield http


@pytest.fixture
def client(emu_http: httpx.AsyncClient, fake_sleep: FakeSleep, clock: FakeClock) -> ZoomClient:
    return ZoomClient(
        emu_http,
        api_base=API,
        oauth_base=OAUTH,
        policy=RetryPolicy(max_attempts=4, base=0.5, cap=8.0, jitter=0.0),
        sleep=fake_sleep,
        clock=clock,
        **CREDS,
    )
