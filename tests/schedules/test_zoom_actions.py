"""Zoom actions in the schedule file (issue 29 item 1): zoom.recording, zoom.waiting_room_message,
zoom.livestream, zoom.polls and zoom.survey are validated with file:line errors, and the timeline
plans each action as a `zoom_action` cue for the Zoom pseudo-target at its moment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from schedules.adjustments import Advance, Delay, EndEvent
from schedules.load import load_text
from schedules.model import CueKind
from schedules.problems import ScheduleError
from schedules.timeline import build_timeline
from schedules.zoom_actions import ZOOM_TARGET
from tests.schedules.conftest import MEKONG, bangkok

ZOOM_BLOCK = """\
  recording:
    mode: cloud
    start_at: opening
    pause_during: [discussion-2]
    stop_at: end
  waiting_room_message: "{event}: {segment} is on; {next} starts at {next_start} {zone} time"
  livestream:
    url_env: STREAM_URL
    key_env: STREAM_KEY
    page_url: https://www.youtube.com/watch?v=example
    start_at: session-1
    stop_at: closing
  polls:
    - title: Priorities
      open_at: closing
      questions:
        - name: Which theme should the next dialogue take up?
          answers: [Safe migration, Healthy labour mobility, Return and reintegration]
        - name: Which formats helped you?
          type: multiple
          answers: [Speakers, Respondents, Open discussion]
  survey:
    link: https://forms.example.org/mekong
"""


def without_zoom_actions(text: str) -> str:
    """The Mekong file without its own zoom.recording and polls (a test gives its own)."""
    lines, out, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith(("  recording:", "  polls:")):
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


def with_zoom(block: str = ZOOM_BLOCK, auto: str = "none") -> str:
    text = without_zoom_actions(MEKONG.read_text(encoding="utf-8"))
    text = re.sub(r"(?m)^  auto_recording: \w+.*$", f"  auto_recording: {auto}", text)
    return text.replace("\npeople:\n", "\n" + block + "\npeople:\n", 1)


def problems(text: str) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "mekong.yaml")
    return caught.value.render().splitlines()[:-1]


def zoom_cues(timeline):
    return {c.id: c for c in timeline.cues if c.kind is CueKind.zoom_action}


def test_the_actions_are_cues_for_the_zoom_pseudo_target_at_their_moments():
    schedule = load_text(with_zoom(), "mekong.yaml")
    cues = zoom_cues(build_timeline(schedule))
    assert cues["zoom_action/recording.start"].at == bangkok(14, 0)  # the opening, not the 13:30 set-up
    assert cues["zoom_action/recording.pause/discussion-2"].at == schedule_start(schedule, "discussion-2")
    assert cues["zoom_action/recording.resume/discussion-2"].at == schedule_start(schedule, "session-3")
    assert cues["zoom_action/recording.stop"].at == bangkok(17, 30)
    assert cues["zoom_action/livestream.start"].at == schedule_start(schedule, "session-1")
    assert cues["zoom_action/livestream.stop"].at == bangkok(17, 30)  # closing ends the event
    assert all(c.targets == (ZOOM_TARGET,) for c in cues.values())
    room = cues["zoom_action/waiting_room/session-1"]
    assert room.at == schedule_start(schedule, "session-1")
    assert room.data["text"] == (
        "Mekong Dialogue on Labour Mobility: Session 1: Preparing for safe migration is on; "
        "Open discussion (Session 1) starts at 14:45 Bangkok time"
    )
    assert len([c for c in cues if c.startswith("zoom_action/waiting_room/")]) == 9


def schedule_start(schedule, segment_id):
    return build_timeline(schedule).segment(segment_id).start


def test_a_delay_moves_the_actions_and_keeps_their_ids():
    schedule = load_text(with_zoom(), "mekong.yaml")
    before = zoom_cues(build_timeline(schedule))
    later = zoom_cues(build_timeline(schedule, [Delay(bangkok(14, 30), 1, 600, mode="shift")]))
    assert set(before) == set(later)
    assert later["zoom_action/recording.start"].at == before["zoom_action/recording.start"].at
    pause = "zoom_action/recording.pause/discussion-2"
    assert later[pause].at == before[pause].at + timedelta(minutes=10)


def test_a_jump_past_the_opening_still_starts_the_recording_with_what_runs():
    schedule = load_text(with_zoom(), "mekong.yaml")
    jumped = build_timeline(schedule, [Advance(bangkok(13, 40), 1, to="session-1")])
    start = zoom_cues(jumped)["zoom_action/recording.start"]
    assert start.at == bangkok(13, 40) and start.segment == "session-1"


def test_an_early_end_stops_the_recording_then():
    schedule = load_text(with_zoom(), "mekong.yaml")
    ended = build_timeline(schedule, [EndEvent(bangkok(16, 0), 1)])
    assert zoom_cues(ended)["zoom_action/recording.stop"].at == bangkok(16, 0)


def test_a_local_recording_is_reminders_to_the_hosts():
    schedule = load_text(with_zoom().replace("    mode: cloud\n", "    mode: local\n"), "mekong.yaml")
    timeline = build_timeline(schedule)
    assert not [c for c in zoom_cues(timeline) if "recording" in c]
    start = next(c for c in timeline.cues if c.id == "reminder/recording.start")
    assert start.kind is CueKind.reminder and start.message == "Start the local recording now."
    assert start.targets == tuple(t.id for t in schedule.targets if t.hosts)


def test_the_fields_are_in_the_model():
    schedule = load_text(with_zoom(), "mekong.yaml")
    assert schedule.zoom.polls[0].questions[1].type == "multiple"
    assert schedule.zoom.survey is not None and schedule.zoom.survey.link == "https://forms.example.org/mekong"


def test_unknown_segments_get_a_did_you_mean_with_file_and_line():
    text = with_zoom(
        ZOOM_BLOCK.replace("start_at: opening", "start_at: openin")
        .replace("pause_during: [discussion-2]", "pause_during: [discusion-2]")
        .replace("open_at: closing", "open_at: closin")
    )
    found = problems(text)
    assert any(
        ":start_at" not in p and "zoom.recording.start_at: unknown segment 'openin'. Fix: did you mean 'opening'?" in p
        for p in found
    ), found
    assert any("zoom.recording.pause_during[0]: unknown segment 'discusion-2'" in p for p in found), found
    assert any("zoom.polls[0].open_at: unknown segment 'closin'. Fix: did you mean 'closing'?" in p for p in found)
    assert all(p.startswith("mekong.yaml:") and p.split(":")[1].isdigit() for p in found)


def test_order_auto_recording_and_template_mistakes_are_reported_with_the_fix():
    block = (
        ZOOM_BLOCK.replace("start_at: opening", "start_at: session-2")
        .replace("stop_at: end\n  waiting", "stop_at: session-1\n  waiting")
        .replace("{next_start}", "{nxt_start}")
    )
    found = problems(with_zoom(block, auto="cloud"))
    assert any("zoom.recording.stop_at: the recording would stop after 'session-1'" in p for p in found), found
    assert any("zoom.auto_recording: auto_recording: cloud has Zoom record" in p for p in found), found
    assert any("zoom.waiting_room_message: unknown placeholder {nxt_start}" in p and "'next_start'" in p for p in found)


def test_a_pause_outside_the_recording_and_a_survey_with_both_are_refused():
    block = ZOOM_BLOCK.replace("pause_during: [discussion-2]", "pause_during: [setup]").replace(
        "    link: https://forms.example.org/mekong\n",
        "    link: https://forms.example.org/mekong\n"
        "    questions:\n      - name: Useful?\n        answers: [Very, Somewhat]\n",
    )
    found = problems(with_zoom(block))
    assert any("zoom.recording.pause_during[0]: 'setup' is not while the recording runs" in p for p in found), found
    assert any("zoom.survey: " in p and "both link and questions" in p for p in found), found


def test_a_poll_question_needs_two_answers():
    found = problems(
        with_zoom(ZOOM_BLOCK.replace("answers: [Speakers, Respondents, Open discussion]", "answers: [Speakers]"))
    )
    assert any("zoom.polls[0].questions[1]" in p and "at least two" in p for p in found), found


def test_a_poll_is_a_reminder_to_the_hosts_to_open_it_when_its_segment_starts():
    """The specs have no way to launch a poll (docs/zoom-api-notes.md section 9): a reminder instead."""
    schedule = load_text(with_zoom(), "mekong.yaml")
    timeline = build_timeline(schedule)
    poll = next(c for c in timeline.cues if c.id == "reminder/poll.open/1")
    assert poll.kind is CueKind.reminder and poll.at == timeline.segment("closing").start
    assert poll.message == "Open poll 'Priorities' now."
    assert poll.targets == tuple(t.id for t in schedule.targets if t.hosts)
