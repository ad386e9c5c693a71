"""The console's Zoom card below the page (issue 29 item 2, last sentence): Zoom's live state read
from its webhooks, and the same Zoom actions by hand as host actions. Each press is a run-log entry
under the lock, checked against what Zoom's webhooks say (plus what was asked and not yet answered),
planned as a `zoom_action` cue for @zoom and carried out by the outbox, never by the route; an undo
sends the inverse. Runs on SQLite and, with SHOWCALLER_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import select

from app.core.vocabulary import DeliveryStatus
from app.store.tables import deliveries
from app.views.zoom_live import zoom_card
from schedules.adjustments import ZoomControl
from schedules.load import load_text
from schedules.timeline import build_timeline
from schedules.zoom_actions import ZOOM_TARGET
from tests.attendance.conftest import EVENT
from tests.attendance.test_zoom_actions_flow import _start as start_flow
from tests.attendance.test_zoom_actions_flow import at
from tests.conftest import bangkok
from tests.schedules.test_zoom_actions import with_zoom
from tests.zoom.test_live_controls import Case

URL = f"/api/events/{EVENT}/zoom"


async def _start(database_url, settings_for, receiver_env, case: Case, *, meeting_started: bool):
    """The flow test's service (Zoom emulated, the meeting applied), with the host logged in."""
    return await start_flow(
        database_url,
        settings_for,
        receiver_env,
        case,
        meeting_started=meeting_started,
        tokens=("host", "viewer"),
        login="host",
    )


class Webhooks:
    """Forwards the emulated Zoom's webhooks to the service's inbox, each once, as Zoom would."""

    def __init__(self, h, case: Case) -> None:
        self.h, self.case, self.sent = h, case, 0

    async def forward(self) -> None:
        events = list(self.case.emu.state.events)
        for event in events[self.sent :]:
            assert (await self.h.post(event)).status_code < 300
        self.sent = len(events)
        await self.h.settle()


async def _card(h) -> dict:
    answer = await h.client.get(f"{URL}/live")
    assert answer.status_code == 200, answer.text
    return answer.json()["zoom"]


async def _press(h, path: str):
    answer = await h.client.post(f"{URL}/{path}")
    return answer.status_code, answer.json()


async def test_pause_and_resume_by_hand_follow_zoom_and_a_second_press_is_refused(
    database_url, settings_for, receiver_env
):
    case = Case()
    h, meeting_id = await _start(database_url, settings_for, receiver_env, case, meeting_started=True)
    hooks = Webhooks(h, case)
    try:
        card = await _card(h)
        assert card["recording"]["state"] == "not_started" and card["recording"]["since"] is None
        assert card["next"]["action"] == "waiting_room.update" or card["next"]["at"] > h.clock.now().isoformat()
        status, body = await _press(h, "recording/pause")
        assert status == 409 and body["reason"].startswith("the recording is not started"), body
        await at(h, bangkok(14, 5))  # the schedule started the recording at the opening
        await hooks.forward()
        card = await _card(h)
        assert card["recording"]["state"] == "recording" and card["recording"]["since"], card
        assert card["recording"]["can"] == ["pause", "stop"]
        assert card["recording"]["since_local"].endswith("+07:00")  # shown in the event's zone

        status, body = await _press(h, "recording/pause")
        assert status == 202 and body["kind"] == "zoom_control" and body["zoom_action"] == "recording.pause", body
        # Asked, not yet answered by Zoom's webhook: a second press is refused all the same.
        status, again = await _press(h, "recording/pause")
        assert status == 409 and again["reason"] == "the recording is already paused", again
        assert again["error"] == "conflict" and again["zoom_state"] == "paused" and "state" in again
        assert (await _card(h))["recording"]["asked"] == "paused"
        await h.settle()  # the outbox carries it out
        assert case.emu.live.recording_state(meeting_id) == "paused"
        await hooks.forward()
        card = await _card(h)
        assert card["recording"]["state"] == "paused" and card["recording"]["asked"] is None, card
        status, body = await _press(h, "recording/pause")
        assert status == 409 and body["reason"] == "the recording is already paused"

        await at(h, bangkok(14, 6))
        status, body = await _press(h, "recording/resume")
        assert status == 202, body
        await h.settle()
        await hooks.forward()
        assert case.emu.live.recording_state(meeting_id) == "recording"
        assert (await _card(h))["recording"]["state"] == "recording"

        # Undo of the resume sends the inverse through @zoom: the recording pauses again.
        await at(h, bangkok(14, 7))
        undone = await h.client.post(f"/api/events/{EVENT}/undo")
        assert undone.status_code == 200 and undone.json()["undone"]["summary"] == "Zoom: recording resume"
        await h.settle()
        await hooks.forward()
        assert case.emu.live.recording_state(meeting_id) == "paused"
        assert (await _card(h))["recording"]["state"] == "paused"

        async with h.runtime.db.begin() as conn:
            rows = list(await conn.execute(select(deliveries).where(deliveries.c.target_id == ZOOM_TARGET)))
        by_hand = [r for r in rows if r.cue_id.startswith("zoom_action/hand/")]
        assert len(by_hand) == 2 and all(r.status == DeliveryStatus.SENT for r in by_hand), by_hand
        moves = [e["event"] for e in case.emu.state.events if e["event"].startswith("recording.")]
        assert moves == ["recording.started", "recording.paused", "recording.resumed", "recording.paused"]
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()


async def test_livestream_by_hand_and_a_bad_move_are_refused_with_a_reason(database_url, settings_for, receiver_env):
    case = Case()
    h, _ = await _start(database_url, settings_for, receiver_env, case, meeting_started=True)
    try:
        status, body = await _press(h, "livestream/stop")
        assert status == 409 and body["reason"] == "the live stream is not started: it cannot stop (only when live)"
        status, body = await _press(h, "recording/rewind")
        assert status == 422 and body["error"] == "invalid_request", body
        status, body = await _press(h, "livestream/start")
        assert status == 202 and body["zoom_action"] == "livestream.start", body
        status, body = await _press(h, "livestream/start")
        assert status == 409 and body["reason"] == "the live stream is already live", body
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()


def test_the_card_shows_the_last_failure_with_its_reason_and_nothing_without_zoom() -> None:
    schedule = load_text(with_zoom(), "mekong.yaml")
    now = datetime(2026, 3, 12, 7, 5, tzinfo=UTC)
    cues = build_timeline(schedule).cues
    parked = SimpleNamespace(
        id="d9",
        cue_id="zoom_action/recording.start",
        status=DeliveryStatus.PARKED,
        last_error="recording.start: Zoom refused it: no cloud recording",
        created_at=now,
    )
    sent = SimpleNamespace(id="d10", cue_id="x", status=DeliveryStatus.SENT, last_error=None, created_at=now)
    card = zoom_card(schedule, (123, "meeting"), [], [], cues, [sent, parked], now)
    assert card is not None and card["last_failure"]["reason"].endswith("no cloud recording")
    assert card["livestream"]["state"] == "not_started"
    # Resent after the fix and sent: the failure is over.
    resent = SimpleNamespace(**{**sent.__dict__, "id": "d11", "cue_id": parked.cue_id})
    assert zoom_card(schedule, (123, "meeting"), [], [], cues, [resent, sent, parked], now)["last_failure"] is None
    plain = load_text(with_zoom(block=""), "mekong.yaml")
    assert zoom_card(plain, None, [], [], build_timeline(plain).cues, [], now) is None
    # What hosts asked after the last webhook counts; what Zoom already answered does not.
    hook = {"event": "recording.started", "event_ts": int(now.timestamp() * 1000), "payload": {"object": {"id": 123}}}
    asked = [ZoomControl(now.replace(minute=6), 1, action="recording.pause")]
    card = zoom_card(schedule, (123, "meeting"), [hook], asked, cues, [], now)
    assert card is not None and card["recording"]["state"] == "recording" and card["recording"]["asked"] == "paused"
