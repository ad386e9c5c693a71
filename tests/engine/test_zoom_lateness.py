"""The lateness policy of Zoom actions (issue 29 item 2): a late recording start still runs until
the recording would stop anyway; a waiting-room text or a pause for a segment already left is
dropped; a stop always runs. And a jump withdraws the actions of the segments it skips."""

from __future__ import annotations

from datetime import timedelta

from app.engine.lateness import decide, stale
from schedules.adjustments import Advance
from schedules.load import load_text
from schedules.model import CueKind
from schedules.timeline import build_timeline
from tests.schedules.conftest import bangkok
from tests.schedules.test_zoom_actions import with_zoom

GIVE_UP = timedelta(minutes=15)


def zoom_cues(adjustments=()):
    timeline = build_timeline(load_text(with_zoom(), "mekong.yaml"), list(adjustments))
    return {c.id: c for c in timeline.cues if c.kind is CueKind.zoom_action}


def test_a_recording_start_half_an_hour_late_still_runs_and_says_late():
    start = zoom_cues()["zoom_action/recording.start"]
    decision = decide("zoom_action", start.at, start.at + timedelta(minutes=30), start.data, GIVE_UP)
    assert decision.fire and decision.late
    after_the_end = decide("zoom_action", start.at, bangkok(17, 31), start.data, GIVE_UP)
    assert not after_the_end.fire  # the recording would have stopped by then


def test_a_waiting_room_text_for_a_segment_already_left_is_dropped():
    room = zoom_cues()["zoom_action/waiting_room/session-1"]
    ends = room.data["end"]
    assert decide("zoom_action", room.at, room.at + timedelta(minutes=5), room.data, GIVE_UP).fire
    late = decide("zoom_action", room.at, bangkok(14, 46), room.data, GIVE_UP)
    assert not late.fire and late.reason == "its segment has already ended"
    assert stale("zoom_action", bangkok(14, 45), room.data) and ends == bangkok(14, 45).isoformat()


def test_a_pause_after_its_break_is_dropped_but_a_late_stop_runs():
    cues = zoom_cues()
    pause = cues["zoom_action/recording.pause/discussion-2"]
    assert not decide("zoom_action", pause.at, bangkok(16, 16), pause.data, GIVE_UP).fire
    stop = cues["zoom_action/recording.stop"]
    assert decide("zoom_action", stop.at, stop.at + timedelta(hours=2), stop.data, GIVE_UP).fire


def test_a_jump_past_a_paused_segment_withdraws_its_pause_and_resume():
    jumped = zoom_cues([Advance(bangkok(15, 20), 1, to="session-3")])
    assert "zoom_action/recording.pause/discussion-2" not in jumped
    assert "zoom_action/recording.resume/discussion-2" not in jumped
    assert "zoom_action/waiting_room/discussion-2" not in jumped
    assert jumped["zoom_action/waiting_room/session-3"].at == bangkok(15, 20)
    assert set(zoom_cues()) - set(jumped) == {
        "zoom_action/recording.pause/discussion-2",
        "zoom_action/recording.resume/discussion-2",
        "zoom_action/waiting_room/discussion-2",
    }
