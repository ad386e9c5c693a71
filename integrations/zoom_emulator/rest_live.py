"""Emulated /v2 routes for in-meeting controls, live streaming, polls, surveys and recordings.

Answers and error codes follow the meetings spec (tests/data/zoom-spec); where the spec names no
code (a recording move the current state does not allow, a stream not configured) the emulator
answers 400/3000 with a message that says what is wrong.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response

from integrations.zoom_emulator.errors import EmuError, validation_failed
from integrations.zoom_emulator.render import zoom_time
from integrations.zoom_emulator.rest_meetings import emulator, json_body, lookup
from integrations.zoom_emulator.rest_people import _instance
from integrations.zoom_emulator.state import PastInstance, StoredMeeting
from integrations.zoom_emulator.validation import (
    require_object,
    validate_livestream,
    validate_poll,
    validate_survey,
)

router = APIRouter()

LIVE_METHODS = {
    "recording.start",
    "recording.stop",
    "recording.pause",
    "recording.resume",
    "participant.invite",
    "participant.invite.callout",
    "participant.invite.room_system_callout",
    "waiting_room.update",
    "ai_companion.start",
    "ai_companion.stop",
    "ai_companion.disable",
    "participant.remove",
}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, media_type="application/json")


# --- PATCH /live_meetings/{meetingId}/events ------------------------------------------------


@router.patch("/live_meetings/{meeting_id}/events")
async def live_events(request: Request, meeting_id: str) -> Response:
    """In-meeting controls: recording moves and the waiting-room text (202); meeting or webinar."""
    emu = emulator(request)
    body = require_object(await json_body(request))
    try:
        m = emu.state.meetings.get(int(unquote(meeting_id)))
    except ValueError:
        raise EmuError(400, 300, "Invalid meeting ID.") from None
    if m is None:
        raise EmuError(404, 3001, f"Meeting {unquote(meeting_id)} is not found or has expired.")
    method = body.get("method")
    if method not in LIVE_METHODS:
        raise validation_failed("method")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise validation_failed("params")
    if method.startswith("recording."):
        await emu.live.recording(m.id, method.split(".", 1)[1])
    elif method == "waiting_room.update":
        title, text = params.get("waiting_room_title", ""), params.get("waiting_room_description", "")
        if not isinstance(title, str) or not isinstance(text, str) or not (title or text):
            raise validation_failed("params.waiting_room_title")
        emu.live.update_waiting_room(m.id, title, text)
    else:
        raise EmuError(400, 300, f"The Zoom emulator does not model {method}.")
    return Response(status_code=202)


# --- live streaming ------------------------------------------------------------------------


def _stream_get(request: Request, ref: str, kind: str) -> dict[str, Any]:
    m = lookup(request, ref, kind)
    stream = m.livestream or {}
    out = {k: stream.get(k, "") for k in ("stream_url", "stream_key", "page_url")}
    if stream.get("resolution"):
        out["resolution"] = stream["resolution"]
    return out


async def _stream_patch(request: Request, ref: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    body = validate_livestream(await json_body(request))
    m.livestream = {k: body[k] for k in ("stream_url", "stream_key", "page_url", "resolution") if k in body}
    return Response(status_code=204)


async def _stream_status(request: Request, ref: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    body = require_object(await json_body(request))
    actions = {"start", "stop", "mode"} if kind == "meeting" else {"start", "stop"}
    if body.get("action") not in actions:
        raise validation_failed("action")
    settings = body.get("settings") or {}
    name = settings.get("display_name") if isinstance(settings, dict) else None
    if not isinstance(settings, dict) or (name is not None and not (isinstance(name, str) and 1 <= len(name) <= 50)):
        raise validation_failed("settings")
    await emulator(request).live.livestream(m.id, body["action"])
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}/livestream")
async def meeting_livestream(request: Request, meeting_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/livestream."""
    return _stream_get(request, meeting_id, "meeting")


@router.patch("/meetings/{meeting_id}/livestream")
async def meeting_livestream_update(request: Request, meeting_id: str) -> Response:
    """PATCH /meetings/{meetingId}/livestream -> 204."""
    return await _stream_patch(request, meeting_id, "meeting")


@router.patch("/meetings/{meeting_id}/livestream/status")
async def meeting_livestream_status(request: Request, meeting_id: str) -> Response:
    """PATCH /meetings/{meetingId}/livestream/status -> 204."""
    return await _stream_status(request, meeting_id, "meeting")


@router.get("/webinars/{webinar_id}/livestream")
async def webinar_livestream(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/livestream."""
    return _stream_get(request, webinar_id, "webinar")


@router.patch("/webinars/{webinar_id}/livestream")
async def webinar_livestream_update(request: Request, webinar_id: str) -> Response:
    """PATCH /webinars/{webinarId}/livestream -> 204."""
    return await _stream_patch(request, webinar_id, "webinar")


@router.patch("/webinars/{webinar_id}/livestream/status")
async def webinar_livestream_status(request: Request, webinar_id: str) -> Response:
    """PATCH /webinars/{webinarId}/livestream/status -> 204."""
    return await _stream_status(request, webinar_id, "webinar")


# --- polls ---------------------------------------------------------------------------------


def _render_poll(poll: dict[str, Any]) -> dict[str, Any]:
    return {k: poll[k] for k in ("id", "status", "anonymous", "poll_type", "questions", "title")}


def _stored_poll(emu: Any, body: dict[str, Any], poll_id: str | None = None) -> dict[str, Any]:
    return {
        "id": poll_id or emu.state.ids.user_id(),
        "title": body["title"],
        "status": "notstart",
        "anonymous": bool(body.get("anonymous", False)),
        "poll_type": body.get("poll_type", 1),
        "questions": [dict(q, type=q.get("type", "single")) for q in body["questions"]],
    }


def _poll(m: StoredMeeting, poll_id: str) -> dict[str, Any]:
    poll = next((p for p in m.polls if p["id"] == unquote(poll_id)), None)
    if poll is None:
        raise EmuError(404, 404, f"{'Meeting' if m.kind == 'meeting' else 'Webinar'} Poll not found.")
    return poll


def _polls_list(request: Request, ref: str, kind: str) -> dict[str, Any]:
    m = lookup(request, ref, kind)
    polls = m.polls
    anonymous = request.query_params.get("anonymous")
    if anonymous in ("true", "false"):
        polls = [p for p in polls if p["anonymous"] == (anonymous == "true")]
    return {"total_records": len(polls), "polls": [_render_poll(p) for p in polls]}


async def _poll_create(request: Request, ref: str, kind: str) -> Response:
    emu = emulator(request)
    m = lookup(request, ref, kind)
    poll = _stored_poll(emu, validate_poll(await json_body(request)))
    m.polls.append(poll)
    return _json(_render_poll(poll), 201)


async def _poll_put(request: Request, ref: str, poll_id: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    poll = _poll(m, poll_id)
    body = validate_poll(await json_body(request))
    poll.update({k: v for k, v in _stored_poll(emulator(request), body, poll["id"]).items() if k != "status"})
    return Response(status_code=204)


def _poll_delete(request: Request, ref: str, poll_id: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    m.polls.remove(_poll(m, poll_id))
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}/polls")
async def meeting_polls(request: Request, meeting_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/polls (the spec does not page it)."""
    return _polls_list(request, meeting_id, "meeting")


@router.post("/meetings/{meeting_id}/polls")
async def meeting_poll_create(request: Request, meeting_id: str) -> Response:
    """POST /meetings/{meetingId}/polls -> 201."""
    return await _poll_create(request, meeting_id, "meeting")


@router.get("/meetings/{meeting_id}/polls/{poll_id}")
async def meeting_poll(request: Request, meeting_id: str, poll_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/polls/{pollId}."""
    return _render_poll(_poll(lookup(request, meeting_id, "meeting"), poll_id))


@router.put("/meetings/{meeting_id}/polls/{poll_id}")
async def meeting_poll_update(request: Request, meeting_id: str, poll_id: str) -> Response:
    """PUT /meetings/{meetingId}/polls/{pollId} -> 204."""
    return await _poll_put(request, meeting_id, poll_id, "meeting")


@router.delete("/meetings/{meeting_id}/polls/{poll_id}")
async def meeting_poll_delete(request: Request, meeting_id: str, poll_id: str) -> Response:
    """DELETE /meetings/{meetingId}/polls/{pollId} -> 204."""
    return _poll_delete(request, meeting_id, poll_id, "meeting")


@router.get("/webinars/{webinar_id}/polls")
async def webinar_polls(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/polls."""
    return _polls_list(request, webinar_id, "webinar")


@router.post("/webinars/{webinar_id}/polls")
async def webinar_poll_create(request: Request, webinar_id: str) -> Response:
    """POST /webinars/{webinarId}/polls -> 201."""
    return await _poll_create(request, webinar_id, "webinar")


@router.get("/webinars/{webinar_id}/polls/{poll_id}")
async def webinar_poll(request: Request, webinar_id: str, poll_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/polls/{pollId}."""
    return _render_poll(_poll(lookup(request, webinar_id, "webinar"), poll_id))


@router.put("/webinars/{webinar_id}/polls/{poll_id}")
async def webinar_poll_update(request: Request, webinar_id: str, poll_id: str) -> Response:
    """PUT /webinars/{webinarId}/polls/{pollId} -> 204."""
    return await _poll_put(request, webinar_id, poll_id, "webinar")


@router.delete("/webinars/{webinar_id}/polls/{poll_id}")
async def webinar_poll_delete(request: Request, webinar_id: str, poll_id: str) -> Response:
    """DELETE /webinars/{webinarId}/polls/{pollId} -> 204."""
    return _poll_delete(request, webinar_id, poll_id, "webinar")


# --- survey --------------------------------------------------------------------------------


def _survey_get(request: Request, ref: str, kind: str) -> dict[str, Any]:
    m = lookup(request, ref, kind)
    return dict(m.survey) if m.survey else {"show_in_the_browser": True}


async def _survey_patch(request: Request, ref: str, kind: str) -> Response:
    m = lookup(request, ref, kind)
    body = validate_survey(await json_body(request))
    survey = {"show_in_the_browser": body.get("show_in_the_browser", True)}
    for key in ("custom_survey", "third_party_survey"):
        if key in body:
            survey[key] = body[key]
    m.survey = survey
    return Response(status_code=204)


def _survey_delete(request: Request, ref: str, kind: str) -> Response:
    lookup(request, ref, kind).survey = None
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}/survey")
async def meeting_survey(request: Request, meeting_id: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/survey."""
    return _survey_get(request, meeting_id, "meeting")


@router.patch("/meetings/{meeting_id}/survey")
async def meeting_survey_update(request: Request, meeting_id: str) -> Response:
    """PATCH /meetings/{meetingId}/survey -> 204."""
    return await _survey_patch(request, meeting_id, "meeting")


@router.delete("/meetings/{meeting_id}/survey")
async def meeting_survey_delete(request: Request, meeting_id: str) -> Response:
    """DELETE /meetings/{meetingId}/survey -> 204."""
    return _survey_delete(request, meeting_id, "meeting")


@router.get("/webinars/{webinar_id}/survey")
async def webinar_survey(request: Request, webinar_id: str) -> dict[str, Any]:
    """GET /webinars/{webinarId}/survey."""
    return _survey_get(request, webinar_id, "webinar")


@router.patch("/webinars/{webinar_id}/survey")
async def webinar_survey_update(request: Request, webinar_id: str) -> Response:
    """PATCH /webinars/{webinarId}/survey -> 204."""
    return await _survey_patch(request, webinar_id, "webinar")


@router.delete("/webinars/{webinar_id}/survey")
async def webinar_survey_delete(request: Request, webinar_id: str) -> Response:
    """DELETE /webinars/{webinarId}/survey -> 204."""
    return _survey_delete(request, webinar_id, "webinar")


# --- after the meeting: recordings, poll results, reports --------------------------------


def _any_instance(request: Request, ref: str) -> PastInstance:
    try:
        return _instance(request, ref, "meeting")
    except EmuError:
        return _instance(request, ref, "webinar")


@router.get("/meetings/{meeting_ref:path}/recordings")
async def meeting_recordings(request: Request, meeting_ref: str) -> dict[str, Any]:
    """GET /meetings/{meetingId}/recordings: an instance UUID, or an id (its latest ended instance)."""
    emu = emulator(request)
    try:
        inst = _any_instance(request, meeting_ref)
    except EmuError:
        inst = None
    if inst is None or not inst.recording_files:
        raise EmuError(404, 3301, "There is no recording for this meeting.")
    m = emu.state.meetings.get(inst.meeting_id)
    files = [dict(f) for f in inst.recording_files]
    ended = inst.ended_at or inst.started_at
    return {
        "uuid": inst.uuid,
        "id": inst.meeting_id,
        "account_id": emu.state.account_id,
        "host_id": m.host.id if m else "",
        "topic": m.fields["topic"] if m else "",
        "type": str(m.fields["type"]) if m else "2",
        "start_time": zoom_time(inst.started_at),
        "duration": max(1, round((ended - inst.started_at).total_seconds() / 60)),
        "total_size": sum(int(f["file_size"]) for f in files),
        "recording_count": len(files),
        "password": m.password if m else "",
        "recording_files": files,
    }


def _poll_results(inst: PastInstance, report: bool) -> dict[str, Any]:
    rows = []
    for row in inst.poll_answers.values():
        out = dict(row)
        if report:
            first, _, last = row["name"].partition(" ")
            out.update(first_name=first, last_name=last)
        rows.append(out)
    return {"id": inst.meeting_id, "uuid": inst.uuid, "start_time": zoom_time(inst.started_at), "questions": rows}


def _survey_report(request: Request, inst: PastInstance) -> dict[str, Any]:
    m = emulator(request).state.meetings.get(inst.meeting_id)
    custom = ((m.survey if m else None) or {}).get("custom_survey") or {}
    rows = []
    for row in inst.survey_answers.values():
        first, _, last = row["name"].partition(" ")
        rows.append({**row, "first_name": first, "last_name": last})
    return {
        "meeting_id": inst.meeting_id,
        "meeting_uuid": inst.uuid,
        "start_time": zoom_time(inst.started_at),
        "survey_id": f"survey-{inst.meeting_id}",
        "survey_name": custom.get("title", ""),
        "survey_answers": rows,
    }


@router.get("/past_meetings/{meeting_ref:path}/polls")
async def past_meeting_polls(request: Request, meeting_ref: str) -> dict[str, Any]:
    """GET /past_meetings/{meetingId}/polls (id or instance UUID)."""
    return _poll_results(_instance(request, meeting_ref, "meeting"), False)


@router.get("/past_webinars/{webinar_ref:path}/polls")
async def past_webinar_polls(request: Request, webinar_ref: str) -> dict[str, Any]:
    """GET /past_webinars/{webinarId}/polls."""
    return _poll_results(_instance(request, webinar_ref, "webinar"), False)


@router.get("/report/meetings/{meeting_ref:path}/polls")
async def report_meeting_polls(request: Request, meeting_ref: str) -> dict[str, Any]:
    """GET /report/meetings/{meetingId}/polls."""
    return _poll_results(_instance(request, meeting_ref, "meeting"), True)


@router.get("/report/webinars/{webinar_ref:path}/polls")
async def report_webinar_polls(request: Request, webinar_ref: str) -> dict[str, Any]:
    """GET /report/webinars/{webinarId}/polls."""
    return _poll_results(_instance(request, webinar_ref, "webinar"), True)


@router.get("/report/meetings/{meeting_ref:path}/survey")
async def report_meeting_survey(request: Request, meeting_ref: str) -> dict[str, Any]:
    """GET /report/meetings/{meetingId}/survey."""
    return _survey_report(request, _instance(request, meeting_ref, "meeting"))


@router.get("/report/webinars/{webinar_ref:path}/survey")
async def report_webinar_survey(request: Request, webinar_ref: str) -> dict[str, Any]:
    """GET /report/webinars/{webinarId}/survey."""
    return _survey_report(request, _instance(request, webinar_ref, "webinar"))
