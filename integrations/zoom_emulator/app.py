"""The Zoom emulator: an ASGI app with Zoom's REST shapes plus a live-meeting simulator."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from integrations.zoom_emulator import admin, oauth, rest_live, rest_meetings, rest_people
from integrations.zoom_emulator.delivery import ZOOM_RETRY_DELAYS, Sleep, WebhookSender
from integrations.zoom_emulator.errors import EmuError, emu_error_handler
from integrations.zoom_emulator.guard import Fault, check_bearer, check_per_second
from integrations.zoom_emulator.live import LiveSimulator
from integrations.zoom_emulator.network import EmulatorTransport
from integrations.zoom_emulator.payloads import Person
from integrations.zoom_emulator.state import AccountSettings, CallRecord, EmulatorState, Ids

DEFAULT_HOST = "host@example.org"
# The emulated account's own people besides the host (Licensed, no Webinar licence): the
# co-moderators the bundled example schedules name as alternative hosts.
DEMO_USERS = ("pinsuda.alexander@example.org", "geertrui.lanneau@example.org", "somchai.phan@example.org")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ZoomEmulator:
    """An in-memory Zoom: call it as an ASGI app; drive meetings through `.live`.

    Inspect `.state` (write_calls, calls, events, meetings …) and inject failures with
    `.add_fault(Fault(...))`.
    """

    def __init__(
        self,
        *,
        webhook_url: str | None,
        webhook_secret: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        per_second_limit: float | None,
        daily_cap: int,
        clock: Callable[[], datetime] | None,
        http: httpx.AsyncClient | None,
        users: Iterable[str],
        token_ttl: int,
        seed: int | None,
        retry_delays: tuple[float, ...],
        retry_scale: float,
        sleep: Sleep,
        account: AccountSettings,
        rate_limits: dict[str, float] | None = None,
    ) -> None:
        self.clock = clock or _utc_now
        self.per_second_limit = per_second_limit
        self.rate_limits = dict(rate_limits or {})
        self.daily_cap = daily_cap
        self.token_ttl = token_ttl
        self.state = EmulatorState(account_id, client_id, client_secret, Ids(random.Random(seed)), account)
        self.state.add_user(DEFAULT_HOST, webinar=True)
        for email in (*DEMO_USERS, *users):
            self.state.add_user(email)
        self.faults: list[Fault] = []
        self.sender = WebhookSender(
            webhook_url,
            webhook_secret,
            http=http,
            clock=self.clock,
            sleep=sleep,
            retry_delays=retry_delays,
            retry_scale=retry_scale,
        )
        self.live = LiveSimulator(self)
        self._people: dict[tuple[int, str], Person] = {}
        self.app = self._build_app()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="Zoom emulator", docs_url="/_emulator/docs", openapi_url="/_emulator/openapi.json")
        app.state.emulator = self
        app.add_exception_handler(EmuError, emu_error_handler)
        app.include_router(oauth.router)
        app.include_router(rest_meetings.router, prefix="/v2")
        app.include_router(rest_people.router, prefix="/v2")
        app.include_router(rest_live.router, prefix="/v2")
        app.include_router(admin.router)
        app.middleware("http")(self._middleware)
        return app

    async def _middleware(self, request: Request, call_next: Callable[[Request], Any]) -> Response:
        path = request.url.path
        api = path.startswith("/v2/")
        if api and request.method != "GET":
            self.state.write_calls += 1
        response = await self._answer(request, call_next, api)
        if api:
            self.state.calls.append(CallRecord(request.method, path, response.status_code))
        return response

    async def _answer(self, request: Request, call_next: Any, api: bool) -> Response:
        for fault in self.faults:
            if fault.drop is None and fault.take(request.method, request.url.path):
                return fault.response()
        if api:
            try:
                check_bearer(self, request)
                check_per_second(self, request.method, request.url.path)
            except EmuError as exc:
                return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
        return await call_next(request)

    @property
    def interpretation_enabled(self) -> bool:
        """Whether the account has the language interpretation feature."""
        return self.state.account.interpretation

    def add_fault(self, fault: Fault) -> Fault:
        """Answer the next matching calls with a canned response."""
        self.faults.append(fault)
        return fault

    def transport(self) -> EmulatorTransport:
        """An httpx transport to this emulator that also plays `drop` faults (answer lost in transit)."""
        return EmulatorTransport(self)

    def expire_tokens(self) -> int:
        """Make every issued token expired now; returns how many there were."""
        now = self.clock()
        for token in self.state.tokens:
            self.state.tokens[token] = now
        return len(self.state.tokens)

    def person_for(self, meeting_id: int, name: str, email: str = "", registrant_id: str | None = None) -> Person:
        """The same Person for the same (meeting, email or name) across admin calls."""
        key = (int(meeting_id), (email or name).lower())
        if key not in self._people:
            self._people[key] = self.live.person(name, email, registrant_id=registrant_id)
        return self._people[key]

    async def aclose(self) -> None:
        """Release the webhook HTTP client."""
        await self.sender.aclose()


def create_emulator(
    *,
    webhook_url: str | None = None,
    webhook_secret: str = "emulator-secret-token",
    account_id: str = "emulated-account",
    client_id: str = "emulated-client",
    client_secret: str = "emulated-secret",
    per_second_limit: float | None = None,
    daily_cap: int = 100,
    clock: Callable[[], datetime] | None = None,
    http: httpx.AsyncClient | None = None,
    users: Iterable[str] = (),
    token_ttl: int = 3600,
    seed: int | None = None,
    retry_delays: tuple[float, ...] = ZOOM_RETRY_DELAYS,
    retry_scale: float = 1.0,
    sleep: Sleep = asyncio.sleep,
    interpretation_enabled: bool = True,
    custom_languages: Iterable[str] = (),
    breakout_pre_assign: bool = True,
    cloud_recording: bool = True,
    scopes: str | None = None,
    rate_limits: dict[str, float] | None = None,
) -> ZoomEmulator:
    """Build a Zoom emulator (an ASGI app). `http` delivers webhooks; `clock` drives all times.

    Its account (the default state): `host@example.org` (Licensed, with a Webinar licence) and the
    DEMO_USERS plus `users` (Licensed, no Webinar licence); language interpretation on with only
    Zoom's system languages (add others with `custom_languages`), breakout pre-assignment and cloud
    recording on, and a token with the meeting, webinar, user and report scopes. Change users'
    `type`/`webinar` and `emu.state.account` to model other accounts.
    """
    account = AccountSettings(
        interpretation=interpretation_enabled,
        custom_languages=list(custom_languages),
        breakout_pre_assign=breakout_pre_assign,
        cloud_recording=cloud_recording,
    )
    if scopes is not None:
        account.scopes = scopes
    return ZoomEmulator(
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        account_id=account_id,
        client_id=client_id,
        client_secret=client_secret,
        per_second_limit=per_second_limit,
        daily_cap=daily_cap,
        clock=clock,
        http=http,
        users=users,
        token_ttl=token_ttl,
        seed=seed,
        retry_delays=retry_delays,
        retry_scale=retry_scale,
        sleep=sleep,
        account=account,
        rate_limits=rate_limits,
    )
