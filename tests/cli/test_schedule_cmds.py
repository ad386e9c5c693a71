"""The read-only schedule commands: validate, plan (table, json, ics) and schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from icalendar import Calendar

from schedules.schema import schema_text
from tests.cli.conftest import MEKONG, REPO, WEBINAR

BROKEN = "tests/schedules/broken/overlap.yaml"


def test_validate_ok_prints_a_summary(run):
    result = run("validate", MEKONG, WEBINAR)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{MEKONG}: ok (Mekong Dialogue on Labour Mobility, 9 segments, 11 people)",
        f"{WEBINAR}: ok (Mekong Skills Webinar: Recognising Migrant Workers' Skills, 5 segments, 6 people)",
    ]


def test_validate_missing_file_exits_2(run):
    result = run("validate", "no/such/file.yaml")
    assert result.exit_code == 2
    assert "no/such/file.yaml" in result.stderr and "file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_needs_a_file(run):
    assert run("validate").exit_code == 2  # typer's usage error


def _showcaller() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point via -c."""
    script = Path(sys.executable).with_name("showcaller")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


def test_invalid_file_in_a_real_subprocess_exits_2_without_traceback():
    proc = subprocess.run(
        [*_showcaller(), "validate", BROKEN],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"{BROKEN}:14:5: segments[1].start: overlaps 'welcome', which runs until 10:30. Fix: start at 10:30 or later",
        f"{BROKEN}: 1 problem",
    ]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_plan_json_acceptance(run):
    result = run("plan", MEKONG, "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    segments = {s["id"]: s for s in plan["segments"]}
    assert segments["opening"]["start"] == "2022-05-30T07:00:00Z"
    assert segments["opening"]["start_local"] == "2022-05-30T14:00:00+07:00"
    assert segments["closing"]["end"] == "2022-05-30T10:30:00Z"
    assert plan["event"] == {
        "id": "mekong-dialogue-2022",
        "title": "Mekong Dialogue on Labour Mobility",
        "timezone": "Asia/Bangkok",
        "language": "English",
        "date": "2022-05-30",
    }
    assert segments["session-1"]["respondents"] == {
        "count": 2,
        "minutes": 3,
        "slot_minutes": [3, 3],
        "labels": ["respondent to be invited"] * 2,
    }
    assert segments["session-1"]["duration_seconds"] == 30 * 60
    assert segments["session-1"]["clock_change"] is None
    assert len(plan["cues"]) == 38
    assert [c["at"] for c in plan["cues"]] == sorted(c["at"] for c in plan["cues"])


def test_plan_json_in_another_zone(run):
    plan = json.loads(run("plan", MEKONG, "--format", "json", "--tz", "Asia/Yangon").stdout)
    assert plan["timezone"] == "Asia/Yangon"
    assert plan["segments"][1]["start_local"] == "2022-05-30T13:30:00+06:30"
    assert plan["segments"][1]["start"] == "2022-05-30T07:00:00Z"


def test_plan_table_in_yangon_shows_the_opening_at_13_30(run):
    result = run("plan", MEKONG, "--tz", "Asia/Yangon")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "times in Asia/Yangon" in lines[0]
    assert any("13:30-13:45" in line and "Opening remarks" in line for line in lines)
    assert any("13:00-13:30" in line and "Technical set up" in line for line in lines)
    assert "38 planned cues" in result.stdout


def test_plan_table_defaults_to_the_event_zone(run):
    result = run("plan", MEKONG)
    assert "times in Asia/Bangkok" in result.stdout
    assert any("14:00-14:15" in line and "Opening remarks" in line for line in result.stdout.splitlines())


def test_plan_ics_has_one_event_per_segment_with_its_speakers(run):
    result = run("plan", MEKONG, "--format", "ics")
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.stdout_bytes)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 9
    by_uid = {str(e["UID"]): e for e in events}
    opening = by_uid["mekong-dialogue-2022.opening@showcaller"]
    assert opening.decoded("DTSTART").isoformat() == "2022-05-30T07:00:00+00:00"
    description = str(opening["DESCRIPTION"])
    assert "Speakers: Mr. Chuop Narath, Deputy Director General" in description
    assert "Alfredo Perdiguero" in description
    # A publication (METHOD:PUBLISH) names people in the description; ATTENDEEs belong to invites only.
    assert str(calendar["METHOD"]) == "PUBLISH" and "ATTENDEE" not in opening
    session = by_uid["mekong-dialogue-2022.session-1@showcaller"]
    assert "Respondents: 2 x 3 min" in str(session["DESCRIPTION"])
    assert "Nilim Baruah" in str(session["DESCRIPTION"])
    assert "DESCRIPTION" not in by_uid["mekong-dialogue-2022.setup@showcaller"]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Asia/Bankok", "../../etc/passwd", "[/bold]"])
def test_plan_unknown_zone_exits_2_with_a_clear_message(run, zone):
    result = run("plan", MEKONG, "--tz", zone)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"--tz: unknown time zone '{zone}'. Fix: use an IANA name such as Asia/Yangon")
    assert result.stdout == ""


def test_plan_invalid_file_exits_2(run):
    result = run("plan", BROKEN)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{BROKEN}:14:5: segments[1].start: overlaps")
    assert result.stdout == ""


def test_plan_unknown_format_is_a_usage_error(run):
    result = run("plan", MEKONG, "--format", "pdf")
    assert result.exit_code == 2
    assert "pdf" in result.output


def test_schema_prints_the_json_schema(run):
    result = run("schema")
    assert result.exit_code == 0
    assert result.stdout == schema_text()
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"event", "segments", "zoom"} <= set(schema["properties"])


def test_schema_write_updates_the_file(run, monkeypatch, tmp_path):
    target = tmp_path / "schedule.schema.json"
    target.write_text("{}", encoding="utf-8")
    monkeypatch.setattr("app.cli.schedule_cmds.SCHEMA_PATH", target)
    result = run("schema", "--write")
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert str(target) in result.stdout


def test_titles_are_printed_verbatim_never_as_markup(run, tmp_path):
    text = (REPO / MEKONG).read_text(encoding="utf-8")
    text = text.replace("title: Opening remarks", 'title: "[b]Q&A[/x]"')
    (tmp_path / "draft.yaml").write_text(text, encoding="utf-8")
    result = run("plan", str(tmp_path / "draft.yaml"))
    assert result.exit_code == 0, result.output
    assert any("14:00-14:15" in line and "[b]Q&A[/x]" in line for line in result.stdout.splitlines())
    assert "Now: [b]Q&A[/x]" in result.stdout


def test_plan_lists_the_webinar_panelists(run):
    plan = json.loads(run("plan", WEBINAR, "--format", "json").stdout)
    assert [p["id"] for p in plan["panelists"]] == ["somchai-phan", "dara-keo", "lina-marsh", "noy-vongsa"]
    assert plan["panelists"][0]["email"] == "somchai.phan@example.org"
    table = run("plan", WEBINAR).stdout
    assert (
        "Panelists (4, roles: [panelist] plus zoom.panelists): Somchai Phan, Dara Keo, Lina Marsh, Noy Vongsa"
    ) in table
    assert json.loads(run("plan", MEKONG, "--format", "json").stdout)["panelists"] == []
