"""Timeline semantics on the Mekong agenda: cues, delays, holds, jumps, timers, run state."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest

from schedules import adjustments as adj
from schedules.adjustments import (
    KINDS,
    Advance,
    Announce,
    Delay,
    EndEvent,
    Hold,
    Resume,
    StageClear,
    StageMessage,
    TimerAdd,
    TimerPause,
    TimerResume,
    TimerStart,
    TimerStop,
)
from schedules.model import CueKind, Timers
from schedules.timeline import build_timeline, plan_cues
from schedules.timers import TimerStatus
from tests.schedules.conftest import BANGKOK, bangkok

MIN = timedelta(minutes=1)
ALL_TARGETS = ("hosts-slack", "team-teams", "hosts-zoom-chat", "speakers-discord", "ops-webhook")
HOSTS = ("hosts-slack", "hosts-zoom-chat")


def local(moment) -> str:
    return moment.astimezone(BANGKOK).strftime("%H:%M:%S")


def starts(timeline) -> dict[str, str]:
    return {s.id: local(s.start) for s in timeline.segments if not s.skipped}


def cue_map(timeline) -> dict:
    return {c.id: c for c in timeline.cues}


# -- the plan -------------------------------------------------------------------------------------


def test_planned_cues_of_the_mekong_agenda(mekong):
    cues = plan_cues(mekong)
    by_kind: dict[CueKind, list[str]] = {}
    for cue in cues:
        by_kind.setdefault(cue.kind, []).append(cue.id)
    segment_ids = [s.id for s in mekong.segments]
    assert by_kind[CueKind.segment_start] == [f"segment_start/{s}" for s in segment_ids]
    assert by_kind[CueKind.segment_ending_soon] == [f"segment_ending_soon/{s}" for s in segment_ids]
    # Contiguous agenda: only the last segment gets an "ended" cue.
    assert by_kind[CueKind.segment_end] == ["segment_end/closing"]
    assert by_kind[CueKind.readiness_check] == [f"readiness_check/{s}" for s in segment_ids[1:]]
    assert len(by_kind[CueKind.respondent_slot]) == 6
    assert sorted(by_kind[CueKind.reminder]) == [
        "reminder/group-photo",
        "reminder/poll.open/1",  # zoom.polls: Zoom's API cannot launch a poll, the hosts are reminded
        "reminder/registration-open",
    ]
    assert by_kind[CueKind.zoom_action] == ["zoom_action/recording.start", "zoom_action/recording.stop"]
    assert len(cues) == 38
    assert not any(c.held for c in cues)


def test_planned_cue_times_messages_and_targets(mekong):
    cues = cue_map(build_timeline(mekong))
    assert [c.id for c in plan_cues(mekong)][:2] == [
        "segment_start/setup",
        "reminder/registration-open",
    ]
    opening = cues["segment_start/opening"]
    assert opening.at == bangkok(14, 0) and opening.at.tzinfo is UTC
    assert opening.message.startswith("Opening remarks is starting. Moderators: Pinsuda Alexander, Economist")
    assert "Speakers: Mr. Chuop Narath, Deputy Director General" in opening.message
    assert opening.targets == ALL_TARGETS
    soon = cues["segment_ending_soon/session-1"]
    assert soon.at == bangkok(14, 40) and soon.severity == "warning"
    assert soon.message == (
        "Session 1: Preparing for safe migration ends in 5 minutes. Next: Open discussion (Session 1)."
    )
    ready = cues["readiness_check/opening"]
    assert ready.at == bangkok(13, 50) and ready.targets == HOSTS
    assert ready.data["people"] == [
        "pinsuda-alexander",
        "geertrui-lanneau",
        "chuop-narath",
        "alfredo-perdiguero",
    ]
    assert cues["respondent_slot/session-3/1"].targets == (
        "hosts-slack",
        "hosts-zoom-chat",
        "speakers-discord",
        "ops-webhook",
    )
    assert cues["reminder/registration-open"].targets == (
        "hosts-slack",
        "team-teams",
        "hosts-zoom-chat",
        "ops-webhook",
    )
    last = cues["segment_end/closing"]
    assert last.at == bangkok(17, 30) and last.message.endswith("The event has ended.")


def test_building_twice_gives_identical_cues(mekong):
    actions = [
        Delay(bangkok(14, 30), seconds=420),
        TimerStart(bangkok(14, 39), timer_id="t", seconds=180),
    ]
    assert build_timeline(mekong, actions).cues == build_timeline(mekong, list(actions)).cues


# -- delays ---------------------------------------------------------------------------------------


def test_delay_is_absorbed_by_the_next_flexible_discussion(mekong):
    timeline = build_timeline(mekong, [Delay(bangkok(14, 30), seconds=600)])
    assert local(timeline.segment("session-1").end) == "14:55:00"
    discussion = timeline.segment("discussion-1")
    assert (local(discussion.start), local(discussion.end)) == ("14:55:00", "15:15:00")
    assert starts(timeline)["session-2"] == "15:15:00"
    cues = cue_map(timeline)
    assert cues["segment_start/session-2"].at == bangkok(15, 15)
    assert cues["respondent_slot/session-1/1"].at == bangkok(14, 49)  # the slots follow the segment end
    assert timeline.segment("closing").end == bangkok(17, 30)


def test_delay_beyond_min_duration_spills_into_the_next_discussion(mekong):
    timeline = build_timeline(mekong, [Delay(bangkok(14, 30), seconds=1200)])
    assert timeline.segment("discussion-1").duration == 15 * MIN  # its min_duration
    assert starts(timeline)["session-2"] == "15:20:00"
    assert timeline.segment("discussion-2").duration == 25 * MIN
    assert starts(timeline)["session-3"] == "16:15:00"


def test_shift_mode_moves_everything_after(mekong):
    planned = build_timeline(mekong)
    for timeline in (
        build_timeline(mekong, [Delay(bangkok(14, 30), seconds=600, mode="shift")]),
        build_timeline(
            mekong.model_copy(update={"run": mekong.run.model_copy(update={"delay_mode": "shift"})}),
            [Delay(bangkok(14, 30), seconds=600)],
        ),
    ):
        for before, after in zip(planned.segments, timeline.segments, strict=True):
            moved = after.start - before.start
            assert moved == (10 * MIN if before.index > 2 else timedelta(0)), before.id
            assert after.duration == before.duration + (10 * MIN if before.id == "session-1" else timedelta(0))
        assert cue_map(timeline)["segment_start/session-2"].at == bangkok(15, 25)
        assert timeline.segment("closing").end == bangkok(17, 40)


def test_delay_before_the_event_moves_the_start(mekong):
    timeline = build_timeline(mekong, [Delay(bangkok(13, 0), seconds=300, mode="shift")])
    assert starts(timeline)["setup"] == "13:35:00"
    state = timeline.state_at(bangkok(13, 10))
    assert state.status == "scheduled" and state.delay == 5 * MIN


def budget(schedule, early: str = "end_early", **bounds):
    """The Mekong agenda with run.early set and discussion-1's min/max_duration replaced."""
    segments = [s.model_copy(update=bounds) if s.id == "discussion-1" else s for s in schedule.segments]
    run = schedule.run.model_copy(update={"early": early})
    return schedule.model_copy(update={"segments": segments, "run": run})


def test_an_early_show_ends_early_by_default(mekong):
    timeline = build_timeline(mekong, [Delay(bangkok(14, 30), seconds=-300)])
    assert local(timeline.segment("session-1").end) == "14:40:00"
    assert timeline.segment("discussion-1").duration == 30 * MIN  # the flexible one keeps its length
    assert starts(timeline)["session-2"] == "15:10:00"
    state = timeline.state_at(bangkok(14, 50))
    assert state.delay == -5 * MIN and state.projected_end == bangkok(17, 25) and state.planned_end == bangkok(17, 30)


def test_absorb_lets_a_flexible_discussion_grow_up_to_its_max_duration(mekong):
    grows = budget(mekong, "absorb", max_duration=33 * MIN)
    timeline = build_timeline(grows, [Delay(bangkok(14, 30), seconds=-300)])
    assert timeline.segment("discussion-1").duration == 33 * MIN  # not 35: the rest moves up
    assert starts(timeline)["session-2"] == "15:13:00"
    assert timeline.state_at(bangkok(14, 50)).projected_end == bangkok(17, 28)
    roomy = build_timeline(budget(mekong, "absorb", max_duration=60 * MIN), [Delay(bangkok(14, 30), seconds=-300)])
    assert roomy.segment("discussion-1").duration == 35 * MIN and starts(roomy)["session-2"] == "15:15:00"


def test_absorb_without_max_duration_wins_back_only_what_a_delay_took(mekong):
    grows = budget(mekong, "absorb")
    late_then_early = [Delay(bangkok(14, 20), seconds=600), Delay(bangkok(14, 30), seconds=-900)]
    timeline = build_timeline(grows, late_then_early)
    # +10 min shrank the discussion to 20 min; -15 min gives it its planned 30 back, no more.
    assert timeline.segment("discussion-1").duration == 30 * MIN
    assert starts(timeline)["session-2"] == "15:10:00"


def test_a_late_show_shrinks_a_flexible_segment_not_below_min_duration(mekong):
    capped = budget(mekong, min_duration=25 * MIN)
    timeline = build_timeline(capped, [Delay(bangkok(14, 30), seconds=600)])
    assert timeline.segment("discussion-1").duration == 25 * MIN
    assert starts(timeline)["session-2"] == "15:20:00"  # the 5 min it could not absorb move on
    # Without min_duration the floor is half the planned length.
    half = build_timeline(budget(mekong, min_duration=None), [Delay(bangkok(14, 30), seconds=1800)])
    assert half.segment("discussion-1").duration == 15 * MIN and starts(half)["session-2"] == "15:30:00"


def test_jumping_ahead_to_a_discussion_never_hides_the_earliness(mekong):
    # The technical host's report: about 18 min ahead, then a jump to the open discussion made it
    # grow by everything skipped while the running order said "On time".
    moves = [Advance(bangkok(13, 42)), Advance(bangkok(13, 57), to="discussion-1")]
    absorb = build_timeline(budget(mekong, "absorb", max_duration=60 * MIN), moves)
    assert absorb.segment("discussion-1").duration == 60 * MIN
    state = absorb.state_at(bangkok(14, 0))
    assert state.current.id == "discussion-1" and state.next.start == bangkok(14, 57)
    assert state.delay == -18 * MIN and state.projected_end == bangkok(17, 12)
    ends_early = build_timeline(mekong, moves)
    assert ends_early.segment("discussion-1").duration == 30 * MIN
    assert ends_early.state_at(bangkok(14, 0)).projected_end == bangkok(16, 42)


# -- hold, resume, advance ------------------------------------------------------------------------


def test_hold_keeps_the_segment_running_and_flags_later_cues(mekong):
    timeline = build_timeline(mekong, [Hold(bangkok(14, 40))], now=bangkok(14, 50))
    assert timeline.held_segment == "session-1"
    assert local(timeline.segment("session-1").end) == "14:50:00"  # projected to now
    cues = cue_map(timeline)
    assert cues["segment_start/discussion-1"].held and cues["segment_start/discussion-1"].at == bangkok(14, 50)
    assert cues["segment_start/closing"].held
    assert cues["segment_ending_soon/session-1"].held  # bound to an end that is no longer known
    assert cues["respondent_slot/session-1/2"].held
    assert not cues["segment_start/session-1"].held and not cues["reminder/group-photo"].held
    state = timeline.state_at(bangkok(14, 50))
    assert state.held and state.status == "live" and state.current.id == "session-1"


def test_hold_then_late_manual_advance(mekong):
    timeline = build_timeline(mekong, [Hold(bangkok(14, 40)), Advance(bangkok(14, 52))])
    assert timeline.held_segment is None and not any(c.held for c in timeline.cues)
    assert local(timeline.segment("session-1").end) == "14:52:00"
    assert starts(timeline)["discussion-1"] == "14:52:00"
    assert starts(timeline)["session-2"] == "15:15:00"  # the discussion absorbed the overrun
    state = timeline.state_at(bangkok(14, 53))
    assert state.current.id == "discussion-1" and state.elapsed == MIN and state.next.id == "session-2"


def test_resume_after_an_overrun_turns_it_into_a_delay(mekong):
    shift = mekong.model_copy(update={"run": mekong.run.model_copy(update={"delay_mode": "shift"})})
    timeline = build_timeline(shift, [Hold(bangkok(14, 40)), Resume(bangkok(14, 50))])
    assert timeline.held_segment is None
    assert starts(timeline)["discussion-1"] == "14:50:00"
    assert timeline.state_at(bangkok(14, 51)).delay == 5 * MIN


def test_resume_before_the_planned_end_changes_nothing(mekong):
    timeline = build_timeline(mekong, [Hold(bangkok(14, 30)), Resume(bangkok(14, 35))])
    assert timeline.segments == build_timeline(mekong).segments


def test_jump_forward_skips_segments(mekong):
    timeline = build_timeline(mekong, [Advance(bangkok(14, 20), to="session-2")])
    assert timeline.segment("discussion-1").skipped
    assert local(timeline.segment("session-1").end) == "14:20:00"
    assert starts(timeline)["session-2"] == "14:20:00"
    assert not any(c.segment == "discussion-1" for c in timeline.cues)
    state = timeline.state_at(bangkok(14, 25))
    assert state.current.id == "session-2" and state.next.id == "discussion-2"


def test_advance_without_target_starts_the_next_segment(mekong):
    timeline = build_timeline(mekong, [Advance(bangkok(14, 5))])
    assert starts(timeline)["session-1"] == "14:05:00"
    assert local(timeline.segment("opening").end) == "14:05:00"


def test_advance_in_the_last_segment_ends_the_event(mekong):
    timeline = build_timeline(mekong, [Advance(bangkok(17, 20))])
    assert timeline.ended_at == bangkok(17, 20)
    assert timeline.state_at(bangkok(17, 21)).status == "ended"


def test_jump_back_reruns_with_new_cue_ids(mekong):
    timeline = build_timeline(mekong, [Advance(bangkok(14, 50), to="session-1")])
    rerun = timeline.segment("session-1")
    assert rerun.occurrence == 2 and local(rerun.start) == "14:50:00"
    ids = [c.id for c in timeline.cues]
    assert len(ids) == len(set(ids))
    assert "segment_start/session-1#2" in ids and "respondent_slot/session-1/1#2" in ids
    assert "segment_start/session-1" not in ids
    assert "segment_start/session-2" in ids  # not re-run: keeps its id
    assert timeline.segment("closing").end == bangkok(17, 30)  # discussions absorbed the 35 minutes


def test_end_event_skips_the_rest(mekong):
    timeline = build_timeline(mekong, [EndEvent(bangkok(16, 0))])
    assert timeline.ended_at == bangkok(16, 0)
    assert [s.id for s in timeline.segments if s.skipped] == [
        "session-3",
        "discussion-3",
        "closing",
    ]
    assert max(c.at for c in timeline.cues) == bangkok(16, 0)
    assert cue_map(timeline)["segment_end/discussion-2"].message.endswith("The event has ended.")
    assert timeline.state_at(bangkok(15, 59)).next is None
    assert timeline.state_at(bangkok(16, 0)).status == "ended"
    # Nothing after the end changes anything.
    later = build_timeline(mekong, [EndEvent(bangkok(16, 0)), Delay(bangkok(16, 5), seconds=600)])
    assert later.segments == timeline.segments


# -- timers ---------------------------------------------------------------------------------------


def _respondent_timer(at, timer_id="s1-r1", seconds=180):
    return TimerStart(at, timer_id=timer_id, seconds=seconds, label="Respondent 1", segment="session-1", slot=1)


def test_timer_cues_at_the_files_thresholds(mekong):
    timeline = build_timeline(mekong, [_respondent_timer(bangkok(14, 39))])
    cues = cue_map(timeline)
    assert cues["timer_start/s1-r1"].at == bangkok(14, 39)
    assert cues["timer_start/s1-r1"].title == "Respondent 1: 3:00 starts now"
    assert (cues["timer_warning/s1-r1"].at, cues["timer_warning/s1-r1"].severity) == (
        bangkok(14, 41),
        "warning",
    )
    assert (cues["timer_danger/s1-r1"].at, cues["timer_danger/s1-r1"].severity) == (
        bangkok(14, 41, 30),
        "danger",
    )
    assert cues["timer_up/s1-r1"].at == bangkok(14, 42)
    assert cues["timer_up/s1-r1"].message == "Respondent 1: time is up."
    assert "speakers-discord" in cues["timer_up/s1-r1"].targets
    assert "speakers-discord" not in cues["timer_start/s1-r1"].targets  # its filter has no timer_start


def test_timer_thresholds_come_from_the_file(mekong):
    custom = mekong.model_copy(update={"timers": Timers(warning=timedelta(seconds=90), danger=timedelta(seconds=20))})
    cues = cue_map(build_timeline(custom, [_respondent_timer(bangkok(14, 39))]))
    assert cues["timer_warning/s1-r1"].at == bangkok(14, 40, 30)
    assert cues["timer_danger/s1-r1"].at == bangkok(14, 41, 40)
    assert cues["timer_warning/s1-r1"].title == "Respondent 1: 1:30 left"


def test_short_timer_skips_thresholds_it_cannot_reach(mekong):
    cues = cue_map(build_timeline(mekong, [_respondent_timer(bangkok(14, 39), seconds=45)]))
    assert "timer_warning/s1-r1" not in cues and "timer_danger/s1-r1" in cues


def test_timer_pause_resume_add_and_stop(mekong):
    actions = [_respondent_timer(bangkok(14, 39)), TimerPause(bangkok(14, 40), timer_id="s1-r1")]
    paused = build_timeline(mekong, actions, now=bangkok(14, 41))
    (timer,) = paused.timers
    assert timer.status is TimerStatus.paused and timer.remaining_at(bangkok(14, 45)) == 2 * MIN
    cues = cue_map(paused)
    assert cues["timer_up/s1-r1"].held and cues["timer_up/s1-r1"].at == bangkok(14, 43)  # projected from now
    assert not cues["timer_start/s1-r1"].held

    actions += [
        TimerResume(bangkok(14, 42), timer_id="s1-r1"),
        TimerAdd(bangkok(14, 42), seq=1, timer_id="s1-r1"),
    ]
    running = build_timeline(mekong, actions, now=bangkok(14, 43))
    (timer,) = running.timers
    assert timer.status is TimerStatus.running and timer.seconds == 210
    assert timer.ends_at == bangkok(14, 44, 30)  # 3:00 + 2:00 paused + 0:30 added
    cues = cue_map(running)
    assert cues["timer_up/s1-r1"].at == bangkok(14, 44, 30) and not cues["timer_up/s1-r1"].held
    assert cues["timer_warning/s1-r1"].at == bangkok(14, 43, 30)
    assert running.state_at(bangkok(14, 43)).timers == [timer]

    actions.append(TimerStop(bangkok(14, 44), timer_id="s1-r1"))
    stopped = build_timeline(mekong, actions, now=bangkok(14, 45))
    assert stopped.timers[0].status is TimerStatus.stopped
    assert not [c for c in stopped.cues if c.kind.value.startswith("timer")]
    assert stopped.state_at(bangkok(14, 45)).timers == []


def test_timer_add_never_goes_below_zero_and_actions_after_stop_are_ignored(mekong):
    actions = [
        _respondent_timer(bangkok(14, 39)),
        TimerAdd(bangkok(14, 40), timer_id="s1-r1", seconds=-600),
        TimerStop(bangkok(14, 40), seq=1, timer_id="s1-r1"),
        TimerResume(bangkok(14, 41), timer_id="s1-r1"),
        TimerAdd(bangkok(14, 41), timer_id="nope"),
    ]
    (timer,) = build_timeline(mekong, actions).timers
    assert timer.seconds == 0 and timer.status is TimerStatus.stopped
    assert timer.remaining_at(bangkok(14, 50)) == -MIN  # frozen at the stop


def test_several_timers_at_once_are_independent(mekong):
    actions = [
        _respondent_timer(bangkok(14, 39), "r1"),
        _respondent_timer(bangkok(14, 39, 30), "r2", 120),
        TimerPause(bangkok(14, 40), timer_id="r1"),
    ]
    timeline = build_timeline(mekong, actions, now=bangkok(14, 40))
    cues = cue_map(timeline)
    assert cues["timer_up/r1"].held and not cues["timer_up/r2"].held
    assert cues["timer_up/r2"].at == bangkok(14, 41, 30)
    assert [t.id for t in timeline.timers] == ["r1", "r2"]
    assert {t.status for t in timeline.state_at(bangkok(14, 40)).timers} == {
        TimerStatus.paused,
        TimerStatus.running,
    }


# -- announcements --------------------------------------------------------------------------------


def test_announcement_to_chosen_and_to_all_targets(mekong):
    chosen = Announce(bangkok(15, 0), announcement_id="a1", message="Please mute.", targets=("hosts-slack",))
    everyone = Announce(bangkok(15, 1), announcement_id="a2", message="Back in 5 minutes.")
    cues = cue_map(build_timeline(mekong, [chosen, everyone]))
    assert cues["announcement/a1"].targets == ("hosts-slack",) and cues["announcement/a1"].message == "Please mute."
    assert cues["announcement/a2"].at == bangkok(15, 1)
    # The Discord target filters kinds and does not list announcements.
    assert cues["announcement/a2"].targets == (
        "hosts-slack",
        "team-teams",
        "hosts-zoom-chat",
        "ops-webhook",
    )


# -- run state ------------------------------------------------------------------------------------


def test_state_before_during_and_after(mekong):
    timeline = build_timeline(mekong)
    before = timeline.state_at(bangkok(13, 0))
    assert (before.status, before.current, before.next.id, before.elapsed) == (
        "scheduled",
        None,
        "setup",
        None,
    )
    during = timeline.state_at(bangkok(14, 20))
    assert (during.status, during.current.id, during.next.id) == (
        "live",
        "session-1",
        "discussion-1",
    )
    assert (during.elapsed, during.remaining, during.delay) == (5 * MIN, 25 * MIN, timedelta(0))
    assert during.projected_end == during.planned_end == bangkok(17, 30)
    last = timeline.state_at(bangkok(17, 29))
    assert last.current.id == "closing" and last.next is None and last.remaining == MIN
    after = timeline.state_at(bangkok(17, 30))
    assert (after.status, after.current, after.remaining) == ("ended", None, None)


def test_state_reports_delay_and_projected_end(mekong):
    timeline = build_timeline(mekong, [Delay(bangkok(14, 30), seconds=600, mode="shift")])
    state = timeline.state_at(bangkok(14, 50))
    assert state.current.id == "session-1" and state.remaining == 5 * MIN
    assert state.delay == 10 * MIN and state.projected_end == bangkok(17, 40)
    assert state.planned_end == bangkok(17, 30)


# -- adjustments as stored values -----------------------------------------------------------------

EXAMPLES = [
    Delay(bangkok(14, 30), seq=2, seconds=-90, mode="shift"),
    Advance(bangkok(14, 31), to="session-2"),
    Hold(bangkok(14, 32)),
    Resume(bangkok(14, 33)),
    EndEvent(bangkok(17, 0)),
    TimerStart(
        bangkok(14, 39),
        timer_id="t1",
        seconds=150,
        label="R1",
        segment="session-1",
        slot=1,
        person="x",
        keep=True,
    ),
    TimerPause(bangkok(14, 40), timer_id="t1"),
    TimerResume(bangkok(14, 41), timer_id="t1"),
    TimerAdd(bangkok(14, 41), timer_id="t1", seconds=-15),
    TimerStop(bangkok(14, 42), timer_id="t1"),
    Announce(bangkok(15, 0), announcement_id="a", message="Hi", targets=("x", "y")),
    adj.Undo(
        bangkok(15, 1),
        seq=12,
        target=11,
        corrections=(("x", "Correction: S1 is still running", "Correction: ...; please disregard 'Hi'."),),
    ),
    StageMessage(bangkok(15, 2), text="Please wrap up", flash=True, blackout=False, until_cleared=True),
    StageMessage(bangkok(15, 2), seq=3, text="30 seconds", expires_after=30),
    StageClear(bangkok(15, 3)),
    adj.InsertSegment(
        bangkok(15, 4), segment="break-1", title="Break", seconds=300, speakers=("x",), anchor="s2", place="after"
    ),
    adj.RetimeSegment(bangkok(15, 5), segment="s2", seconds=1200),
    adj.AmendSegment(bangkok(15, 6), segment="s2", title="S2", speakers=("x", "y")),
    adj.AmendSegment(bangkok(15, 6), segment="s2", title=None, speakers=None),
    adj.MoveSegment(bangkok(15, 7), segment="s2", anchor="s3", place="before"),
    adj.RemoveSegment(bangkok(15, 8), segment="s3"),
    adj.ZoomControl(bangkok(15, 9), action="recording.pause"),
]


def test_examples_cover_every_kind():
    assert {type(a) for a in EXAMPLES} == set(KINDS.values())


@pytest.mark.parametrize("action", EXAMPLES, ids=lambda a: a.kind)
def test_adjustment_round_trips_through_json(action):
    stored = json.loads(json.dumps(action.to_dict()))
    assert stored["kind"] == action.kind and stored["at"] == action.at.isoformat()
    back = adj.from_dict(stored)
    assert back == action and type(back) is type(action) and back.at.tzinfo is not None
