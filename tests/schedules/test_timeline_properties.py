"""Timeline properties that hold for any valid schedule and any sequence of host actions."""

from __future__ import annotations

import random
from datetime import timedelta

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules.load import load_text
from schedules.model import CueKind
from schedules.rules import check_rules
from schedules.timeline import build_timeline
from tests.schedules.strategies import NON_SKIPPING, adjustment_list, schedule_data, schedules

PROFILE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Cue kinds that exist whatever a delay does (ending-soon needs the segment to stay long enough).
STABLE_KINDS = {
    CueKind.segment_start,
    CueKind.segment_end,
    CueKind.respondent_slot,
    CueKind.readiness_check,
    CueKind.reminder,
}


@st.composite
def scenario(draw, kinds=None):
    schedule = draw(schedules)
    actions = draw(adjustment_list(schedule, kinds) if kinds else adjustment_list(schedule))
    return schedule, actions


@PROFILE
@given(schedule_data())
def test_generated_schedules_pass_every_rule(data):
    # Guards the generator itself: properties below would be vacuous on invalid input.
    schedule = load_text(yaml.safe_dump(data, sort_keys=False), "generated.yaml")
    assert check_rules(schedule) == []


@PROFILE
@given(scenario())
def test_cues_are_sorted_and_ids_unique(case):
    schedule, actions = case
    cues = build_timeline(schedule, actions).cues
    assert all(a.at <= b.at for a, b in zip(cues, cues[1:], strict=False))
    ids = [c.id for c in cues]
    assert len(ids) == len(set(ids))
    assert all(c.at.utcoffset() == timedelta(0) for c in cues)


@PROFILE
@given(scenario(), st.randoms(use_true_random=False))
def test_same_inputs_give_identical_ids_and_times(case, rnd: random.Random):
    schedule, actions = case
    first = build_timeline(schedule, actions)
    shuffled = list(actions)
    rnd.shuffle(shuffled)  # the log order does not matter: (at, seq) does
    again = build_timeline(schedule.model_copy(deep=True), shuffled)
    assert [(c.id, c.at, c.kind, c.targets, c.held) for c in first.cues] == [
        (c.id, c.at, c.kind, c.targets, c.held) for c in again.cues
    ]
    assert first.segments == again.segments


@PROFILE
@given(scenario(NON_SKIPPING))
def test_segment_cue_ids_do_not_depend_on_delays(case):
    schedule, actions = case
    planned = build_timeline(schedule)
    adjusted = build_timeline(schedule, actions)
    assert not any(s.skipped for s in adjusted.segments)
    stable = lambda tl: {c.id for c in tl.cues if c.kind in STABLE_KINDS}  # noqa: E731
    assert stable(adjusted) == stable(planned)
    soon = {c.id for c in adjusted.cues if c.kind is CueKind.segment_ending_soon}
    long_enough = {f"segment_ending_soon/{s.id}" for s in adjusted.segments if s.duration > schedule.run.ending_soon}
    assert soon == long_enough


@PROFILE
@given(scenario())
def test_active_segments_never_overlap(case):
    schedule, actions = case
    timeline = build_timeline(schedule, actions)
    active = [s for s in timeline.segments if not s.skipped]
    assert all(s.end >= s.start for s in active)
    for before, after in zip(active, active[1:], strict=False):
        assert before.end <= after.start, (before, after)


@PROFILE
@given(scenario())
def test_flexible_segments_never_shrink_below_their_floor(case):
    schedule, actions = case
    timeline = build_timeline(schedule, actions)
    last_action = max((a.at for a in actions), default=None)
    for row in timeline.segments:
        segment = schedule.segments[row.index]
        # Only segments no action touched directly: a host may always cut the live one short.
        if row.skipped or not segment.flexible or (last_action is not None and row.start <= last_action):
            continue
        floor = segment.min_duration or (row.planned_end - row.planned_start) / 2
        assert row.duration >= floor, row


@PROFILE
@given(scenario(("delay", "advance", "jump")))
def test_flexible_segments_never_grow_beyond_their_ceiling(case):
    # The early/late budget: an early show ends early (run.early: end_early) or grows a flexible
    # segment up to its max_duration (absorb), never by whatever was skipped. One move, so that
    # the segments after it are many and untouched.
    schedule, actions = case
    actions = sorted(actions, key=lambda a: (a.at, a.seq))[:1]
    timeline = build_timeline(schedule, actions)
    last_action = max((a.at for a in actions), default=None)
    for row in timeline.segments:
        segment = schedule.segments[row.index]
        if row.skipped or not segment.flexible or (last_action is not None and row.start <= last_action):
            continue
        planned = row.planned_end - row.planned_start
        ceiling = (segment.max_duration or planned) if schedule.run.early == "absorb" else planned
        assert row.duration <= ceiling, (row, schedule.run.early, segment.max_duration)


@PROFILE
@given(scenario())
def test_state_at_is_consistent_with_the_segments(case):
    schedule, actions = case
    timeline = build_timeline(schedule, actions)
    for row in timeline.segments:
        if row.skipped or row.duration <= timedelta(0) or timeline.held_segment is not None:
            continue
        if timeline.ended_at is not None and row.start >= timeline.ended_at:
            continue
        state = timeline.state_at(row.start)
        assert state.status == "live" and state.current == row
        assert state.elapsed == timedelta(0) and state.remaining == row.duration


@PROFILE
@given(schedules)
def test_any_valid_schedule_round_trips_through_yaml(schedule):
    text = yaml.safe_dump(schedule.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True)
    assert load_text(text, "round-trip.yaml") == schedule
