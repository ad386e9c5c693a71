"""Low-level Zoom REST calls: bearer auth, error mapping, retries and pagination."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from integrations.zoom.auth import Clock, S2STokenProvider, utc_now
from integrations.zoom.errors import (
    FieldError,
    ZoomAuthError,
    ZoomError,
    ZoomNotFound,
    ZoomProtocolError,
    ZoomRateLimited,
    ZoomServerError,
    ZoomTransportError,
    ZoomValidationError,
)
from integrations.zoom.pacing import Pacer, category_of
from integrations.zoom.retry import RETRYABLE_5XX, RetryPolicy, Sleep, may_retry, parse_retry_after

log = logging.getLogger(__name__)

# The legacy daily-cap answer (HTTP 300 / code 300): "A maximum of 100 meetings can be
# created/updated for a single user in one day."
_LEGACY_DAILY = re.compile(r"meetings can be created/updated", re.IGNORECASE)
_NOT_FOUND_CODES = {1001, 3001}


def encode_meeting_ref(ref: int | str) -> str:
    """Path segment for a meeting/webinar id or instance UUID (double-encoded when Zoom says so)."""
    text = str(ref)
    once = quote(text, safe="")
    if text.startswith("/") or "//" in text:
        return quote(once, safe="")
    return once


def _decode_body(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _is_daily_cap(resp: httpx.Response, code: Any, message: str) -> bool:
    if resp.status_code in (300, 400) and _LEGACY_DAILY.search(message):
        return True
    if resp.status_code != 429 or code == 4001:
        return False
    limit_type = resp.headers.get("X-RateLimit-Type", "")
    return "daily" in limit_type.lower() or "daily" in message.lower()


def error_from_response(resp: httpx.Response, method: str, path: str, now: datetime) -> ZoomError:
    """Map a non-2xx Zoom answer to our typed error."""
    status = resp.status_code
    body = _decode_body(resp)
    code = body.get("code")
    message = str(body.get("message") or resp.reason_phrase or f"HTTP {status}")
    kw: dict[str, Any] = {"status": status, "code": code, "method": method, "path": path}
    daily = _is_daily_cap(resp, code, message)
    if status == 429 or daily:
        retry_after = parse_retry_after(resp.headers.get("Retry-After"), now)
        return ZoomRateLimited(message, daily=daily, retry_after=retry_after, **kw)
    if status == 401:
        return ZoomAuthError(message, **kw)
    if status == 404 or code in _NOT_FOUND_CODES:
        return ZoomNotFound(message, **kw)
    if status >= 500:
        return ZoomServerError(message, retryable=status in RETRYABLE_5XX, **kw)
    if code == 300 or "errors" in body:
        fields = tuple(
            FieldError(str(e.get("field", "")), str(e.get("message", "")))
            for e in body.get("errors") or ()
            if isinstance(e, dict)
        )
        return ZoomValidationError(message, field_errors=fields, **kw)
    return ZoomError(message, **kw)


class ZoomApi:
    """Sends one logical Zoom call, with auth, the retry policy and typed errors."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: S2STokenProvider,
        *,
        api_base: str = "https://api.zoom.us/v2",
        policy: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
        rand: Callable[[], float] = random.random,
        pacer: Pacer | None = None,
    ) -> None:
        self._http = http
        self.pacer = pacer
        self._tokens = tokens
        self._base = api_base.rstrip("/")
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self.requests_sent = 0

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Perform `method path`, retrying per policy; returns the 2xx response or raises.

        `idempotent=False` makes a PATCH/PUT as cautious as a POST (see `may_retry`).
        """
        method = method.upper()
        attempt = 0
        replayed_401 = False
        while True:
            attempt += 1
            try:
                token = await self._tokens.token()
            except ZoomError as exc:
                # The API call has not been sent yet, so repeating is safe for any method.
                if exc.retryable and attempt < self._policy.max_attempts:
                    await self._sleep(self._policy.backoff(attempt, self._rand))
                    continue
                raise
            if self.pacer is not None:
                await self.pacer.acquire(category_of(method, path))
            result = await self._send(method, path, params, json, token)
            if isinstance(result, httpx.Response):
                if result.status_code == 401 and not replayed_401:
                    # Token expired or revoked under us: refresh once and replay the call.
                    replayed_401 = True
                    attempt -= 1
                    await self._tokens.invalidate(token)
                    continue
                if 200 <= result.status_code < 300:
                    return result
                error = error_from_response(result, method, path, self._clock())
            else:
                error = result
            await self._wait_or_raise(method, error, attempt, idempotent)

    async def _send(
        self, method: str, path: str, params: Any, json: Any, token: str
    ) -> httpx.Response | ZoomTransportError:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.requests_sent += 1
        try:
            return await self._http.request(method, self._base + path, params=params, json=json, headers=headers)
        except httpx.TransportError as exc:
            connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            return ZoomTransportError(
                f"{type(exc).__name__}: {exc}",
                reached_zoom=False if connect else None,
                method=method,
                path=path,
            )

    async def _wait_or_raise(self, method: str, error: ZoomError, attempt: int, idempotent: bool | None) -> None:
        if attempt >= self._policy.max_attempts or not may_retry(method, error, idempotent=idempotent):
            raise error
        delay = self._policy.backoff(attempt, self._rand)
        if isinstance(error, ZoomRateLimited) and error.retry_after is not None:
            if error.retry_after > self._policy.max_retry_after:
                raise error
            delay = error.retry_after
        log.info(
            "zoom %s %s failed (%s); retry %d in %.2fs",
            method,
            error.path,
            type(error).__name__,
            attempt,
            delay,
        )
        await self._sleep(delay)

    async def json(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """Like `request` but decodes the JSON object body (ZoomProtocolError if it is not one)."""
        resp = await self.request(method, path, **kw)
        try:
            body = resp.json()
        except ValueError as exc:
            raise ZoomProtocolError(
                "response is not valid JSON", status=resp.status_code, method=method, path=path
            ) from exc
        if not isinstance(body, dict):
            raise ZoomProtocolError("response is not a JSON object", status=resp.status_code, method=method, path=path)
        return body

    async def paginate(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, *, page_size: int = 300
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every item under `key` across pages, following `next_page_token` until empty."""
        query: dict[str, Any] = {"page_size": page_size, **(params or {})}
        seen_tokens: set[str] = set()
        while True:
            body = await self.json("GET", path, params=query)
            items = body.get(key) or []
            if not isinstance(items, list):
                raise ZoomProtocolError(f"'{key}' is not a list", method="GET", path=path)
            for item in items:
                yield item
            token = body.get("next_page_token") or ""
            if not token:
                return
            if token in seen_tokens:
                raise ZoomProtocolError("next_page_token repeated", method="GET", path=path)
            seen_tokens.add(token)
            query = {**query, "next_page_token": token}
