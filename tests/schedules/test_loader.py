"""The loader: YAML quirks, marks, repair of partial files, and the time notations."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules.durations import format_duration, parse_clock, parse_duration
from schedules.load import load_file, load_text
from schedules.problems import ScheduleError
from schedules.source import parse_yaml

HEAD = """version: 1
event:
  id: demo
  title: Demo
  date: 2024-03-01
  timezone: Europe/Paris
"""
SEGMENTS = """segments:
  - &first
    id: one
    title: One
    kind: session
    start: "10:00"
    end: "10:30"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "f.yaml")
    return caught.value.render().splitlines()[:-1]


def test_merge_keys_are_honoured_and_explicit_keys_win():
    schedule = load_text(
        HEAD
        + SEGMENTS
        + """  - <<: *first
    id: two
    start: "10:30"
    end: "11:00"
"""
    )
    two = schedule.segment("two")
    assert (two.title, two.kind.value, two.start, two.end) == (
        "One",
        "session",
        time(10, 30),
        time(11),
    )


def test_duplicate_keys_are_reported_not_silently_overwritten():
    assert problems(HEAD + SEGMENTS + '    end: "10:45"\n') == [
        "f.yaml:14:5: segments[0].end: duplicate key 'end' (first at line 13). "
        "Fix: keep only one; YAML would silently use the last"
    ]


def test_unquoted_times_read_as_base_60_still_mean_the_clock():
    schedule = load_text(HEAD + SEGMENTS.replace('"10:00"', "14:15").replace('"10:30"', "14:45"))
    assert (schedule.segments[0].start, schedule.segments[0].end) == (time(14, 15), time(14, 45))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: !!python/object:os.system 1\n",
            "f.yaml:1:10: version: cannot read this value: "
            "could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object:os.system'. Fix: remove the !tag or quote the value",
        ),
        (
            "? [a, b]\n: c\n",
            "f.yaml:1:3: (file): a list or mapping cannot be a key. "
            "Fix: keys are field names: check spelling and indentation",
        ),
        (
            "3: x\n",
            "f.yaml:1:1: (file): key '3' is a number, not a field name. "
            "Fix: keys are field names: check spelling and indentation",
        ),
        (
            "a: 1\n---\nb: 2\n",
            "f.yaml:2:1: (file): not valid YAML: but found another document "
            "(expected a single document in the stream at line 1). "
            "Fix: check indentation, colons and quotes around this line",
        ),
    ],
)
def test_yaml_that_would_crash_a_plain_loader_becomes_a_problem(text, expected):
    assert problems(text) == [expected]


def test_marks_point_at_keys_and_list_items():
    _, marks = parse_yaml(HEAD + SEGMENTS, "f.yaml")
    assert marks[("event", "timezone")] == (6, 3)
    assert marks[("segments", 0)] == (8, 5)
    assert marks[("segments", 0, "end")] == (13, 5)


def test_cross_field_rules_still_run_when_event_fields_are_invalid():
    text = HEAD.replace("id: demo", "id: Not An Id") + SEGMENTS + "    speakers: [ghost]\n"
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith("f.yaml:3:3: event.id: 'Not An Id' is not a valid id")
    assert found[1].startswith("f.yaml:14:16: segments[0].speakers[0]: unknown person 'ghost'")


def test_rule_problems_keep_the_files_indexes_after_a_broken_item_is_dropped():
    text = (
        HEAD
        + """segments:
  - id: broken
    start: "09:00"
  - id: one
    title: One
    start: "10:00"
    end: "10:30"
  - id: two
    title: Two
    start: "10:15"
    end: "10:45"
"""
    )
    found = problems(text)
    # The broken item is dropped for the cross-field rules; the overlap still names segments[2].
    assert len(found) == 2
    assert found[0] == "f.yaml:8:5: segments[0].title: required field 'title' is missing. Fix: add `title:`"
    assert found[1].startswith("f.yaml:16:5: segments[2].start: overlaps 'one', which runs until 10:30")


def test_iso_datetimes_with_their_own_offset(tmp_path):
    path = tmp_path / "iso.yaml"
    path.write_text(HEAD + SEGMENTS.replace('"10:00"', '"2024-03-01T09:00:00+00:00"'), encoding="utf-8")
    schedule = load_file(path)
    assert schedule.segments[0].start == datetime(2024, 3, 1, 9, tzinfo=UTC)


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScheduleError, match="save it as UTF-8"):
        load_file(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("3m", timedelta(minutes=3)),
        ("1h30m", timedelta(minutes=90)),
        ("-3m", timedelta(minutes=-3)),
        ("2min", timedelta(minutes=2)),
        (15, timedelta(minutes=15)),
        (" 1h 5s ", timedelta(hours=1, seconds=5)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "m", "3x", "1.5m", True, [3]])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@given(st.integers(-10 * 3600, 10 * 3600))
def test_duration_format_round_trips(seconds):
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("14:15", time(14, 15)),
        ("9:05", time(9, 5)),
        (855, time(14, 15)),
        (0, time(0, 0)),
        ("2022-05-30T14:00:00+07:00", datetime.fromisoformat("2022-05-30T14:00:00+07:00")),
    ],
)
def test_parse_clock(value, expected):
    assert parse_clock(value) == expected


@pytest.mark.parametrize("value", ["24:00", "7pm", 1440, "14:60", True])
def test_parse_clock_rejects(value):
    with pytest.raises(ValueError, match="not a time"):
        parse_clock(value)
