"""Non-Zoom admin routes under /_emulator for driving a running emulator from outside."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from integrations.zoom_emulator.crowd import simulate_crowd
from integrations.zoom_emulator.delivery import DeliveryRecord
from integrations.zoom_emulator.errors import EmuError
from integrations.zoom_emulator.payloads import Person

router = APIRouter(prefix="/_emulator")


class PersonIn(BaseModel):
    """Who a live action concerns."""

    name: str
    email: str = ""
    registrant_id: str | None = None


class RoomIn(PersonIn):
    """A breakout move."""

    room: str


class CrowdIn(BaseModel):
    """Parameters of a crowd simulation on an existing meeting."""

    n_participants: int = 20
    start: datetime
    end: datetime
    seed: int = 0
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0
    rejoin_rate: float = 0.0
    breakout_rate: float = 0.0
    registrants: int = 0  # this many register first (the form of the meeting); those past n_participants never come


def _emu(request: Request) -> Any:
    return request.app.state.emulator


def _person(request: Request, meeting_id: int, body: PersonIn) -> Person:
    return _emu(request).person_for(meeting_id, body.name, body.email, body.registrant_id)


def _report(records: list[DeliveryRecord]) -> dict[str, Any]:
    return {
        "deliveries": [
            {"event": r.event, "attempts": r.attempts, "delivered": r.delivered, "skipped": r.skipped} for r in records
        ]
    }


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    """Counters and ids, for humans and smoke tests."""
    s = _emu(request).state
    return {
        "write_calls": s.write_calls,
        "token_requests": s.token_requests,
        "meetings": {str(m.id): {"kind": m.kind, "topic": m.fields["topic"]} for m in s.meetings.values()},
        "users": [u.email for u in s.users.values()],
        "events": len(s.events),
        "rate_limited": sum(1 for c in s.calls if c.status == 429),
    }


@router.post("/users")
async def add_user(request: Request, body: PersonIn) -> dict[str, str]:
    """Register a user (e.g. another host)."""
    user = _emu(request).state.add_user(body.email or body.name)
    return {"id": user.id, "email": user.email}


@router.post("/tokens/expire")
async def expire_tokens(request: Request) -> dict[str, int]:
    """Expire every issued token now (the next API call gets 401/124)."""
    return {"expired": _emu(request).expire_tokens()}


@router.post("/meetings/{meeting_id}/start")
async def start(request: Request, meeting_id: int) -> dict[str, Any]:
    """Start the meeting/webinar."""
    return _report(await _emu(request).live.start(meeting_id))


@router.post("/meetings/{meeting_id}/end")
async def end(request: Request, meeting_id: int) -> dict[str, Any]:
    """End it (everyone still in leaves)."""
    return _report(await _emu(request).live.end(meeting_id))


_ACTIONS = {
    "join": "join",
    "leave": "leave",
    "waiting_room": "join_waiting_room",
    "leave_waiting_room": "leave_waiting_room",
    "admit": "admit",
    "leave_breakout": "leave_breakout",
}


@router.post("/meetings/{meeting_id}/participants/{action}")
async def participant_action(request: Request, meeting_id: int, action: str, body: PersonIn) -> dict[str, Any]:
    """join | leave | waiting_room | leave_waiting_room | admit | leave_breakout."""
    if action not in _ACTIONS:
        raise EmuError(404, 404, f"unknown action {action}")
    live = _emu(request).live
    who = _person(request, meeting_id, body)
    return _report(await getattr(live, _ACTIONS[action])(meeting_id, who))


@router.post("/meetings/{meeting_id}/breakout")
async def join_breakout(request: Request, meeting_id: int, body: RoomIn) -> dict[str, Any]:
    """Move a participant into a breakout room."""
    who = _person(request, meeting_id, body)
    return _report(await _emu(request).live.join_breakout(meeting_id, who, body.room))


@router.post("/meetings/{meeting_id}/crowd")
async def crowd(request: Request, meeting_id: int, body: CrowdIn) -> dict[str, Any]:
    """Simulate a crowd on this meeting, deliver its stream and store its past participants."""
    emu = _emu(request)
    registered = emu.live.register_crowd(meeting_id, body.registrants, body.seed) if body.registrants else []
    sim = simulate_crowd(
        body.n_participants,
        body.start,
        body.end,
        body.seed,
        body.duplicate_rate,
        body.reorder_rate,
        body.rejoin_rate,
        body.breakout_rate,
        meeting=emu.live.meeting_ref(meeting_id),
        registrant_ids={r["email"]: r["id"] for r in registered},
    )
    report = _report(await emu.live.play(sim))
    report["registrants"] = len(registered)
    report["uuid"] = sim.meeting.uuid
    report["truth_seconds"] = {k: t.total_seconds for k, t in sim.truth.items()}
    return report


# --- issue 29: what only the host's Zoom client can do, and the live state to look at ------------


class AnswersIn(BaseModel):
    """How a crowd answers: a seed and the share of people who answer (0..1)."""

    seed: int = 0
    rate: float = 0.8


@router.get("/meetings/{meeting_id}/live")
async def live_state(request: Request, meeting_id: int) -> dict[str, Any]:
    """The running meeting's recording state, live stream and waiting-room text."""
    live = _emu(request).live
    text = live.waiting_room_text(meeting_id)
    return {
        "recording": live.recording_state(meeting_id),
        "streaming": live.streaming(meeting_id),
        "waiting_room": {"title": text[0], "description": text[1]} if text else None,
    }


@router.post("/meetings/{meeting_id}/polls/{poll_id}/run")
async def run_poll(request: Request, meeting_id: int, poll_id: str, body: AnswersIn) -> dict[str, Any]:
    """The host launches a stored poll (no REST call can) and the people present answer it."""
    if not 0.0 <= body.rate <= 1.0:
        raise EmuError(400, 300, "rate must be within 0..1")
    rows = _emu(request).live.run_poll(meeting_id, poll_id, seed=body.seed, rate=body.rate)
    return {"respondents": len(rows)}


@router.post("/meetings/{meeting_id}/survey/answers")
async def answer_survey(request: Request, meeting_id: int, body: AnswersIn) -> dict[str, Any]:
    """The last instance's attendees answer the meeting's survey."""
    if not 0.0 <= body.rate <= 1.0:
        raise EmuError(400, 300, "rate must be within 0..1")
    rows = _emu(request).live.answer_survey(meeting_id, seed=body.seed, rate=body.rate)
    return {"respondents": len(rows)}
