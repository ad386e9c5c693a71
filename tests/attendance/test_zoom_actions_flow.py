"""Zoom actions through the whole service (issue 29 item 2): the Mekong schedule with a recording
block runs on the real engine, outbox and delivery worker; each zoom_action cue fires once and its
@zoom delivery reaches the emulated Zoom. A jump past the paused break withdraws its pause and resume
(they are superseded, never sent), and a meeting that has not started is reported to the hosts'
targets with the reason."""

from __future__ import annotations

from sqlalchemy import select, update

from app.core.vocabulary import CueStatus, DeliveryStatus
from app.store.tables import cues, deliveries, zoom_objects
from schedules.zoom_actions import ZOOM_TARGET
from tests.attendance.conftest import EVENT, start_harness
from tests.conftest import bangkok
from tests.schedules.test_zoom_actions import with_zoom
from tests.zoom.test_live_controls import Case, _meeting


async def _start(database_url, settings_for, receiver_env, case: Case, *, meeting_started: bool, **harness):
    """The service with Zoom emulated and the meeting applied (`harness`: more start_harness options)."""
    meeting_id = await _meeting(case.client)
    if meeting_started:
        await case.emu.live.start(meeting_id)
    h = await start_harness(
        database_url,
        settings_for,
        receiver_env,
        bangkok(13, 30),
        schedule_text=with_zoom(),
        zoom_client_factory=lambda: case.client,
        **harness,
    )
    async with h.runtime.db.begin() as conn:
        await conn.execute(update(zoom_objects).where(zoom_objects.c.event_id == EVENT).values(zoom_id=meeting_id))
    return h, meeting_id


async def _zoom_rows(h):
    async with h.runtime.db.begin() as conn:
        planned = {r.cue_id: r for r in await conn.execute(select(cues).where(cues.c.kind == "zoom_action"))}
        sent = list(await conn.execute(select(deliveries).where(deliveries.c.target_id == ZOOM_TARGET)))
    return planned, sent


async def at(h, moment):
    h.clock.set(moment)
    await h.settle()


async def test_the_recording_follows_the_show_and_a_jump_withdraws_the_break_pause(
    database_url, settings_for, receiver_env
):
    case = Case()
    h, meeting_id = await _start(database_url, settings_for, receiver_env, case, meeting_started=True)
    try:
        await at(h, bangkok(13, 59, 59))
        assert case.emu.live.recording_state(meeting_id) == "stopped"  # not during the set-up
        await at(h, bangkok(14, 0))
        assert case.emu.live.recording_state(meeting_id) == "recording"
        await at(h, bangkok(15, 20))  # Session 2 runs; the host jumps past its open discussion
        await h.runtime.run.advance(EVENT, "host", to="session-3")
        await h.settle()
        for hour, minute in ((15, 45), (16, 0), (16, 20), (16, 40), (17, 0), (17, 5), (17, 10)):
            await at(h, bangkok(hour, minute))  # the jump brought the end forward to 17:05
        assert case.emu.live.recording_state(meeting_id) == "stopped"
        planned, sent = await _zoom_rows(h)
        for skipped in ("recording.pause/discussion-2", "recording.resume/discussion-2"):
            assert planned[f"zoom_action/{skipped}"].status == CueStatus.SUPERSEDED
        assert planned["zoom_action/recording.start"].status == CueStatus.FIRED
        assert {r.cue_id for r in sent if r.status == DeliveryStatus.SENT} >= {
            "zoom_action/recording.start",
            "zoom_action/recording.stop",
            "zoom_action/waiting_room/session-3",
        }
        assert len(sent) == len({r.cue_id for r in sent}), "a Zoom action was delivered twice"
        moves = [e["event"] for e in case.emu.state.events if e["event"].startswith("recording.")]
        assert moves[:2] == ["recording.started", "recording.stopped"]  # no pause: the break was skipped
        assert len(case.applied("PATCH", "/live_meetings/")) == len(
            [r for r in sent if r.status == DeliveryStatus.SENT]
        )
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()


async def test_a_meeting_not_started_is_told_to_the_hosts_with_the_reason(database_url, settings_for, receiver_env):
    case = Case()
    h, meeting_id = await _start(database_url, settings_for, receiver_env, case, meeting_started=False)
    try:
        await at(h, bangkok(14, 0))
        assert case.emu.live.recording_state(meeting_id) == "stopped"
        _, sent = await _zoom_rows(h)
        # The first action in the @zoom lane failed and holds the rest behind its retry, in order.
        failed = [r for r in sent if "has not started" in (r.last_error or "")]
        assert failed and all(r.status == DeliveryStatus.PENDING for r in sent), sent
        await h.settle()  # the notice the failure posted
        texts = [str(body) for body in h.recorder.bodies("slack")]
        assert any("Zoom action failed: " in t and "the meeting has not started" in t for t in texts), texts
        await case.emu.live.start(meeting_id)  # the host starts the meeting; the retry goes through
        await at(h, bangkok(14, 2))
        assert case.emu.live.recording_state(meeting_id) == "recording"
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()


async def test_undo_of_an_early_start_stops_the_recording_and_the_correction_says_so(
    database_url, settings_for, receiver_env
):
    case = Case()
    h, meeting_id = await _start(database_url, settings_for, receiver_env, case, meeting_started=True)
    try:
        await at(h, bangkok(13, 50))
        await h.runtime.run.advance(EVENT, "host")  # the opening, ten minutes early: the recording starts
        await h.settle()
        assert case.emu.live.recording_state(meeting_id) == "recording"
        await at(h, bangkok(13, 51))
        await h.runtime.run.undo(EVENT, "host")  # a mistake: back to the set-up
        await h.settle()
        assert case.emu.live.recording_state(meeting_id) == "stopped"
        texts = [str(body) for body in h.recorder.bodies("slack")]
        assert any("Correction: " in t and "In Zoom, the recording stops." in t for t in texts), texts
        await at(h, bangkok(14, 0))  # the opening as planned: the recording starts again, once
        assert case.emu.live.recording_state(meeting_id) == "recording"
        moves = [e["event"] for e in case.emu.state.events if e["event"].startswith("recording.")]
        assert moves == ["recording.started", "recording.stopped", "recording.started"]
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()


async def test_a_parked_action_resent_after_the_fix_reads_zoom_first_and_acts_once(
    database_url, settings_for, receiver_env
):
    """No cloud recording on the account: the start parks with Zoom's reason and the hosts are told;
    once the licence is fixed, the console's Resend (the same queueing the route does) starts it."""
    from datetime import timedelta

    from app.store import outbox_repo

    case = Case()
    h, meeting_id = await _start(database_url, settings_for, receiver_env, case, meeting_started=True)
    try:
        case.emu.state.account.cloud_recording = False
        await at(h, bangkok(14, 0))
        _, sent = await _zoom_rows(h)
        start = next(r for r in sent if r.cue_id == "zoom_action/recording.start")
        assert start.status == DeliveryStatus.PARKED and "Zoom refused it" in (start.last_error or ""), start
        await h.settle()
        assert any("Zoom action failed: Recording: start" in str(b) for b in h.recorder.bodies("slack"))
        case.emu.state.account.cloud_recording = True  # the organiser fixes the account
        now = h.clock.now()
        async with h.runtime.engine.writing() as conn:
            await outbox_repo.resend(conn, start.id, now, now + timedelta(minutes=15))
        await h.runtime.worker.drain()
        assert case.emu.live.recording_state(meeting_id) == "recording"
        for event in [e for e in case.emu.state.events if e["event"] == "recording.started"]:
            assert (await h.post(event)).status_code < 300  # Zoom's webhook reaches the inbox
        patches = case.sent("PATCH", "/live_meetings/")
        async with h.runtime.engine.writing() as conn:  # sent again by mistake: Zoom's state is read first
            await outbox_repo.resend_again(conn, await outbox_repo.get_delivery(conn, start.id), now, now)
        await h.runtime.worker.drain()
        assert case.sent("PATCH", "/live_meetings/") == patches, "a recording already started was started again"
        assert [e["event"] for e in case.emu.state.events if e["event"].startswith("recording.")] == [
            "recording.started"
        ]
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()
