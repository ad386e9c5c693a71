"""Every .ics the product writes, read by the parsers calendar apps use, gives the instants of `plan --format json`.

Readers: icalendar (which the product writes with), vobject (dateutil's VTIMEZONE reading) and Mozilla's
ical.js under Node (Thunderbird's parser; tests/js/read_ics.mjs). vobject and ical.js resolve a TZID from
the file's own VTIMEZONE, so a wrong block shows up as a wrong instant. Cases: the Mekong file, both
clock-change examples, and summer-time copies of the Mekong file in Zurich (2026 and 2099, the last year a
schedule may use), with one person in New York so an invite is written in a second zone.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from icalendar import Calendar
from icalendar import Event as VEvent
from typer.testing import CliRunner

import app.cli.schedule_cmds  # noqa: F401  (registers the commands)
from app.cli import app
from app.cli.schedule_cmds import plan_revision
from schedules.invites import invite_ics, invite_part
from schedules.load import load_text
from schedules.model import Role
from schedules.timeline import build_timeline
from schedules.vtimezone import _changes, in_zone_or_utc, vtimezone
from tests.schedules.calendar_readers import read_ical_js, read_icalendar, read_vobject, z
from tests.schedules.conftest import MEKONG, REPO

EXAMPLES = REPO / "schedules" / "events" / "examples"
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _summer(year: int) -> str:
    doc = yaml.safe_load(MEKONG.read_text())
    doc["event"].update(date=f"{year}-06-15", timezone="Europe/Zurich")
    doc["people"][2]["timezone"] = "America/New_York"
    doc["stage"] = {"call_before": {"speaker": "20m", "moderator": "30m"}}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


CASES = {
    "mekong": lambda: MEKONG.read_text(),
    "spring-forward": lambda: (EXAMPLES / "spring-forward-webinar.yaml").read_text(),
    "fall-back": lambda: (EXAMPLES / "fall-back-meeting.yaml").read_text(),
    "zurich-summer-2026": lambda: _summer(2026),
    "zurich-summer-2099": lambda: _summer(2099),
}


def _written(case: str, tmp_path: Path) -> tuple[dict, dict[str, tuple[datetime, datetime]], list[Path]]:
    """plan --format json, the instants each file should hold (by UID), and every .ics written for `case`."""
    text = CASES[case]()
    source = tmp_path / f"{case}.yaml"
    source.write_text(text)
    runner = CliRunner()
    result = runner.invoke(app, ["plan", str(source), "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    agenda = runner.invoke(app, ["plan", str(source), "--format", "ics"])
    assert agenda.exit_code == 0, agenda.output
    files = [tmp_path / "agenda.ics"]
    files[0].write_bytes(agenda.stdout_bytes)
    expected = {
        f"{plan['event']['id']}.{s['id']}@showcaller": (z(s["start"]), z(s["end"]))
        for s in plan["segments"]
        if not s["skipped"]
    }
    schedule = load_text(text, source.name)
    rows = build_timeline(schedule).segments
    # The role's call time: the file's stage.call_before, else the defaults (moderator 30m, speaker 20m).
    calls = {role.value: schedule.stage.call_for(role) for role in Role}
    for person in schedule.people:
        part = invite_part(schedule, rows, person, None, None)
        if part is None:
            continue
        path = tmp_path / f"{person.id}.ics"
        path.write_bytes(invite_ics(schedule, part, 0, STAMP))
        files.append(path)
        # From plan --format json alone: the person's segments, called `call_before` ahead of the first.
        slots = [
            (z(s["start"]) - calls.get(role, timedelta(0)), z(s["end"]))
            for s in plan["segments"]
            if not s["skipped"]
            for role, refs in (("moderator", s["moderators"]), ("speaker", s["speakers"]))
            if person.id in refs
        ]
        if slots:
            assert (part.call, part.end) == (min(a for a, _ in slots), max(b for _, b in slots))
        expected[part.uid] = (part.call, part.end)
    return plan, expected, files


@pytest.mark.parametrize("case", list(CASES))
def test_icalendar_and_vobject_read_the_planned_instants(case, tmp_path):
    _, expected, files = _written(case, tmp_path)
    got_ical, got_vobject = {}, {}
    for path in files:
        got_ical |= read_icalendar(path)
        got_vobject |= read_vobject(path)
    assert got_ical == expected
    assert got_vobject == expected


@pytest.mark.parametrize("case", list(CASES))
def test_ical_js_reads_the_planned_instants(case, tmp_path):
    _, expected, files = _written(case, tmp_path)
    read = read_ical_js(files)
    got = {e["uid"]: (z(e["start"]), z(e["end"])) for f in read.values() for e in f["events"]}
    assert got == expected
    for path in files[1:]:
        [event] = read[str(path)]["events"]
        assert read[str(path)]["method"] == "REQUEST" and event["dtstamp"] == "2026-01-02T03:04:05Z"


ZONES = [
    "Europe/Zurich",
    "America/New_York",  # the rule changed in 2007: the years before are listed one change at a time
    "Australia/Lord_Howe",  # half-hour summer time, southern hemisphere
    "Europe/Dublin",  # "negative" summer time in the zone database
    "America/Santiago",  # changes on the first Sunday on or after the 2nd: no yearly BYDAY rule
    "Pacific/Apia",  # skipped a whole day in 2011, no summer time since 2021
    "Asia/Kathmandu",
]


def _samples(tz: ZoneInfo) -> list[datetime]:
    """Noon in January and July, 90 minutes either side of each change, every third year 2000-2099 (and 2099).

    Every third year: over the century the changes still fall on each weekday position of their month.
    """
    years = {*range(2000, 2100, 3), 2099}
    out = [datetime(y, m, 15, 12, tzinfo=tz).astimezone(UTC) for y in sorted(years) for m in (1, 7)]
    for change in _changes(tz):
        if change.at.year in years:
            out += [change.at - timedelta(minutes=90), change.at + timedelta(minutes=90)]
    return out


@pytest.mark.parametrize("reader", ["vobject", "ical.js"])
def test_vtimezone_blocks_are_right_for_every_year_a_schedule_may_use(reader, tmp_path):
    """Each zone's block, alone in a calendar, read back at noon twice a year and around every change."""
    files, expected = [], {}
    for name in ZONES:
        tz = ZoneInfo(name)
        cal = Calendar()
        cal.add("prodid", "-//Showcaller//test//EN")
        cal.add("version", "2.0")
        block = vtimezone(name, tz)
        assert not any("RDATE" in part for part in block.subcomponents), name
        cal.add_component(block)
        for n, instant in enumerate(_samples(tz)):
            event = VEvent()
            event.add("uid", f"{name}.{n}")
            event.add("dtstamp", STAMP)
            event.add("dtstart", in_zone_or_utc(instant, tz))
            event.add("dtend", in_zone_or_utc(instant + timedelta(minutes=1), tz))
            cal.add_component(event)
            expected[f"{name}.{n}"] = (instant, instant + timedelta(minutes=1))
        path = tmp_path / f"{name.replace('/', '-')}.ics"
        path.write_bytes(cal.to_ical())
        files.append(path)
    if reader == "vobject":
        got = {uid: times for path in files for uid, times in read_vobject(path).items()}
    else:
        read = read_ical_js(files)
        got = {e["uid"]: (z(e["start"]), z(e["end"])) for f in read.values() for e in f["events"]}
    wrong = {uid: (got.get(uid), want) for uid, want in expected.items() if got.get(uid) != want}
    assert not wrong, f"{len(wrong)} of {len(expected)} read wrong, e.g. {list(wrong.items())[:3]}"


def test_zurich_is_two_yearly_rules_as_outlook_writes_them():
    text = vtimezone("Europe/Zurich", ZoneInfo("Europe/Zurich")).to_ical().decode()
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3") == 1
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10") == 1
    assert "RDATE" not in text and text.count("BEGIN:") == 4  # the block, the standing offset, two rules


def test_the_repeated_hour_is_written_in_utc(tmp_path):
    """Kanya's session ends at the second 02:30 of the fall-back night: a TZID would mean the first one."""
    _, expected, files = _written("fall-back", tmp_path)
    kanya = (tmp_path / "kanya-srisuk.ics").read_text()
    assert "DTEND:20261025T013000Z" in kanya
    # Called 20 minutes before her 01:30 slot (a speaker's default call time).
    assert "DTSTART;TZID=Europe/Zurich:20261025T011000" in kanya
    start, end = expected["fall-back-meeting-2026.kanya-srisuk.invite@showcaller"]
    assert end - start == timedelta(minutes=20 + 120)


def test_the_agenda_is_a_publication_of_the_current_revision(tmp_path):
    source = tmp_path / "mekong.yaml"
    source.write_text(MEKONG.read_text())
    revision = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
    os.utime(source, (revision.timestamp(), revision.timestamp()))

    def export() -> Calendar:
        result = CliRunner().invoke(app, ["plan", str(source), "--format", "ics"])
        assert result.exit_code == 0, result.output
        return Calendar.from_ical(result.stdout_bytes)

    before = datetime.now(UTC).replace(microsecond=0)
    cal = export()
    after = datetime.now(UTC)
    assert str(cal["method"]) == "PUBLISH" and "ORGANIZER" not in cal.to_ical().decode()
    events = cal.walk("VEVENT")
    assert len(events) == 9 and not any("ATTENDEE" in e for e in events)
    # Minutes from 2020-01-01 to the file's last change: 2026-03-01 12:00 UTC.
    minutes = (revision.replace(second=0) - datetime(2020, 1, 1, tzinfo=UTC)) // timedelta(minutes=1)
    assert plan_revision(source) == minutes == 3_242_160
    for event in events:
        assert int(event["sequence"]) == minutes
        assert before <= event.decoded("dtstamp") <= after
    assert "Moderators: Pinsuda Alexander" in str(events[1]["description"])
    # An edit makes a newer revision; exporting the unchanged file again does not.
    assert int(export().walk("VEVENT")[0]["sequence"]) == minutes
    source.write_text(MEKONG.read_text().replace('end: "17:30"', 'end: "17:35"', 1))
    os.utime(source, (revision.timestamp() + 3600, revision.timestamp() + 3600))
    assert int(export().walk("VEVENT")[0]["sequence"]) == minutes + 60
    fixed = CliRunner().invoke(app, ["plan", str(source), "--format", "ics", "--sequence", "7"])
    assert all(int(e["sequence"]) == 7 for e in Calendar.from_ical(fixed.stdout_bytes).walk("VEVENT"))
