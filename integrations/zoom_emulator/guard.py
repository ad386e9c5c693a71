"""Checks every emulated REST call passes before its handler: faults, bearer token, rate limits."""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response

from integrations.zoom.pacing import category_of
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


def _per_second(emu: ZoomEmulator, window: deque[datetime], limit: float, category: str) -> None:
    now = emu.clock()
    while window and window[0] <= now - timedelta(seconds=1):
        window.popleft()
    if len(window) >= limit:
        raise EmuError(
            429,
            4001,
            "You have reached the maximum per-second rate limit for this API. Try again later.",
            headers={
                "X-RateLimit-Category": category.replace("_", "-").title(),
                "X-RateLimit-Type": "QPS",
                "X-RateLimit-Limit": f"{limit:g}",
                "X-RateLimit-Remaining": "0",
                "Retry-After": "1",
            },
        )
    window.append(now)


def check_per_second(emu: ZoomEmulator, method: str = "GET", path: str = "") -> None:
    """429/4001 over `per_second_limit` (all calls) or over the category's limit in `rate_limits`."""
    if emu.per_second_limit is not None:
        _per_second(emu, emu.state.recent_calls, emu.per_second_limit, "light")
    if emu.rate_limits:
        category = category_of(method, path.removeprefix("/v2"))
        limit = emu.rate_limits.get(category)
        if limit is not None:
            _per_second(emu, emu.state.recent_by_category.setdefault(category, deque()), limit, category)


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
