"""Deliver emulated webhooks the way Zoom does: CRC handshake first, signed bodies, retries."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from integrations.zoom.webhooks import sign

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
ZOOM_RETRY_DELAYS = (300.0, 1200.0, 3600.0)


@dataclass
class DeliveryRecord:
    """What happened to one event: every attempt's status (or error) and the final verdict."""

    event: str
    body: bytes
    attempts: list[int | str] = field(default_factory=list)
    delivered: bool = False
    skipped: str | None = None


class WebhookValidationFailed(Exception):
    """The endpoint did not answer Zoom's endpoint.url_validation challenge correctly."""


def encode(payload: dict[str, Any]) -> bytes:
    """Compact JSON, as Zoom sends it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookSender:
    """Sends signed deliveries to one endpoint with Zoom's 3 s timeout and 5/20/60-min retries."""

    def __init__(
        self,
        url: str | None,
        secret: str,
        *,
        http: httpx.AsyncClient | None,
        clock: Callable[[], datetime],
        sleep: Sleep = asyncio.sleep,
        retry_delays: tuple[float, ...] = ZOOM_RETRY_DELAYS,
        retry_scale: float = 1.0,
        timeout: float = 3.0,
    ) -> None:
        self.url = url
        self.secret = secret
        self._http = http
        self._clock = clock
        self._sleep = sleep
        self.retry_delays = retry_delays
        self.retry_scale = retry_scale
        self.timeout = timeout
        self.validated = False
        self.records: list[DeliveryRecord] = []

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client if the sender created it."""
        if self._http is not None:
            await self._http.aclose()

    def _headers(self, body: bytes) -> dict[str, str]:
        stamp = str(int(self._clock().timestamp()))
        return {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Zoom Marketplace/1.0a",
            "x-zm-request-timestamp": stamp,
            "x-zm-signature": sign(self.secret, stamp, body),
            "x-zm-request-id": str(uuidlib.uuid4()),
            "x-zm-trackingid": "v=2.0;clid=emulator;rid=" + uuidlib.uuid4().hex,
        }

    async def _post(self, body: bytes) -> httpx.Response:
        assert self.url is not None
        return await self._client().post(self.url, content=body, headers=self._headers(body), timeout=self.timeout)

    async def validate_endpoint(self) -> None:
        """Run the endpoint.url_validation challenge and check the answer."""
        plain = uuidlib.uuid4().hex[:22]
        ms = int(self._clock().timestamp() * 1000)
        body = encode({"payload": {"plainToken": plain}, "event_ts": ms, "event": "endpoint.url_validation"})
        try:
            resp = await self._post(body)
        except httpx.HTTPError as exc:
            raise WebhookValidationFailed(f"challenge not answered: {type(exc).__name__}") from exc
        if resp.status_code not in (200, 204):
            raise WebhookValidationFailed(f"challenge answered with HTTP {resp.status_code}")
        try:
            answer = resp.json()
        except ValueError as exc:
            raise WebhookValidationFailed("challenge answer is not JSON") from exc
        expected = hmac.new(self.secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        if answer.get("plainToken") != plain or not hmac.compare_digest(
            str(answer.get("encryptedToken", "")), expected
        ):
            raise WebhookValidationFailed("challenge answer does not match")
        self.validated = True

    async def deliver(self, payload: dict[str, Any]) -> DeliveryRecord:
        """Send one event (after the one-time handshake), retrying 5xx/network failures only."""
        record = DeliveryRecord(event=str(payload.get("event")), body=encode(payload))
        self.records.append(record)
        if self.url is None:
            record.skipped = "no webhook_url configured"
            return record
        if not self.validated:
            await self.validate_endpoint()
        delays = list(self.retry_delays)
        while True:
            try:
                resp = await self._post(record.body)
                record.attempts.append(resp.status_code)
                if resp.status_code < 300:
                    record.delivered = True
                    return record
                if resp.status_code < 500:
                    return record  # Zoom never retries 3xx/4xx.
            except httpx.HTTPError as exc:
                record.attempts.append(type(exc).__name__)
            if not delays:
                log.warning("webhook %s dropped after %d attempts", record.event, len(record.attempts))
                return record
            await self._sleep(delays.pop(0) * self.retry_scale)
