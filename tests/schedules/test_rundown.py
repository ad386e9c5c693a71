"""Live rundown edits replayed over a schedule (schedules/rundown.py) and written back (schedules/export.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from schedules.adjustments import AmendSegment, InsertSegment, MoveSegment, RemoveSegment, RetimeSegment, Undo
from schedules.export import export_yaml
from schedules.load import load_text
from schedules.rundown import describe, edited
from schedules.timeline import build_timeline
from tests.conftest import MEKONG, bangkok

SCHEDULE = load_text(MEKONG.read_text(encoding="utf-8"), str(MEKONG))
AT = bangkok(14, 50)
BREAK = InsertSegment(AT, seq=1, segment="break-1", title="Break", seconds=300, anchor="session-2")


def _order(schedule) -> list[tuple[str, str]]:
    rows = build_timeline(schedule).segments
    return [(r.id, r.start.astimezone(ZoneInfo("Asia/Bangkok")).strftime("%H:%M")) for r in rows]


def test_no_edit_is_the_same_schedule_object():
    assert edited(SCHEDULE, []) is SCHEDULE
    assert edited(SCHEDULE, [BREAK, Undo(AT, seq=2, target=1)]) is SCHEDULE  # an undone edit does not count


def test_an_insert_moves_every_later_segment_and_the_event_end():
    rundown = edited(SCHEDULE, [BREAK])
    starts = {r.id: r.start for r in build_timeline(rundown).segments}
    before = {r.id: r.start for r in build_timeline(SCHEDULE).segments}
    assert starts["break-1"] == before["session-2"]
    assert all(starts[s] - before[s] == timedelta(minutes=5) for s in ("session-2", "discussion-3", "closing"))
    assert all(starts[s] == before[s] for s in ("setup", "opening", "session-1", "discussion-1"))
    assert rundown.event.end.strftime("%H:%M") == "17:35"  # type: ignore[union-attr]  # the file sets it


def test_edits_apply_in_order_and_twice_change_nothing():
    edits = [
        BREAK,
        RetimeSegment(AT, seq=2, segment="session-3", seconds=20 * 60),
        MoveSegment(AT, seq=3, segment="session-3", anchor="session-2", place="before"),
        RemoveSegment(AT, seq=4, segment="discussion-2"),
        AmendSegment(AT, seq=5, segment="closing", title="Closing words", speakers=()),
    ]
    rundown = edited(SCHEDULE, edits)
    assert [s.id for s in rundown.segments][4:] == ["break-1", "session-3", "session-2", "discussion-3", "closing"]
    assert rundown.segment("closing").title == "Closing words" and rundown.segment("closing").speakers == []
    assert edited(rundown, edits) == rundown  # idempotent: an edited schedule passes through unchanged
    # Later segments move by each change: +5 (break), -10 (a 20-minute session 3), -30 (removed).
    assert _order(rundown)[-1] == ("closing", "16:40")
    assert describe(rundown, edits[2]) == (
        "Move Session 3: Facilitating return and reintegration before Session 2: Promoting healthy labour mobility"
    )


def test_edits_that_no_longer_apply_are_skipped():
    stale = [
        InsertSegment(AT, seq=1, segment="break-1", title="Break", seconds=300, anchor="gone"),
        RetimeSegment(AT, seq=2, segment="gone", seconds=600),
        MoveSegment(AT, seq=3, segment="session-2", anchor="gone"),
        RemoveSegment(AT, seq=4, segment="gone"),
    ]
    assert edited(SCHEDULE, stale) == SCHEDULE


def test_removing_a_segment_drops_its_reminders_and_cues():
    rundown = edited(SCHEDULE, [RemoveSegment(AT, seq=1, segment="opening")])
    assert "group-photo" not in {c.id for c in rundown.cues}
    assert not [
        c
        for c in build_timeline(SCHEDULE, [RemoveSegment(AT, seq=1, segment="opening")]).cues
        if c.segment == "opening"
    ]


def test_export_round_trips_through_the_loader_with_seconds_and_a_later_day():
    edits = [
        BREAK,
        RetimeSegment(AT, seq=2, segment="session-3", seconds=30 * 60 + 30),  # 30 min 30 s
        InsertSegment(
            AT,
            seq=3,
            segment="session-4",
            title="Late session",
            segment_kind="session",
            seconds=7 * 3600,
            speakers=("nilim-baruah",),
            anchor="closing",
            place="after",
        ),  # runs past midnight
    ]
    text = export_yaml(SCHEDULE, edits, "a note")
    assert text.startswith("# Mekong Dialogue on Labour Mobility: the rundown as edited live (3 edits).\n# a note\n")
    back = load_text(text, "exported.yaml")
    assert back == edited(SCHEDULE, edits)
    assert build_timeline(back).segments[-1].end == build_timeline(SCHEDULE, edits).segments[-1].end
    assert load_text(export_yaml(SCHEDULE), "same.yaml") == SCHEDULE
