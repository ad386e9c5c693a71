"""Call times: each role has a default (moderator 30m, speaker 20m, respondent 15m before their slot),
the file overrides it per role (stage.call_before) and per person (people[].call_before); plan,
invites and run sheets all say the same time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml
from typer.testing import CliRunner

import app.cli.schedule_cmds  # noqa: F401  (registers the commands on the app)
from app.cli import app
from app.stage.runsheet import runsheet_html
from schedules.invites import invite_part
from schedules.load import load_text
from schedules.model import Role
from schedules.problems import ScheduleError
from schedules.timeline import build_timeline
from tests.schedules.conftest import MEKONG

# Mekong (Asia/Bangkok): both moderators and two speakers open session 1 at 14:00; Nilim Baruah
# speaks from 14:15.
MODERATOR, SPEAKER, LATER_SPEAKER = "pinsuda-alexander", "chuop-narath", "nilim-baruah"


def _mekong(stage: dict | None = None, **people: str):
    doc = yaml.safe_load(MEKONG.read_text())
    if stage is not None:
        doc["stage"] = {"call_before": stage}
    for person in doc["people"]:
        if person["id"] in people:
            person["call_before"] = people[person["id"]]
    return doc


def _bangkok(doc: dict) -> dict[str, str]:
    from zoneinfo import ZoneInfo

    schedule = load_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "mekong.yaml")
    rows = build_timeline(schedule).segments
    zone = ZoneInfo("Asia/Bangkok")
    return {
        p.id: f"{part.call.astimezone(zone):%H:%M}"
        for p in schedule.people
        if (part := invite_part(schedule, rows, p, None, None)) is not None
    }


def test_each_role_has_a_default_call_time() -> None:
    calls = _bangkok(_mekong())
    assert calls[MODERATOR] == "13:30"  # 30 min before 14:00
    assert calls[SPEAKER] == "13:40"  # 20 min before 14:00
    assert calls[LATER_SPEAKER] == "13:55"  # 20 min before 14:15


def test_a_role_override_and_a_person_override() -> None:
    calls = _bangkok(_mekong({"speaker": "10m", "moderator": "0m"}, **{LATER_SPEAKER: "45m"}))
    assert calls[MODERATOR] == "14:00"  # 0m: at the minute of the slot
    assert calls[SPEAKER] == "13:50"  # the role's 10m
    assert calls[LATER_SPEAKER] == "13:30"  # the person's own 45m wins over the role's


def test_the_run_sheet_says_the_same_call_time() -> None:
    doc = _mekong()
    schedule = load_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "mekong.yaml")
    text = " ".join(re.sub(r"<[^>]+>", " ", runsheet_html(schedule, SPEAKER)).split())
    assert "Please join at 13:40" in text


def test_plan_lists_each_persons_call_time_and_why(tmp_path) -> None:
    path = tmp_path / "mekong.yaml"
    path.write_text(yaml.safe_dump(_mekong(**{LATER_SPEAKER: "45m"}), sort_keys=False, allow_unicode=True))
    result = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(re.search(r"13:30 .*Pinsuda Alexander .*14:00 moderator .*30m \(moderator\)", ln) for ln in lines)
    assert any(re.search(r"13:40 .*Chuop Narath .*14:00 speaker .*20m \(speaker\)", ln) for ln in lines)
    assert any(re.search(r"13:30 .*Nilim Baruah .*14:15 speaker .*45m \(own call_before\)", ln) for ln in lines)


@pytest.mark.parametrize(
    ("stage", "person", "field", "message"),
    [
        ({"speaker": "-5m"}, None, "stage.call_before.speaker", "would call people after their slot starts"),
        ({}, "5h", "people[2].call_before", "longer than 4h"),
        ({"speaker": "soon"}, None, "stage.call_before.speaker", "'soon' is not a duration"),
        # Past timedelta's range: an error, not an OverflowError from the loader.
        ({"speaker": "30000000000000h"}, None, "stage.call_before.speaker", "is longer than 7 days"),
    ],
)
def test_a_bad_call_time_names_file_line_field_and_fix(stage, person, field, message) -> None:
    doc = _mekong(stage, **({SPEAKER: person} if person else {}))
    with pytest.raises(ScheduleError) as caught:
        load_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "mekong.yaml")
    text = caught.value.render()
    assert re.search(rf"^mekong\.yaml:\d+:\d+: {re.escape(field)}: .*{re.escape(message)}.*\. Fix: ", text, re.M), text


def test_defaults_hold_without_a_stage_section() -> None:
    doc = _mekong()
    doc.pop("stage", None)
    schedule = load_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "mekong.yaml")
    assert schedule.stage.call_before == {}
    roles = (Role.moderator, Role.speaker, Role.respondent, Role.interpreter)
    assert [schedule.stage.call_for(r) for r in roles] == [
        timedelta(minutes=30),
        timedelta(minutes=20),
        timedelta(minutes=15),
        timedelta(0),
    ]
