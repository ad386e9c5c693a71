"""Fixtures for the console and agenda: the real app on loopback (the harness's uvicorn server), real Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from app.api.sse import StreamClosing
from app.engine.clock import ManualClock
from app.main import create_app
from app.store import tokens_repo
from app.store.tables import zoom_objects
from tests.conftest import IN_CI, MEKONG, ROOT, bangkok
from tests.fixtures import UNREACHABLE, LoopbackServer, build_runtime, free_port, mekong_text
from tests.fixtures.service import Runtime

EVENT = "mekong-dialogue-2022"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "web"
ZOOM_JOIN = "https://zoom.example/j/85012345678?pwd=abc"
ZOOM_START = "https://zoom.example/s/85012345678?zak=host-only"


def receivers(request: httpx.Request) -> httpx.Response:
    """Answer like the Mekong targets, except Discord, which refuses all (failed deliveries)."""
    kind = request.url.path.split("/")[1]
    if kind == "discord":
        return httpx.Response(404, json={"message": "Unknown Webhook", "code": 10015})
    return httpx.Response(202 if kind == "teams" else 200, text="ok")


def recording(received: list[tuple[str, str]]):
    """The receivers above, keeping (path, body) of every message they accepted."""

    def answer(request: httpx.Request) -> httpx.Response:
        response = receivers(request)
        if response.status_code < 300:
            received.append((request.url.path, request.content.decode("utf-8", "replace")))
        return response

    return answer


class LiveServer:
    """The app on 127.0.0.1 with a manual clock, restartable on the same port and database."""

    def __init__(self, settings, clock: ManualClock):
        self.settings, self.clock = settings, clock
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runtime: Runtime | None = None
        self.tokens: dict[str, str] = {}  # "host", "host2" (a second host) and "viewer"
        self.received: list[tuple[str, str]] = []  # (path, body) the receivers accepted
        self.page_errors: list = []  # uncaught errors of pages opened against this server
        self._server: LoopbackServer | None = None
        self.schedule_text: str | None = None  # default: the Mekong schedule
        self.runtime_kw: dict = {}  # e.g. zoom_client_factory: an emulated Zoom

    async def start(self) -> None:
        """Start the runtime (timer and worker are driven by the test) and serve it."""
        self.runtime = build_runtime(self.settings, self.clock, recording(self.received), **self.runtime_kw)
        await self.runtime.start(run_timer=False, run_worker=False)
        if EVENT not in self.runtime.engine.event_ids():
            await self.runtime.engine.load_schedule(self.schedule_text or mekong_text(), str(MEKONG))
        if not self.tokens:
            async with self.runtime.db.begin() as conn:
                for key, name, role in (
                    ("host", "Hana (host)", "host"),
                    ("host2", "Ola (host)", "host"),
                    ("viewer", "Vic (viewer)", "viewer"),
                ):
                    _, self.tokens[key] = await tokens_repo.create_token(conn, name, role, self.clock.now())
        self.closing = StreamClosing()  # what `serve` sets on SIGTERM (stop_gracefully)
        app = create_app(self.settings, services=self.runtime.services, stream_closing=self.closing)
        # A request in flight when the test stops the server (a console page polls every few seconds)
        # finishes on its own: on a loaded machine one took over the 1 s this used to allow, and uvicorn
        # then cancelled it in the middle of an SQLite call (see tests/fixtures/plugin.py). Streams end at
        # once when their connection is aborted, so this bounds only a request that hangs.
        self._server = LoopbackServer(app, self.port, lifespan="on", timeout_graceful_shutdown=15)
        await self._server.start()

    async def stop(self) -> None:
        """Stop like a killed process: open streams are cut, not drained."""
        await self._server.stop(abort=True)
        await self.runtime.stop()

    async def stop_gracefully(self) -> None:
        """Stop like `serve` on SIGTERM: every stream says `event: reconnect` and ends, then the
        server drains and the service stops."""
        self.closing.close_all()
        await self._server.stop()
        await self.runtime.stop()

    async def record_zoom_meeting(self) -> None:
        """Store a meeting as `showcaller apply` would (the console only reads it)."""
        async with self.runtime.db.begin() as conn:
            await conn.execute(
                zoom_objects.insert().values(
                    event_id=EVENT,
                    kind="meeting",
                    zoom_id=85012345678,
                    uuid="aBcD1234==",
                    host="host@example.org",
                    join_url=ZOOM_JOIN,
                    start_url=ZOOM_START,
                    registration_url=None,
                    sandbox=True,
                    applied_spec={},
                    applied_at=self.clock.now(),
                )
            )

    async def advance(self, **delta: float) -> None:
        """Move event time on, fire what fell due and send it (as the timer and worker do)."""
        self.clock.advance(**delta)
        await self.runtime.engine.tick()
        await self.runtime.worker.drain()


async def sign_in(browser, server: LiveServer, role: str, *, key: str | None = None, **context_options):
    """A new browser context signed in to the console with the token of `key` (default: the role)."""
    from playwright.async_api import expect

    options = {
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        **context_options,
    }
    context = await browser.new_context(**options)
    page = await context.new_page()
    page.on("pageerror", lambda error: server.page_errors.append(str(error)))
    await page.goto(f"{server.url}/console/{EVENT}")
    await page.get_by_label("Paste your host (or viewer) token").fill(server.tokens[key or role])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#whoami")).to_contain_text(role)
    return page


@pytest.fixture
def make_server(tmp_path, settings_for, receiver_env, database_templates):
    """Build (not start) a LiveServer whose event time starts at the given moment."""
    receiver_env(UNREACHABLE)  # the MockTransport answers anyway

    def make(start: datetime) -> LiveServer:
        path = tmp_path / "web.db"
        if not path.exists():  # a migrated database of its own, copied from the session's template
            shutil.copyfile(database_templates.sqlite_file(), path)
        settings = settings_for(f"sqlite+aiosqlite:///{path}", public_url="http://127.0.0.1")
        return LiveServer(settings, ManualClock(start))

    return make


@pytest.fixture
async def server(make_server):
    """A served Mekong event with Session 1 running (14:20) and an organiser token, for the remote CLI."""
    server = make_server(bangkok(14, 20))
    await server.start()
    async with server.runtime.db.begin() as conn:
        _, server.tokens["organiser"] = await tokens_repo.create_token(conn, "Olga", "organiser", server.clock.now())
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def browser() -> AsyncIterator:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        message = "install Debian's chromium: apt-get install -y chromium"
        if IN_CI or os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but /usr/bin/chromium is missing: {message}")
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def shot():
    """Save a screenshot under test-artifacts/web/ (gitignored) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def take(page, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        await page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
