"""Chapters of a recording (issue 29 item 4): offsets follow what really ran, with pauses cut out.

Properties on generated agendas and pauses: the first chapter is at 0, chapters are in order, their
lengths add up to the video's, and each offset is the time since the recording started minus the
paused time before it. And on the Mekong timeline: a jump and an undo give the chapters of what ran,
not of the plan; a break paused gives offsets without the pause.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.adjustments import Advance, Undo
from schedules.chapters import (
    PAUSED,
    RESUMED,
    STARTED,
    STOPPED,
    Run,
    Take,
    chapters,
    runs_of,
    takes,
    webvtt,
    youtube_list,
)
from schedules.timeline import build_timeline
from tests.schedules.conftest import bangkok

T0 = datetime(2022, 5, 30, 7, 0, tzinfo=UTC)


def _paused_before(take: Take, moment: datetime) -> timedelta:
    """Paused time of `take` between its start and `moment`."""
    gaps = list(zip([s[1] for s in take.spans], [s[0] for s in take.spans[1:]], strict=False))
    return sum((max(timedelta(0), min(b, moment) - a) for a, b in gaps if a < moment), timedelta(0))


@st.composite
def agendas(draw):
    lengths = draw(st.lists(st.integers(min_value=30, max_value=3600), min_size=1, max_size=10))
    runs, at = [], T0
    for n, seconds in enumerate(lengths):
        runs.append(Run(f"s{n}", f"Segment {n}", at, at + timedelta(seconds=seconds)))
        at += timedelta(seconds=seconds)
    total = int((at - T0).total_seconds())
    lead = draw(st.integers(min_value=0, max_value=total - 1))
    cuts = sorted(set(draw(st.lists(st.integers(min_value=lead + 1, max_value=total), max_size=8))))
    if len(cuts) % 2:  # pause, resume, pause, resume...; an odd one left is the stop
        cuts = cuts[:-1]
    events = [(STARTED, T0 + timedelta(seconds=lead))]
    for k, cut in enumerate(cuts):
        events.append((PAUSED if k % 2 == 0 else RESUMED, T0 + timedelta(seconds=cut)))
    events.append((STOPPED, at))
    return runs, events


@settings(max_examples=200, deadline=None)
@given(agendas())
def test_offsets_are_recorded_time_with_pauses_removed(agenda):
    runs, events = agenda
    [take] = takes(events)
    found = chapters(take, runs)
    assert sum((c.length for c in found), timedelta(0)) == take.length
    if not found:
        return
    assert found[0].offset == timedelta(0)
    assert [c.offset for c in found] == sorted(c.offset for c in found)
    assert all(c.length > timedelta(0) for c in found)
    by_segment = {r.segment: r for r in runs}
    for chapter in found[1:]:
        run = by_segment[chapter.segment]
        expected = (run.start - take.started) - _paused_before(take, run.start)
        assert chapter.offset == expected
    if len(take.spans) == 1:  # no pause: the wall clock since the start
        for chapter in found[1:]:
            assert chapter.offset == by_segment[chapter.segment].start - take.started
    lines = youtube_list(take, found).splitlines()
    assert len(lines) == len(found) and lines[0].split(" ", 1)[0] in ("00:00", "0:00:00")


def test_a_jump_and_an_undo_give_the_chapters_of_what_ran(mekong):
    actions = [
        Advance(bangkok(14, 30), 1, to="session-2"),  # session-1 cut short, discussion-1 skipped
        Advance(bangkok(15, 0), 2),  # ... a mistake,
        Undo(bangkok(15, 1), 3, target=2),  # undone: session-2 runs on as planned
    ]
    timeline = build_timeline(mekong, actions)
    titles = {s.id: s.title for s in mekong.segments}
    runs = runs_of(titles, timeline.segments, bangkok(17, 30))
    [take] = takes([(STARTED, bangkok(14, 0)), (STOPPED, timeline.segments[-1].end)])
    found = chapters(take, runs)
    assert [c.segment for c in found][:3] == ["opening", "session-1", "session-2"]
    assert "discussion-1" not in [c.segment for c in found]
    assert "setup" not in [c.segment for c in found]  # before the recording
    offsets = {c.segment: c.offset for c in found}
    assert offsets["session-1"] == timedelta(minutes=15)
    assert offsets["session-2"] == timedelta(minutes=30)  # the jump, to the second
    assert youtube_list(take, found).splitlines()[:3] == [
        "0:00:00 Opening remarks",
        "0:15:00 Session 1: Preparing for safe migration",
        "0:30:00 Session 2: Promoting healthy labour mobility",
    ]


def test_a_paused_break_gives_offsets_without_the_pause(mekong):
    timeline = build_timeline(mekong)
    titles = {s.id: s.title for s in mekong.segments}
    runs = runs_of(titles, timeline.segments, bangkok(17, 30))
    d2 = timeline.segment("discussion-2")
    events = [(STARTED, bangkok(14, 0)), (PAUSED, d2.start), (RESUMED, d2.end), (STOPPED, bangkok(17, 30))]
    [take] = takes(events)
    found = {c.segment: c for c in chapters(take, runs)}
    assert "discussion-2" not in found  # entirely in the pause: no chapter
    assert found["session-3"].offset == (timeline.segment("session-3").start - bangkok(14, 0)) - (d2.end - d2.start)
    assert take.length == timedelta(hours=3, minutes=30) - (d2.end - d2.start)
    vtt = webvtt(list(found.values()))
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:15:00.000\nOpening remarks\n")
