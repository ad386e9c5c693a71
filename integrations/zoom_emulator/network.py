"""The network between a client and the emulator, where an answer can be lost after Zoom acted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from integrations.zoom_emulator.app import ZoomEmulator


@dataclass(frozen=True)
class Exchange:
    """One request as it crossed the wire, and what became of it."""

    method: str
    path: str
    body: bytes
    status: int
    dropped: str | None = None

    @property
    def applied_write(self) -> bool:
        """A write Zoom carried out (its answer may still have been lost)."""
        return self.method != "GET" and 200 <= self.status < 300


class EmulatorTransport(httpx.AsyncBaseTransport):
    """In-process transport to the emulator; `Fault(drop=...)` loses the answer after it was applied."""

    def __init__(self, emu: ZoomEmulator) -> None:
        self._emu = emu
        self._inner = httpx.ASGITransport(app=emu)
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward to the emulator; raise ReadError/ReadTimeout instead of answering for a drop fault."""
        body = await request.aread()
        path = request.url.path
        drop = next((f.drop for f in self._emu.faults if f.drop and f.take(request.method, path)), None)
        response = await self._inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append(Exchange(request.method, path, body, response.status_code, drop))
        if drop == "reset":
            raise httpx.ReadError("connection reset by peer after the request was sent", request=request)
        if drop == "timeout":
            raise httpx.ReadTimeout("no answer within the read timeout", request=request)
        return response

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()
