"""The @zoom pseudo-target's sender (issue 29 item 2): a fired zoom_action cue becomes one Zoom call,
checked against the specs, and its answer is what the delivery worker stores. Fault matrix on the
recording start: a refused call (500, 429) is retried by the worker, a lost answer is never sent
again blindly (Zoom's state, from the recording webhooks, is read first), and Zoom ends recording
exactly once."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

from app.zoom.access import ZoomAccess
from app.zoom.actions import ZoomActions
from integrations.notifiers.outcome import DeliveryResult
from integrations.zoom_emulator import Fault
from schedules.load import load_text
from schedules.model import CueKind
from schedules.timeline import build_timeline
from tests.schedules.test_zoom_actions import with_zoom
from tests.zoom.test_live_controls import FAULTS, Case, _meeting, body_of

SCHEDULE = load_text(with_zoom(), "mekong.yaml")
CUES = {c.id: c for c in build_timeline(SCHEDULE).cues if c.kind is CueKind.zoom_action}
ENV = {"STREAM_URL": "rtmp://live.example.org/app", "STREAM_KEY": "key-123"}


def row(cue_id: str):
    """The fired cue as the worker hands it over (an outbox row: its data as stored)."""
    return SimpleNamespace(cue_id=cue_id, data=CUES[cue_id].data)


def sender(case: Case, meeting_id: int | None) -> ZoomActions:
    async def meeting(event_id: str):
        return None if meeting_id is None else (meeting_id, "meeting")

    async def webhooks(_meeting_id: str):
        return list(case.emu.state.events)  # what the inbox holds once the webhooks arrived

    @contextlib.asynccontextmanager
    async def access(_schedule):
        yield ZoomAccess(case.client, sandbox=True)

    return ZoomActions(meeting, webhooks, access, ENV.get)


async def started_case() -> tuple[Case, int]:
    case = Case()
    meeting_id = await _meeting(case.client)
    await case.emu.live.start(meeting_id)
    return case, meeting_id


async def send(actions: ZoomActions, cue_id: str):
    return await actions.send(SCHEDULE.event.id, SCHEDULE, row(cue_id))


async def test_each_action_reaches_zoom_and_every_request_matches_the_spec(contract) -> None:
    case, meeting_id = await started_case()
    try:
        actions = sender(case, meeting_id)
        for cue_id in (
            "zoom_action/waiting_room/opening",
            "zoom_action/recording.start",
            "zoom_action/livestream.start",
            "zoom_action/recording.pause/discussion-2",
            "zoom_action/recording.resume/discussion-2",
            "zoom_action/livestream.stop",
            "zoom_action/recording.stop",
        ):
            outcome = await send(actions, cue_id)
            assert outcome.result is DeliveryResult.ok, (cue_id, outcome.error)
        assert case.emu.live.recording_state(meeting_id) == "stopped"
        names = [e["event"] for e in case.emu.state.events]
        assert [n for n in names if n.startswith("recording.")] == [
            "recording.started",
            "recording.paused",
            "recording.resumed",
            "recording.stopped",
        ]
        assert "meeting.live_streaming_started" in names and "meeting.live_streaming_stopped" in names
        operations = set()
        for exchange in case.transport.exchanges:
            if exchange.path.startswith("/v2/"):
                path = exchange.path.split("?")[0].removeprefix("/v2")
                op = contract.validate_request(exchange.method, path, body_of(exchange.body))
                operations.add(f"{exchange.method} {op.template}")
        assert {
            "PATCH /live_meetings/{meetingId}/events",
            "PATCH /meetings/{meetingId}/livestream",
            "PATCH /meetings/{meetingId}/livestream/status",
        } <= operations, operations
    finally:
        await case.http.aclose()


async def test_an_action_already_done_is_not_sent_again() -> None:
    case, meeting_id = await started_case()
    try:
        actions = sender(case, meeting_id)
        assert (await send(actions, "zoom_action/recording.start")).result is DeliveryResult.ok
        again = await send(actions, "zoom_action/recording.start")  # a re-claimed delivery after a crash
        assert again.result is DeliveryResult.ok and "already" in again.answer
        assert case.sent("PATCH", "/live_meetings/") == 1
    finally:
        await case.http.aclose()


@pytest.mark.parametrize("fault", ["500", "429", "timeout"])
async def test_recording_start_fault_matrix_ends_recording_once(fault) -> None:
    case, meeting_id = await started_case()
    try:
        actions = sender(case, meeting_id)
        case.emu.add_fault(Fault(method="PATCH", path=r"/live_meetings/\d+/events$", **FAULTS[fault]))
        first = await send(actions, "zoom_action/recording.start")
        if first.result is DeliveryResult.retry:  # the worker tries again later under the same delivery
            assert fault == "429" and first.retry_after == 1.0 and "429" in (first.error or "")
            first = await send(actions, "zoom_action/recording.start")
        assert first.result is DeliveryResult.ok, first.error
        assert case.emu.live.recording_state(meeting_id) == "recording"
        assert len([e for e in case.emu.state.events if e["event"] == "recording.started"]) == 1
        assert len(case.applied("PATCH", "/live_meetings/")) == 1, "an applied recording.start was sent again"
    finally:
        await case.http.aclose()


async def test_a_lost_answer_with_no_webhook_to_tell_is_parked_not_repeated() -> None:
    case, meeting_id = await started_case()
    try:
        actions = sender(case, meeting_id)

        async def nothing(_meeting_id: str):
            return []  # no recording webhook has arrived

        actions.webhooks = nothing
        case.emu.add_fault(Fault(method="PATCH", path=r"/live_meetings/\d+/events$", **FAULTS["timeout"]))
        outcome = await send(actions, "zoom_action/recording.start")
        assert outcome.result is DeliveryResult.permanent
        assert "may have applied it" in (outcome.error or "") and "not sent again" in (outcome.error or "")
        assert case.sent("PATCH", "/live_meetings/") == 1
    finally:
        await case.http.aclose()


async def test_failures_carry_the_reason_for_the_hosts() -> None:
    case = Case()
    try:
        meeting_id = await _meeting(case.client)
        actions = sender(case, meeting_id)
        not_started = await send(actions, "zoom_action/recording.start")
        assert not_started.result is DeliveryResult.retry and "has not started" in (not_started.error or "")
        await case.emu.live.start(meeting_id)
        case.emu.state.account.cloud_recording = False
        no_licence = await send(actions, "zoom_action/recording.start")
        assert no_licence.result is DeliveryResult.permanent and "Zoom refused it" in (no_licence.error or "")
        unapplied = await send(sender(case, None), "zoom_action/recording.start")
        assert unapplied.result is DeliveryResult.permanent and "showcaller apply" in (unapplied.error or "")
        no_key = await ZoomActions(actions.meeting, actions.webhooks, actions.access, {}.get).send(
            SCHEDULE.event.id, SCHEDULE, row("zoom_action/livestream.start")
        )
        assert no_key.result is DeliveryResult.permanent and "STREAM_URL and STREAM_KEY" in (no_key.error or "")
    finally:
        await case.http.aclose()
