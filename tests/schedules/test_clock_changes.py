"""Clock changes, time order and per-slot minutes: what the zone database says, not hand-written offsets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from typer.testing import CliRunner

import app.cli.schedule_cmds  # noqa: F401  (registers the commands)
from app.cli import app
from schedules.clock import change_between, read_local, wall
from schedules.load import load_file, load_text
from schedules.problems import ScheduleError
from schedules.timeline import build_timeline
from tests.schedules.conftest import MEKONG, REPO

EXAMPLES = REPO / "schedules" / "events" / "examples"
SPRING = EXAMPLES / "spring-forward-webinar.yaml"
FALL = EXAMPLES / "fall-back-meeting.yaml"
ZURICH = ZoneInfo("Europe/Zurich")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_read_local_classifies_from_the_zone_database():
    assert read_local(datetime(2026, 3, 29, 2, 30), ZURICH).kind == "gap"
    assert read_local(datetime(2026, 10, 25, 2, 30), ZURICH).kind == "ambiguous"
    ok = read_local(datetime(2026, 3, 29, 3, 30), ZURICH)
    assert (ok.kind, ok.instant) == ("ok", z("2026-03-29T01:30:00Z"))
    # Zones without clock changes never report one.
    assert read_local(datetime(2026, 3, 29, 2, 30), ZoneInfo("Asia/Bangkok")).kind == "ok"


def test_change_between_finds_the_instant_to_the_second():
    assert change_between(ZURICH, z("2026-03-29T00:00:00Z"), z("2026-03-29T03:00:00Z")) == (
        z("2026-03-29T01:00:00Z"),
        timedelta(hours=1),
        timedelta(hours=2),
    )
    # A segment that ends exactly when the clocks change does not span it.
    assert change_between(ZURICH, z("2026-03-29T00:00:00Z"), z("2026-03-29T01:00:00Z")) is None
    assert wall(z("2026-10-25T00:30:00Z"), ZURICH) == "02:30+02:00"
    assert wall(z("2026-10-25T01:30:00Z"), ZURICH) == "02:30+01:00"


def _plan(path) -> dict:
    result = CliRunner().invoke(app, ["plan", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


EXPECTED = {
    SPRING: [
        ("setup", "2026-03-29T00:15:00Z", "2026-03-29T00:30:00Z", 15),
        ("opening", "2026-03-29T00:30:00Z", "2026-03-29T00:45:00Z", 15),
        ("session-1", "2026-03-29T00:45:00Z", "2026-03-29T01:45:00Z", 60),
        ("discussion", "2026-03-29T01:45:00Z", "2026-03-29T02:15:00Z", 30),
        ("closing", "2026-03-29T02:15:00Z", "2026-03-29T02:30:00Z", 15),
    ],
    FALL: [
        ("setup", "2026-10-24T23:00:00Z", "2026-10-24T23:30:00Z", 30),
        ("session-1", "2026-10-24T23:30:00Z", "2026-10-25T01:30:00Z", 120),
        ("discussion", "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z", 30),
        ("closing", "2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z", 15),
    ],
}


@pytest.mark.parametrize("path", [SPRING, FALL], ids=["spring-forward", "fall-back"])
def test_plan_json_gives_utc_instants_and_real_durations(path):
    plan = _plan(path)
    got = [(s["id"], s["start"], s["end"], s["duration_seconds"] // 60) for s in plan["segments"]]
    assert got == EXPECTED[path]
    changes = {s["id"]: s["clock_change"] for s in plan["segments"] if s["clock_change"]}
    assert list(changes) == ["session-1"]
    if path is SPRING:
        assert changes["session-1"] == {
            "at": "2026-03-29T01:00:00Z",
            "from": "+01:00",
            "to": "+02:00",
            "text": "clocks go forward 1h at 02:00 (02:00 -> 03:00)",
        }
    else:
        assert changes["session-1"] == {
            "at": "2026-10-25T01:00:00Z",
            "from": "+02:00",
            "to": "+01:00",
            "text": "clocks go back 1h at 03:00 (03:00 -> 02:00)",
        }


@pytest.mark.parametrize("path", [SPRING, FALL], ids=["spring-forward", "fall-back"])
def test_ics_agrees_with_json(path):
    plan = _plan(path)
    result = CliRunner().invoke(app, ["plan", str(path), "--format", "ics"])
    calendar = Calendar.from_ical(result.stdout_bytes)
    events = {str(e["uid"]).split(".")[1].split("@")[0]: e for e in calendar.walk("VEVENT")}
    for seg in plan["segments"]:
        event = events[seg["id"]]
        assert event.decoded("dtstart").astimezone(UTC) == z(seg["start"])
        assert event.decoded("dtend").astimezone(UTC) == z(seg["end"])


def test_plan_table_shows_real_lengths_and_marks_the_change():
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["plan", str(SPRING)])
    assert "01:45-03:45 *" in result.stdout and "│ 1h " in result.stdout
    assert (
        "* Recognising skills: two countries: clocks go forward 1h at 02:00 (02:00 -> 03:00); "
        "the length is real elapsed time"
    ) in result.stdout
    fall = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["plan", str(FALL)]).stdout
    # The repeated 02:30 is told apart by its offset, written so a minus sign cannot read as a range.
    assert "01:30 to 02:30 UTC+1 *" in fall and "02:30 UTC+1 to 03:00" in fall


def test_cues_in_the_examples_land_on_real_instants():
    spring = {c.id: c.at for c in build_timeline(load_file(SPRING)).cues}
    assert spring["reminder/clock-change"] == z("2026-03-29T01:00:00Z")
    # Per-slot minutes: the 5-minute respondent, then the default 3, closing session 1 at 01:45Z.
    assert spring["respondent_slot/session-1/2"] == z("2026-03-29T01:42:00Z")
    assert spring["respondent_slot/session-1/1"] == z("2026-03-29T01:37:00Z")
    fall = {c.id: c.at for c in build_timeline(load_file(FALL)).cues}
    assert fall["reminder/first-two-thirty"] == z("2026-10-25T00:30:00Z")


def test_per_slot_minutes_drive_timers_messages_and_the_fit_check():
    schedule = load_file(SPRING)
    respondents = schedule.segment("session-1").respondents
    assert [respondents.slot_seconds(n) for n in (1, 2)] == [300, 180]
    assert respondents.summary() == "5 + 3 min" and respondents.total_minutes() == 8
    cues = {c.id: c for c in build_timeline(schedule).cues}
    assert "has 5 minutes" in cues["respondent_slot/session-1/1"].message
    assert "Respondents: 5 + 3 min" in cues["segment_start/session-1"].message
    text = SPRING.read_text().replace("minutes: 5           #", "minutes: 58          #")
    with pytest.raises(ScheduleError, match=r"58 \+ 3 min = 61 min of respondents do not fit in a 60 min segment"):
        load_text(text, "s.yaml")


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(9)))
def test_timeline_is_built_in_time_order_whatever_the_file_order(order):
    mekong = load_file(MEKONG)
    shuffled = mekong.model_copy(update={"segments": [mekong.segments[i] for i in order]})
    expected, got = build_timeline(mekong), build_timeline(shuffled)
    assert [s.id for s in got.segments] == [s.id for s in expected.segments]
    assert [s.start for s in got.segments] == sorted(s.start for s in got.segments)
    assert [(c.id, c.at, c.message) for c in got.cues] == [(c.id, c.at, c.message) for c in expected.cues]
    # Each row still points at its own segment in the (shuffled) file.
    assert all(shuffled.segments[row.index].id == row.id for row in got.segments)
