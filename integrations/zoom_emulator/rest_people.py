"""Emulated /v2 routes for panelists, registrants and past participants (with pagination)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response

from integrations.zoom_emulator.errors import EmuError
from integrations.zoom_emulator.registration import register, set_questions
from integrations.zoom_emulator.render import zoom_time
from integrations.zoom_emulator.rest_meetings import emulator, json_body, lookup
from integrations.zoom_emulator.state import PastInstance
from integrations.zoom_emulator.validation import validate_panelists

router = APIRouter()
PAGE_TOKEN_TTL = timedelta(minutes=15)


def paginate(request: Request, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """One page of `items` following Zoom's page_size / next_page_token rules."""
    emu = emulator(request)
    try:
        size = int(request.query_params.get("page_size", 30))
    except ValueError:
        raise EmuError(400, 300, "Invalid field: page_size.") from None
    size = max(1, min(size, 300))
    offset = 0
    token = request.query_params.get("next_page_token")
    if token:
        entry = emu.state.page_tokens.get(token)
        if entry is None or entry[1] < emu.clock():
            raise EmuError(400, 300, "The next page token is invalid or expired.")
        offset = entry[0]
    page = items[offset : offset + size]
    next_token = ""
    if offset + size < len(items):
        next_token = emu.state.ids.token(32)
        emu.state.page_tokens[next_token] = (offset + size, emu.clock() + PAGE_TOKEN_TTL)
    return {
        "page_count": (len(items) + size - 1) // size,
        "page_size": size,
        "total_records": len(items),
        "next_page_token": next_token,
        key: page,
    }


@router.get("/webinars/{webinar_id}/panelists")
async def list_panelists(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/panelists."""
    w = lookup(request, webinar_id, "webinar")
    return {"total_records": len(w.panelists), "panelists": [dict(p) for p in w.panelists]}


@router.post("/webinars/{webinar_id}/panelists")
async def add_panelists(request: Request, webinar_id: str) -> Response:
    """POST /webinars/{webinarId}/panelists (at most 30 per call) -> 201."""
    emu = emulator(request)
    w = lookup(request, webinar_id, "webinar")
    for p in validate_panelists(await json_body(request)):
        existing = next((x for x in w.panelists if x["email"].lower() == p["email"].lower()), None)
        if existing is not None:
            existing["name"] = p["name"]
            continue
        pid = emu.state.ids.user_id()
        w.panelists.append(
            {
                "id": pid,
                "email": p["email"],
                "name": p["name"],
                "join_url": f"https://zoom.us/w/{w.id}?tk={emu.state.ids.token(24)}",
            }
        )
    body = {"id": str(w.id), "updated_at": zoom_time(emu.clock())}
    return Response(json.dumps(body), 201, media_type="application/json")


@router.delete("/webinars/{webinar_id}/panelists")
async def remove_all_panelists(request: Request, webinar_id: str) -> Response:
    """DELETE /webinars/{webinarId}/panelists -> 204."""
    lookup(request, webinar_id, "webinar").panelists.clear()
    return Response(status_code=204)


@router.delete("/webinars/{webinar_id}/panelists/{panelist_id}")
async def remove_panelist(request: Request, webinar_id: str, panelist_id: str) -> Response:
    """DELETE /webinars/{webinarId}/panelists/{panelistId} -> 204."""
    w = lookup(request, webinar_id, "webinar")
    before = len(w.panelists)
    w.panelists[:] = [p for p in w.panelists if p["id"] != panelist_id]
    if len(w.panelists) == before:
        raise EmuError(404, 3001, f"Panelist does not exist: {panelist_id}.")
    return Response(status_code=204)


async def _add_registrant(request: Request, ref: str, kind: str) -> Response:
    emu = emulator(request)
    m = lookup(request, ref, kind)
    found = register(emu.state, m, await json_body(request), emu.clock())
    answer = {
        "id": m.id,
        "registrant_id": found["id"],
        "topic": m.fields["topic"],
        "start_time": zoom_time(m.fields["start_time"]),
    }
    if "join_url" in found:
        answer["join_url"] = found["join_url"]
    return Response(json.dumps(answer), 201, media_type="application/json")


def _list_registrants(request: Request, ref: str, kind: str) -> dict[str, Any]:
    m = lookup(request, ref, kind)
    status = request.query_params.get("status", "approved")
    rows = [copy.deepcopy(r) for r in m.registrants if r["status"] == status]
    return paginate(request, rows, "registrants")


@router.post("/meetings/{meeting_id}/registrants")
async def add_meeting_registrant(request: Request, meeting_id: str) -> Response:
    """POST /meetings/{meetingId}/registrants -> 201."""
    return await _add_registrant(request, meeting_id, "meeting")


@router.get("/meetings/{meeting_id}/registrants")
async def list_meeting_registrants(request: Request, meeting_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/registrants (paginated)."""
    return _list_registrants(request, meeting_id, "meeting")


@router.post("/webinars/{webinar_id}/registrants")
async def add_webinar_registrant(request: Request, webinar_id: str) -> Response:
    """POST /webinars/{webinarId}/registrants -> 201."""
    return await _add_registrant(request, webinar_id, "webinar")


@router.get("/webinars/{webinar_id}/registrants")
async def list_webinar_registrants(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/registrants (paginated)."""
    return _list_registrants(request, webinar_id, "webinar")


@router.get("/meetings/{meeting_id}/registrants/questions")
async def meeting_questions(request: Request, meeting_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/registrants/questions."""
    return copy.deepcopy(lookup(request, meeting_id, "meeting").questions)


@router.patch("/meetings/{meeting_id}/registrants/questions")
async def update_meeting_questions(request: Request, meeting_id: str) -> Response:
    """PATCH /meetings/{meetingId}/registrants/questions -> 204 (replaces the form)."""
    set_questions(lookup(request, meeting_id, "meeting"), await json_body(request))
    return Response(status_code=204)


@router.get("/webinars/{webinar_id}/registrants/questions")
async def webinar_questions(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/registrants/questions."""
    return copy.deepcopy(lookup(request, webinar_id, "webinar").questions)


@router.patch("/webinars/{webinar_id}/registrants/questions")
async def update_webinar_questions(request: Request, webinar_id: str) -> Response:
    """PATCH /webinars/{webinarId}/registrants/questions -> 204."""
    set_questions(lookup(request, webinar_id, "webinar"), await json_body(request))
    return Response(status_code=204)


def _instance(request: Request, raw_ref: str, kind: str) -> PastInstance:
    """Resolve an id (latest ended instance) or an instance UUID (maybe double-encoded)."""
    state = emulator(request).state
    ref = raw_ref
    for _ in range(2):  # Zoom wants UUIDs with "/" double-encoded; one layer is already gone.
        if "%" in ref:
            ref = unquote(ref)
    inst = state.instances.get(ref)
    if inst is None and ref.isdigit():
        ended = [
            state.instances[u]
            for u in state.instance_order.get(int(ref), [])
            if state.instances[u].ended_at is not None
        ]
        inst = ended[-1] if ended else None
    if inst is None or inst.kind != kind or inst.ended_at is None:
        noun = "Meeting" if kind == "meeting" else "Webinar"
        raise EmuError(404, 3001, f"{noun} ID is not found or has expired: {ref}.")
    return inst


_PAST_KEYS: tuple[str, ...] = ("id", "name", "user_id", "registrant_id", "user_email", "join_time", "leave_time")
_PAST_KEYS += ("duration", "failover", "status", "internal_user")


def _past_rows(inst: PastInstance, report: bool) -> list[dict[str, Any]]:
    if not report:
        return [{k: r[k] for k in _PAST_KEYS if k in r} for r in inst.rows]
    rows = [{k: v for k, v in r.items() if k != "internal_user"} for r in inst.rows]
    return rows + [dict(r) for r in inst.breakout_rows]


@router.get("/past_meetings/{meeting_ref:path}/participants")
async def past_meeting_participants(request: Request, meeting_ref: str) -> dict[str, Any]:
    """GET /past_meetings/{meetingId}/participants: one row per join segment."""
    return paginate(request, _past_rows(_instance(request, meeting_ref, "meeting"), False), "participants")


@router.get("/past_webinars/{webinar_ref:path}/participants")
async def past_webinar_participants(request: Request, webinar_ref: str) -> dict[str, Any]:
    """GET /past_webinars/{webinarId}/participants."""
    return paginate(request, _past_rows(_instance(request, webinar_ref, "webinar"), False), "participants")


@router.get("/report/meetings/{meeting_ref:path}/participants")
async def report_meeting_participants(request: Request, meeting_ref: str) -> dict[str, Any]:
    """GET /report/meetings/{meetingId}/participants (adds breakout rows with bo_mtg_id)."""
    return paginate(request, _past_rows(_instance(request, meeting_ref, "meeting"), True), "participants")


@router.get("/report/webinars/{webinar_ref:path}/participants")
async def report_webinar_participants(request: Request, webinar_ref: str) -> dict[str, Any]:
    """GET /report/webinars/{webinarId}/participants."""
    return paginate(request, _past_rows(_instance(request, webinar_ref, "webinar"), True), "participants")
