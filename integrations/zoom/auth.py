"""Server-to-Server OAuth: fetch, cache and refresh the account access token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from integrations.zoom.errors import (
    ZoomAuthError,
    ZoomProtocolError,
    ZoomServerError,
    ZoomTransportError,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class AccessToken:
    """One S2S access token and when it stops working (the value never appears in repr)."""

    value: str = field(repr=False)
    expires_at: datetime
    scope: str = ""
    api_url: str | None = None

    def fresh(self, now: datetime, margin: timedelta) -> bool:
        """True while more than `margin` of lifetime is left."""
        return now + margin < self.expires_at


class S2STokenProvider:
    """Hands out a cached token for one (account_id, client_id), refreshing it once under load.

    Concurrent callers on a cold or stale cache wait on one lock, and only the first one asks
    Zoom; the others reuse its result. `invalidate(token)` drops a token Zoom rejected (401/124)
    unless another caller has already replaced it, so a burst of 401s still causes one refresh.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        oauth_base: str = "https://zoom.us",
        account_id: str,
        client_id: str,
        client_secret: str,
        clock: Clock = utc_now,
        refresh_margin: timedelta = timedelta(minutes=5),
    ) -> None:
        if not (account_id and client_id and client_secret):
            raise ValueError("account_id, client_id and client_secret are all required")
        self._http = http
        self._url = oauth_base.rstrip("/") + "/oauth/token"
        self._account_id = account_id
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self.key = (account_id, client_id)
        self._clock = clock
        self._margin = refresh_margin
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @property
    def current(self) -> AccessToken | None:
        """The cached token, if any (fresh or not)."""
        return self._token

    async def token(self) -> str:
        """A token with at least `refresh_margin` of life left, fetching one if needed."""
        cached = self._token
        if cached is not None and cached.fresh(self._clock(), self._margin):
            return cached.value
        async with self._lock:
            cached = self._token
            if cached is not None and cached.fresh(self._clock(), self._margin):
                return cached.value
            self._token = await self._fetch()
            return self._token.value

    async def invalidate(self, rejected: str) -> None:
        """Forget `rejected` if it is still the cached token (Zoom said it is invalid)."""
        async with self._lock:
            if self._token is not None and self._token.value == rejected:
                self._token = None

    async def _fetch(self) -> AccessToken:
        self.fetch_count += 1
        data = {"grant_type": "account_credentials", "account_id": self._account_id}
        try:
            resp = await self._http.post(self._url, data=data, auth=self._auth)
        except httpx.TransportError as exc:
            connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            raise ZoomTransportError(
                f"token request failed: {type(exc).__name__}",
                reached_zoom=False if connect else None,
                method="POST",
                path="/oauth/token",
            ) from exc
        return self._parse(resp)

    def _parse(self, resp: httpx.Response) -> AccessToken:
        where: dict[str, Any] = {"method": "POST", "path": "/oauth/token", "status": resp.status_code}
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 500:
            raise ZoomServerError("token endpoint failed", retryable=True, **where)
        if resp.status_code != 200:
            body = body if isinstance(body, dict) else {}
            reason = str(body.get("reason") or body.get("message") or "token request rejected")
            oauth_error = body.get("error")
            log.warning("zoom token request rejected: %s (%s)", reason, oauth_error)
            raise ZoomAuthError(reason, oauth_error=oauth_error, code=body.get("code"), **where)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ZoomProtocolError("token endpoint returned no access_token", **where)
        try:
            lifetime = int(body.get("expires_in", 3600))
        except (TypeError, ValueError) as exc:
            raise ZoomProtocolError("token endpoint returned a bad expires_in", **where) from exc
        log.info("zoom access token fetched (expires in %ss)", lifetime)
        return AccessToken(
            value=body["access_token"],
            expires_at=self._clock() + timedelta(seconds=lifetime),
            scope=str(body.get("scope", "")),
            api_url=body.get("api_url"),
        )
