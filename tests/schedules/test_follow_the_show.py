"""Stage messages and timers follow the show: a message goes with its segment (unless kept until
cleared) or when it expires, never shows on the END screen; a segment's timer stops when the show
leaves the segment (unless kept). All pure: schedule + run log + now."""

from __future__ import annotations

from datetime import timedelta

from schedules.adjustments import Advance, EndEvent, Hold, StageClear, StageMessage, TimerStart, TimerStop, Undo
from schedules.model import CueKind
from schedules.stage import message_until, stage_message
from schedules.timeline import build_timeline
from schedules.timers import TimerStatus
from tests.schedules.conftest import bangkok

WRAP_UP = StageMessage(bangkok(14, 40), seq=1, text="Please wrap up", flash=True)


def shown(schedule, actions, now):
    return stage_message(actions, build_timeline(schedule, actions, now), now)


def test_a_message_goes_when_its_segment_ends(mekong):
    # Sent during Session 1 (14:15-14:45): gone at 14:45 when the open discussion starts.
    assert shown(mekong, [WRAP_UP], bangkok(14, 44, 59)) == WRAP_UP
    assert shown(mekong, [WRAP_UP], bangkok(14, 45)) is None
    assert message_until(WRAP_UP, build_timeline(mekong, [WRAP_UP])) == bangkok(14, 45)
    # Without the timeline the old reading stays: the last message not cleared.
    assert stage_message([WRAP_UP]) == WRAP_UP


def test_an_early_advance_takes_the_message_with_it(mekong):
    actions = [WRAP_UP, Advance(bangkok(14, 41), seq=2)]
    assert shown(mekong, actions, bangkok(14, 40, 59)) == WRAP_UP
    assert shown(mekong, actions, bangkok(14, 41)) is None


def test_until_cleared_stays_into_the_next_segment_but_not_on_the_end_screen(mekong):
    kept = StageMessage(bangkok(14, 40), seq=1, text="Mics on mute", until_cleared=True)
    assert shown(mekong, [kept], bangkok(15, 30)) == kept
    assert message_until(kept, build_timeline(mekong, [kept])) is None
    assert shown(mekong, [kept, StageClear(bangkok(15, 31), seq=2)], bangkok(15, 31)) is None
    ended = [kept, EndEvent(bangkok(16, 0), seq=2)]
    assert shown(mekong, ended, bangkok(15, 59)) == kept
    assert shown(mekong, ended, bangkok(16, 0)) is None  # the END screen never shows an old message
    assert shown(mekong, [kept], bangkok(17, 30)) is None  # nor after the natural end


def test_a_message_expires_after_its_seconds(mekong):
    short = StageMessage(bangkok(14, 40), seq=1, text="30 seconds", expires_after=30)
    assert shown(mekong, [short], bangkok(14, 40, 29)) == short
    assert shown(mekong, [short], bangkok(14, 40, 30)) is None
    # Kept until cleared, it still expires; the segment's end comes first otherwise.
    long = StageMessage(bangkok(14, 40), seq=1, text="x", until_cleared=True, expires_after=3600)
    assert message_until(long, build_timeline(mekong, [long])) == bangkok(15, 40)
    late = StageMessage(bangkok(14, 40), seq=1, text="x", expires_after=3600)
    assert message_until(late, build_timeline(mekong, [late])) == bangkok(14, 45)


def test_a_held_segment_keeps_its_message(mekong):
    actions = [Hold(bangkok(14, 39), seq=1), StageMessage(bangkok(14, 40), seq=2, text="Please wrap up")]
    assert shown(mekong, actions, bangkok(14, 50)).text == "Please wrap up"
    moved_on = [*actions, Advance(bangkok(14, 52), seq=3)]
    assert shown(mekong, moved_on, bangkok(14, 51, 59)).text == "Please wrap up"
    assert shown(mekong, moved_on, bangkok(14, 52)) is None


def test_a_message_before_the_start_goes_when_the_first_segment_starts(mekong):
    early = StageMessage(bangkok(13, 20), seq=1, text="Cameras on")
    assert shown(mekong, [early], bangkok(13, 29)) == early
    assert shown(mekong, [early], bangkok(13, 30)) is None


def test_undoing_a_message_shows_the_one_before_if_it_still_belongs(mekong):
    first = StageMessage(bangkok(14, 40), seq=1, text="Please wrap up")
    second = StageMessage(bangkok(14, 41), seq=2, text="Time is up")
    actions = [first, second, Undo(bangkok(14, 41, 30), seq=3, target=2)]
    assert shown(mekong, actions, bangkok(14, 42)) == first


# -- timers ---------------------------------------------------------------------------------------


def respondent(at, timer_id="t1", keep=False, segment="session-1"):
    return TimerStart(at, timer_id=timer_id, seconds=226, segment=segment, slot=1, label="Respondent 1", keep=keep)


def test_a_respondent_timer_stops_when_the_show_jumps_away(mekong):
    # The report: a respondent's 3:46 kept counting after a jump to the open discussion.
    actions = [respondent(bangkok(14, 40)), Advance(bangkok(14, 41), seq=2, to="discussion-1")]
    timeline = build_timeline(mekong, actions, now=bangkok(14, 41, 30))
    (timer,) = timeline.timers
    assert timer.status is TimerStatus.stopped and timer.stopped_at == bangkok(14, 41)
    assert timeline.state_at(bangkok(14, 41, 30)).timers == []
    # Nothing of it is planned after the jump: no warning, danger or time-up into the discussion.
    kinds = {c.kind for c in timeline.cues if c.data.get("timer") == "t1"}
    assert kinds == set()
    # Before the jump it ran.
    before = build_timeline(mekong, actions[:1], now=bangkok(14, 41))
    assert before.timers[0].status is TimerStatus.running
    assert {c.kind for c in before.cues if c.data.get("timer") == "t1"} >= {CueKind.timer_up}


def test_a_timer_does_not_plan_cues_past_the_end_of_its_segment(mekong):
    # Started at 14:43 with 3:46 in a segment ending at 14:45: only what falls before 14:45.
    timeline = build_timeline(mekong, [respondent(bangkok(14, 43))], now=bangkok(14, 43))
    assert [c.kind for c in timeline.cues if c.data.get("timer") == "t1"] == [CueKind.timer_start]
    after = build_timeline(mekong, [respondent(bangkok(14, 43))], now=bangkok(14, 45))
    assert after.timers[0].stopped_at == bangkok(14, 45)


def test_a_kept_timer_runs_on_into_the_next_segment(mekong):
    actions = [respondent(bangkok(14, 40), keep=True), Advance(bangkok(14, 41), seq=2, to="discussion-1")]
    timeline = build_timeline(mekong, actions, now=bangkok(14, 42))
    (timer,) = timeline.timers
    assert timer.status is TimerStatus.running and timer.ends_at == bangkok(14, 43, 46)
    assert {c.kind for c in timeline.cues if c.data.get("timer") == "t1"} >= {CueKind.timer_up}


def test_a_timer_of_no_respondent_slot_or_stopped_sooner_is_left_alone(mekong):
    free = TimerStart(bangkok(14, 44), timer_id="q", seconds=600, label="Q&A")
    panel = TimerStart(bangkok(14, 44), seq=1, timer_id="p", seconds=600, label="Panel", segment="session-1")
    free_timeline = build_timeline(mekong, [free, panel], now=bangkok(14, 50))
    assert [t.status for t in free_timeline.timers] == [TimerStatus.running, TimerStatus.running]
    assert {c.kind for c in free_timeline.cues if c.data.get("timer") == "p"} >= {CueKind.timer_up}
    stopped = [respondent(bangkok(14, 40)), TimerStop(bangkok(14, 42), seq=2, timer_id="t1")]
    assert build_timeline(mekong, stopped, now=bangkok(15, 0)).timers[0].stopped_at == bangkok(14, 42)


def test_a_held_segment_keeps_its_timer_running(mekong):
    actions = [Hold(bangkok(14, 39), seq=1), respondent(bangkok(14, 44))]
    timeline = build_timeline(mekong, actions, now=bangkok(14, 47))
    assert timeline.timers[0].status is TimerStatus.running
    assert timeline.timers[0].ends_at == bangkok(14, 44) + timedelta(seconds=226)
