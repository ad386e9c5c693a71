"""A Zoom client for the real Zoom, a given emulator, or the persisted sandbox emulator.

In the sandbox (no Zoom credentials) the local Zoom emulator stands in, in-process, and its state
is kept in a JSON file so that a second `apply` sees what the first one created.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from app.core.config import Settings
from integrations.zoom import ZoomClient, make_http_client
from integrations.zoom.pacing import Pacer, RateLimits

if TYPE_CHECKING:
    from integrations.zoom_emulator import ZoomEmulator

SANDBOX_BASE = "http://zoom-emulator.local"


@dataclass
class ZoomAccess:
    """A Zoom client and whether it talks to the sandbox emulator."""

    client: ZoomClient
    sandbox: bool


def real_zoom_client(settings: Settings, http: httpx.AsyncClient) -> ZoomClient:
    """A client for the real Zoom with the account's credentials (Zoom mode: they were checked) and
    the settings' pacing, on `http`."""
    return ZoomClient(
        http,
        api_base=settings.zoom_api_base,
        oauth_base=settings.zoom_oauth_base,
        account_id=settings.zoom_account_id,  # type: ignore[arg-type]  # Zoom mode: credentials were checked
        client_id=settings.zoom_client_id,  # type: ignore[arg-type]  # Zoom mode: credentials were checked
        client_secret=settings.zoom_client_secret.get_secret_value(),  # type: ignore[union-attr]  # Zoom mode: credentials were checked
        pacer=zoom_pacer(settings),
    )


@contextlib.asynccontextmanager
async def zoom_access(
    settings: Settings,
    users: tuple[str, ...] = (),
    emulator: ZoomEmulator | None = None,
    event_hooks: dict | None = None,
) -> AsyncIterator[ZoomAccess]:
    """A ZoomClient for the real Zoom (credentials set), a given emulator, or the persisted sandbox one.

    `event_hooks` go on its HTTP client (the service counts Zoom calls and 429s with them).
    """
    hooks = event_hooks or {}
    if emulator is not None:
        for email in users:
            emulator.state.add_user(email)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=emulator), base_url=SANDBOX_BASE, event_hooks=hooks
        ) as http:
            yield ZoomAccess(sandbox_client(http, emulator), True)
        return
    if not settings.sandbox:
        async with make_http_client(event_hooks=hooks) as http:
            yield ZoomAccess(real_zoom_client(settings, http), False)
        return
    # The emulator is imported only when the sandbox is used (it is an app of its own: ~0.25 s).
    from integrations.zoom_emulator import create_emulator
    from integrations.zoom_emulator.persist import restore, snapshot

    path = Path(settings.sandbox_state_path)
    emulator = create_emulator(users=users)
    if path.exists():
        restore(emulator.state, json.loads(path.read_text(encoding="utf-8")))
    for email in users:
        emulator.state.add_user(email)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator), base_url=SANDBOX_BASE, event_hooks=hooks
    ) as http:
        try:
            yield ZoomAccess(sandbox_client(http, emulator), True)
        finally:
            path.write_text(json.dumps(snapshot(emulator.state), indent=1), encoding="utf-8")


def zoom_pacer(settings: Settings) -> Pacer | None:
    """The client-side pacing for the account's rate-limit plan (None when it is switched off)."""
    return None if settings.zoom_rate_plan == "off" else Pacer(RateLimits.plan(settings.zoom_rate_plan))


def sandbox_client(http: httpx.AsyncClient, emulator: ZoomEmulator) -> ZoomClient:
    """A ZoomClient talking to an in-process emulator over `http`."""
    state = emulator.state
    return ZoomClient(
        http,
        api_base=f"{SANDBOX_BASE}/v2",
        oauth_base=SANDBOX_BASE,
        account_id=state.account_id,
        client_id=state.client_id,
        client_secret=state.client_secret,
    )
