"""Checks every emulated REST call passes before its handler: faults, bearer token, rate limits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response

from integrations.zoom_emulator.errors import EmuError

if TYPE_CHECKING:
    from integrations.zoom_emulator.app import ZoomEmulator


@dataclass
class Fault:
    """A canned answer for the next `times` matching calls (test and benchmark fault injection).

    `skip` lets that many matching calls through first. `drop` ("reset" or "timeout") lets the
    call reach Zoom and be applied, then loses the answer in transit; it takes effect only through
    `ZoomEmulator.transport()`, the way an HTTP client would see it.
    """

    status: int = 0
    method: str | None = None
    path: str = ""
    times: int = 1
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0
    skip: int = 0
    drop: str | None = None
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        """True if this fault still applies to `method path` (does not count the call)."""
        if self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def take(self, method: str, path: str) -> bool:
        """Count a matching call; True when this one is to be faulted (after `skip` passed)."""
        if not self.matches(method, path):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        self.hits += 1
        return True

    def response(self) -> Response:
        """The answer to send instead of the real one."""
        if isinstance(self.body, bytes | str):
            content = self.body
        elif self.body is None:
            content = b""
        else:
            content = json.dumps(self.body)
        media = self.headers.get("content-type", "application/json")
        return Response(content, status_code=self.status, headers=self.headers, media_type=media)


def _midnight_after(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def check_bearer(emu: ZoomEmulator, request: Request) -> None:
    """401/124 unless the request carries a live token issued by this emulator."""
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    expiry = emu.state.tokens.get(token)
    if expiry is None:
        raise EmuError(401, 124, "Invalid access token.")
    if expiry <= emu.clock():
        raise EmuError(401, 124, "Access token has expired.")


def check_per_second(emu: ZoomEmulator) -> None:
    """429/4001 when more than `per_second_limit` calls arrived within the last second."""
    if emu.per_second_limit is None:
        return
    now = emu.clock()
    window = emu.state.recent_calls
    while window and window[0] <= now - timedelta(seconds=1):
        window.popleft()
    if len(window) >= emu.per_second_limit:
        raise EmuError(
            429,
            4001,
            "You have reached the maximum per-second rate limit for this API. Try again later.",
            headers={
                "X-RateLimit-Category": "Light",
                "X-RateLimit-Type": "QPS",
                "X-RateLimit-Limit": str(emu.per_second_limit),
                "X-RateLimit-Remaining": "0",
                "Retry-After": "1",
            },
        )
    window.append(now)


def count_daily_write(emu: ZoomEmulator, host_id: str) -> None:
    """Charge one create/update to the host's UTC-day budget; 429 once it is spent."""
    now = emu.clock()
    key = (host_id, now.date().isoformat())
    used = emu.state.daily_writes.get(key, 0)
    if used >= emu.daily_cap:
        raise EmuError(
            429,
            429,
            f"You have exceeded the daily rate limit ({emu.daily_cap}) of Meeting Create/Update "
            "API requests permitted for this particular user. You may resume these requests at "
            "GMT 00:00:00.",
            headers={
                "X-RateLimit-Category": "Light",
                "X-RateLimit-Type": "Daily-limit",
                "X-RateLimit-Limit": str(emu.daily_cap),
                "X-RateLimit-Remaining": "0",
                "Retry-After": _midnight_after(now).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
    emu.state.daily_writes[key] = used + 1
