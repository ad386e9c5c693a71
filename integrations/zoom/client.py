"""ZoomClient: the Zoom REST operations Showcaller needs, returning typed models."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from integrations.zoom.api import ZoomApi, encode_meeting_ref
from integrations.zoom.auth import Clock, S2STokenProvider, utc_now
from integrations.zoom.errors import ZoomProtocolError
from integrations.zoom.live_client import LiveControls
from integrations.zoom.models import (
    Panelist,
    PanelistsAdded,
    PastParticipant,
    Registrant,
    RegistrantCreated,
    ZoomMeeting,
    ZoomUser,
    ZoomWebinar,
)
from integrations.zoom.pacing import Pacer
from integrations.zoom.retry import RetryPolicy, Sleep

PANELISTS_PER_CALL = 30
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)


def make_http_client(timeout: httpx.Timeout = DEFAULT_TIMEOUT, **kw: Any) -> httpx.AsyncClient:
    """An httpx.AsyncClient with explicit timeouts, suitable for ZoomClient."""
    return httpx.AsyncClient(timeout=timeout, **kw)


M = TypeVar("M", bound=BaseModel)


def _model(cls: type[M], data: Any, what: str) -> M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ZoomProtocolError(f"unexpected {what} shape from Zoom: {exc.error_count()} errors") from exc


class ZoomClient(LiveControls):
    """Async Zoom REST client for meetings, webinars, panelists, registrants and attendance.

    In-meeting controls, live streaming, polls, surveys and recordings come from LiveControls
    (integrations/zoom/live_client.py).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_base: str = "https://api.zoom.us/v2",
        oauth_base: str = "https://zoom.us",
        account_id: str,
        client_id: str,
        client_secret: str,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
        rand: Callable[[], float] = random.random,
        token_provider: S2STokenProvider | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.tokens = token_provider or S2STokenProvider(
            http,
            oauth_base=oauth_base,
            account_id=account_id,
            client_id=client_id,
            client_secret=client_secret,
            clock=clock,
        )
        self.api = ZoomApi(
            http, self.tokens, api_base=api_base, policy=policy, sleep=sleep, clock=clock, rand=rand, pacer=pacer
        )

    # --- users -------------------------------------------------------------------------
    async def get_user(self, user_id: str) -> ZoomUser:
        """GET /users/{userId} (email or id)."""
        body = await self.api.json("GET", f"/users/{quote_id(user_id)}")
        return _model(ZoomUser, body, "user")

    async def get_user_settings(self, user_id: str) -> dict[str, Any]:
        """GET /users/{userId}/settings (features, in-meeting, recording settings) as Zoom sends it."""
        return await self.api.json("GET", f"/users/{quote_id(user_id)}/settings")

    # --- meetings ----------------------------------------------------------------------
    async def create_meeting(self, user_id: str, body: Mapping[str, Any]) -> ZoomMeeting:
        """POST /users/{userId}/meetings -> the created meeting (201)."""
        data = await self.api.json("POST", f"/users/{quote_id(user_id)}/meetings", json=dict(body))
        return _model(ZoomMeeting, data, "meeting")

    async def get_meeting(self, meeting_id: int | str) -> ZoomMeeting:
        """GET /meetings/{meetingId}."""
        data = await self.api.json("GET", f"/meetings/{encode_meeting_ref(meeting_id)}")
        return _model(ZoomMeeting, data, "meeting")

    async def update_meeting(self, meeting_id: int | str, body: Mapping[str, Any]) -> None:
        """PATCH /meetings/{meetingId} (204)."""
        await self.api.request("PATCH", f"/meetings/{encode_meeting_ref(meeting_id)}", json=dict(body))

    async def delete_meeting(self, meeting_id: int | str) -> None:
        """DELETE /meetings/{meetingId} (204)."""
        await self.api.request("DELETE", f"/meetings/{encode_meeting_ref(meeting_id)}")

    async def end_meeting(self, meeting_id: int | str) -> None:
        """PUT /meetings/{meetingId}/status {"action": "end"} (204)."""
        path = f"/meetings/{encode_meeting_ref(meeting_id)}/status"
        await self.api.request("PUT", path, json={"action": "end"})

    async def list_meetings(self, user_id: str) -> list[ZoomMeeting]:
        """GET /users/{userId}/meetings?type=scheduled, across pages (summaries: agenda truncated)."""
        path = f"/users/{quote_id(user_id)}/meetings"
        rows = self.api.paginate(path, "meetings", {"type": "scheduled"})
        return [_model(ZoomMeeting, m, "meeting") async for m in rows]

    # --- webinars ----------------------------------------------------------------------
    async def list_webinars(self, user_id: str) -> list[ZoomWebinar]:
        """GET /users/{userId}/webinars?type=scheduled, across pages."""
        path = f"/users/{quote_id(user_id)}/webinars"
        rows = self.api.paginate(path, "webinars", {"type": "scheduled"})
        return [_model(ZoomWebinar, m, "webinar") async for m in rows]

    async def create_webinar(self, user_id: str, body: Mapping[str, Any]) -> ZoomWebinar:
        """POST /users/{userId}/webinars -> the created webinar (201)."""
        data = await self.api.json("POST", f"/users/{quote_id(user_id)}/webinars", json=dict(body))
        return _model(ZoomWebinar, data, "webinar")

    async def get_webinar(self, webinar_id: int | str) -> ZoomWebinar:
        """GET /webinars/{webinarId}."""
        data = await self.api.json("GET", f"/webinars/{encode_meeting_ref(webinar_id)}")
        return _model(ZoomWebinar, data, "webinar")

    async def update_webinar(self, webinar_id: int | str, body: Mapping[str, Any]) -> None:
        """PATCH /webinars/{webinarId} (204)."""
        await self.api.request("PATCH", f"/webinars/{encode_meeting_ref(webinar_id)}", json=dict(body))

    async def delete_webinar(self, webinar_id: int | str) -> None:
        """DELETE /webinars/{webinarId} (204)."""
        await self.api.request("DELETE", f"/webinars/{encode_meeting_ref(webinar_id)}")

    async def end_webinar(self, webinar_id: int | str) -> None:
        """PUT /webinars/{webinarId}/status {"action": "end"}."""
        path = f"/webinars/{encode_meeting_ref(webinar_id)}/status"
        await self.api.request("PUT", path, json={"action": "end"})

    # --- panelists ---------------------------------------------------------------------
    async def list_panelists(self, webinar_id: int | str) -> list[Panelist]:
        """GET /webinars/{webinarId}/panelists (not paginated by Zoom)."""
        data = await self.api.json("GET", f"/webinars/{encode_meeting_ref(webinar_id)}/panelists")
        return [_model(Panelist, p, "panelist") for p in data.get("panelists") or []]

    async def add_panelists(
        self, webinar_id: int | str, panelists: Sequence[Mapping[str, str]]
    ) -> list[PanelistsAdded]:
        """POST /webinars/{webinarId}/panelists in batches of at most 30 ({"name", "email"})."""
        path = f"/webinars/{encode_meeting_ref(webinar_id)}/panelists"
        results = []
        for start in range(0, len(panelists), PANELISTS_PER_CALL):
            batch = [dict(p) for p in panelists[start : start + PANELISTS_PER_CALL]]
            data = await self.api.json("POST", path, json={"panelists": batch})
            results.append(_model(PanelistsAdded, data, "panelists answer"))
        return results

    async def remove_panelist(self, webinar_id: int | str, panelist_id: str) -> None:
        """DELETE /webinars/{webinarId}/panelists/{panelistId} (204)."""
        path = f"/webinars/{encode_meeting_ref(webinar_id)}/panelists/{quote_id(panelist_id)}"
        await self.api.request("DELETE", path)

    async def remove_all_panelists(self, webinar_id: int | str) -> None:
        """DELETE /webinars/{webinarId}/panelists (204)."""
        await self.api.request("DELETE", f"/webinars/{encode_meeting_ref(webinar_id)}/panelists")

    # --- registrants -------------------------------------------------------------------
    async def add_registrant(
        self,
        meeting_id: int | str,
        *,
        email: str,
        first_name: str,
        last_name: str | None = None,
        webinar: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> RegistrantCreated:
        """POST /meetings|webinars/{id}/registrants (201)."""
        body: dict[str, Any] = {"email": email, "first_name": first_name, **(extra or {})}
        if last_name:
            body["last_name"] = last_name
        data = await self.api.json("POST", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/registrants", json=body)
        return _model(RegistrantCreated, data, "registrant")

    async def list_registrants(
        self, meeting_id: int | str, *, webinar: bool = False, status: str = "approved"
    ) -> list[Registrant]:
        """All registrants with `status`, across pages."""
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/registrants"
        return [
            _model(Registrant, r, "registrant")
            async for r in self.api.paginate(path, "registrants", {"status": status})
        ]

    async def get_registrant_questions(self, meeting_id: int | str, *, webinar: bool = False) -> dict[str, Any]:
        """GET /meetings|webinars/{id}/registrants/questions: standard fields and custom questions."""
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/registrants/questions"
        return await self.api.json("GET", path)

    async def update_registrant_questions(
        self, meeting_id: int | str, body: Mapping[str, Any], *, webinar: bool = False
    ) -> None:
        """PATCH /meetings|webinars/{id}/registrants/questions (204); replaces the whole form."""
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/registrants/questions"
        await self.api.request("PATCH", path, json=dict(body))

    # --- attendance --------------------------------------------------------------------
    async def list_past_participants(
        self, meeting_uuid_or_id: int | str, *, webinar: bool = False, report: bool = False
    ) -> list[PastParticipant]:
        """Join segments of an ended meeting/webinar (past_* endpoints, or report/* if `report`)."""
        ref = encode_meeting_ref(meeting_uuid_or_id)
        if report:
            path = f"/report/{'webinars' if webinar else 'meetings'}/{ref}/participants"
            params = {"include_fields": "registrant_id"}
        else:
            path = f"/past_{'webinars' if webinar else 'meetings'}/{ref}/participants"
            params = {}
        return [
            _model(PastParticipant, p, "participant") async for p in self.api.paginate(path, "participants", params)
        ]

    def paginate(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Iterate raw items of any paginated Zoom list endpoint."""
        return self.api.paginate(path, key, params)


def _root(webinar: bool) -> str:
    return "/webinars" if webinar else "/meetings"


def quote_id(value: str) -> str:
    """A user/panelist id or email as a single path segment."""
    return quote(str(value), safe="@")
