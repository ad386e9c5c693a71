"""Emulated /v2 routes for users, meetings and webinars."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response

from integrations.zoom_emulator.errors import EmuError, meeting_not_found
from integrations.zoom_emulator.guard import count_daily_write
from integrations.zoom_emulator.render import default_settings, merge_settings, render_meeting, user_settings
from integrations.zoom_emulator.state import StoredMeeting
from integrations.zoom_emulator.validation import (
    parse_start_time,
    require_object,
    validate_meeting_body,
)

router = APIRouter()


def emulator(request: Request) -> Any:
    """The ZoomEmulator serving this request."""
    return request.app.state.emulator


async def json_body(request: Request) -> Any:
    """The decoded body, or Zoom's 300 answer for a body that is not JSON."""
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise EmuError(400, 300, "Request Body should be a valid JSON object.") from exc


def lookup(request: Request, ref: str, kind: str) -> StoredMeeting:
    """The stored meeting/webinar for a path id, or 404/3001."""
    emu = emulator(request)
    try:
        meeting_id = int(unquote(ref))
    except ValueError:
        raise meeting_not_found(ref, kind) from None
    m = emu.state.meetings.get(meeting_id)
    if m is None or m.kind != kind:
        raise meeting_not_found(meeting_id, kind)
    return m


def _host(request: Request, user_ref: str):
    user = emulator(request).state.find_user(unquote(user_ref))
    if user is None:
        raise EmuError(404, 1001, f"User does not exist: {unquote(user_ref)}.")
    return user


@router.get("/users/{user_id}")
async def get_user(request: Request, user_id: str) -> dict[str, Any]:
    """GET /users/{userId}."""
    user = _host(request, user_id)
    emu = emulator(request)
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": f"{user.first_name} {user.last_name}",
        "type": user.type,
        "status": user.status,
        "timezone": "UTC",
        "account_id": emu.state.account_id,
        "role_name": "Member",
        "verified": 1,
    }


@router.get("/users/{user_id}/settings")
async def get_user_settings(request: Request, user_id: str) -> dict[str, Any]:
    """GET /users/{userId}/settings: the features and settings the account gives this user."""
    return user_settings(emulator(request).state.account, _host(request, user_id))


async def _create(request: Request, user_id: str, kind: str) -> Response:
    emu = emulator(request)
    host = _host(request, user_id)
    if kind == "webinar" and not host.webinar:
        raise EmuError(
            400,
            200,
            f"Webinar plan is missing. You must subscribe to the webinar plan and enable "
            f"webinars for user {host.id} before you can create webinars.",
        )
    body = validate_meeting_body(await json_body(request), kind, partial=False)
    count_daily_write(emu, host.id)
    now = emu.clock()
    start = parse_start_time(body.get("start_time"), body.get("timezone"))
    ids = emu.state.ids
    settings = merge_settings(default_settings(kind), body.get("settings") or {})
    if not emu.interpretation_enabled:
        settings["language_interpretation"] = {"enable": False, "interpreters": []}
    meeting = StoredMeeting(
        kind=kind,  # type: ignore[arg-type]
        id=emu.state.new_meeting_id(),
        uuid=ids.uuid(),
        host=host,
        fields={
            "topic": body.get("topic") or ("Zoom meeting" if kind == "meeting" else "Webinar"),
            "agenda": body.get("agenda", ""),
            # Zoom turns a missing or past start time into "now" instead of failing.
            "start_time": max(start, now) if start else now,
            "duration": body.get("duration", 60),
            "timezone": body.get("timezone", "UTC"),
            "type": body.get("type", 2 if kind == "meeting" else 5),
            "settings": settings,
        },
        created_at=now,
        password=body.get("password") or ids.token(6),
        encrypted_password=ids.token(32),
        zak=ids.token(40),
        registration_token=ids.token(22),
    )
    emu.state.meetings[meeting.id] = meeting
    return Response(json.dumps(render_meeting(meeting)), 201, media_type="application/json")


def _summary(m: StoredMeeting) -> dict[str, Any]:
    full = render_meeting(m)
    row = {
        k: full[k]
        for k in (
            "uuid",
            "id",
            "host_id",
            "topic",
            "type",
            "start_time",
            "duration",
            "timezone",
            "created_at",
            "join_url",
        )
    }
    row["agenda"] = full["agenda"][:250]  # Zoom truncates the agenda in lists
    return row


def _list(request: Request, user_id: str, kind: str) -> dict[str, Any]:
    from integrations.zoom_emulator.rest_people import paginate

    host = _host(request, user_id)
    rows = [_summary(m) for m in emulator(request).state.meetings.values() if m.kind == kind and m.host.id == host.id]
    return paginate(request, rows, "meetings" if kind == "meeting" else "webinars")


@router.get("/users/{user_id}/meetings")
async def list_meetings(request: Request, user_id: str) -> dict[str, Any]:
    """GET /users/{userId}/meetings (scheduled meetings of the user, paginated)."""
    return _list(request, user_id, "meeting")


@router.get("/users/{user_id}/webinars")
async def list_webinars(request: Request, user_id: str) -> dict[str, Any]:
    """GET /users/{userId}/webinars (paginated)."""
    return _list(request, user_id, "webinar")


@router.post("/users/{user_id}/meetings")
async def create_meeting(request: Request, user_id: str) -> Response:
    """POST /users/{userId}/meetings."""
    return await _create(request, user_id, "meeting")


@router.post("/users/{user_id}/webinars")
async def create_webinar(request: Request, user_id: str) -> Response:
    """POST /users/{userId}/webinars."""
    return await _create(request, user_id, "webinar")


def _get(request: Request, ref: str, kind: str) -> dict[str, Any]:
    m = lookup(request, ref, kind)
    # Zoom hands out a new start token with each read; the old one expires on its own (about 2 h).
    m.zak = emulator(request).state.ids.token(40)
    return render_meeting(m)


async def _patch(request: Request, ref: str, kind: str) -> Response:
    emu = emulator(request)
    m = lookup(request, ref, kind)
    body = validate_meeting_body(await json_body(request), kind, partial=True)
    count_daily_write(emu, m.host.id)
    for key in ("topic", "agenda", "duration", "timezone"):
        if key in body:
            m.fields[key] = body[key]
    start = parse_start_time(body.get("start_time"), body.get("timezone", m.fields["timezone"]))
    if start is not None and start > emu.clock():
        # PATCH ignores a past start_time.
        m.fields["start_time"] = start
    if body.get("password"):
        m.password = body["password"]
    if "settings" in body:
        patch = dict(body["settings"])
        if not emu.interpretation_enabled:
            patch.pop("language_interpretation", None)
        m.fields["settings"] = merge_settings(m.fields["settings"], patch)
    return Response(status_code=204)


async def _delete(request: Request, ref: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    del emulator(request).state.meetings[m.id]
    return Response(status_code=204)


async def _status(request: Request, ref: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    body = require_object(await json_body(request))
    allowed = {"end", "recover"} if kind == "meeting" else {"end"}
    if body.get("action") not in allowed:
        raise EmuError(400, 300, "Validation Failed.", errors=[{"field": "action", "message": "Invalid field."}])
    if body["action"] == "end" and m.live_instance is not None:
        await emulator(request).live.end(m.id)
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}")
async def get_meeting(request: Request, meeting_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}."""
    return _get(request, meeting_id, "meeting")


@router.patch("/meetings/{meeting_id}")
async def patch_meeting(request: Request, meeting_id: str) -> Response:
    """PATCH /meetings/{meetingId} -> 204."""
    return await _patch(request, meeting_id, "meeting")


@router.delete("/meetings/{meeting_id}")
async def delete_meeting(request: Request, meeting_id: str) -> Response:
    """DELETE /meetings/{meetingId} -> 204."""
    return await _delete(request, meeting_id, "meeting")


@router.put("/meetings/{meeting_id}/status")
async def meeting_status(request: Request, meeting_id: str) -> Response:
    """PUT /meetings/{meetingId}/status -> 204."""
    return await _status(request, meeting_id, "meeting")


@router.get("/webinars/{webinar_id}")
async def get_webinar(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}."""
    return _get(request, webinar_id, "webinar")


@router.patch("/webinars/{webinar_id}")
async def patch_webinar(request: Request, webinar_id: str) -> Response:
    """PATCH /webinars/{webinarId} -> 204."""
    return await _patch(request, webinar_id, "webinar")


@router.delete("/webinars/{webinar_id}")
async def delete_webinar(request: Request, webinar_id: str) -> Response:
    """DELETE /webinars/{webinarId} -> 204."""
    return await _delete(request, webinar_id, "webinar")


@router.put("/webinars/{webinar_id}/status")
async def webinar_status(request: Request, webinar_id: str) -> Response:
    """PUT /webinars/{webinarId}/status -> 204 (the spec lists 200 with no body)."""
    return await _status(request, webinar_id, "webinar")
