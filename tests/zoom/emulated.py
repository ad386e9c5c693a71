"""A Zoom client wired to an in-process emulator the way the fault matrices use it: retries that do
not sleep (each wait is recorded), a fixed clock, and the emulator's own credentials."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from integrations.zoom import RetryPolicy, ZoomClient


class EmulatedZoom:
    """`emu`'s transport (which can lose answers), an httpx client on it, and a retrying ZoomClient."""

    def __init__(self, emu, base: str, now: Callable[[], datetime]) -> None:
        self.emu = emu
        self.transport = emu.transport()
        self.http = httpx.AsyncClient(transport=self.transport, base_url=base)
        self.sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        state = emu.state
        self.client = ZoomClient(
            self.http,
            api_base=f"{base}/v2",
            oauth_base=base,
            account_id=state.account_id,
            client_id=state.client_id,
            client_secret=state.client_secret,
            sleep=sleep,
            policy=RetryPolicy(max_attempts=4, base=0.5, cap=4, jitter=0.0),
            clock=now,
        )
