"""Run sheets: a person's times in their own zone, their question, who introduces them; HTML and PDF."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import yaml
from typer.testing import CliRunner

import app.cli.stage_cmds  # noqa: F401  (registers the stage commands, as app.cli.main does)
from app.cli import app as cli
from app.stage.runsheet import RunSheetError, runsheet_html
from schedules.load import load_text
from tests.conftest import IN_CI
from tests.stage.conftest import mekong_named

QUESTION = "What helped returning migrant workers most in your country?"


def _sheet_schedule():
    doc = yaml.safe_load(mekong_named(6, call_before={"respondent": "15m"}))
    respondent = next(p for p in doc["people"] if p["id"] == "respondent-5")
    respondent.update(timezone="Asia/Yangon", prepare="Three points on return and reintegration.")
    session = next(s for s in doc["segments"] if s["id"] == "session-3")
    session["respondents"]["question"] = QUESTION
    return yaml.safe_dump(doc, sort_keys=False)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_runsheet_in_their_own_zone_with_question_and_moderators():
    schedule = load_text(_sheet_schedule(), "sheet.yaml")
    text = _text(runsheet_html(schedule, "respondent-5"))
    # Session 3 ends 16:45 Bangkok: respondent 1 of 2 speaks 16:39-16:42 there, 16:09-16:12 in Yangon;
    # called 15 minutes before.
    assert "Please join at 15:54 GMT+6:30 (16:24 GMT+7 event time)." in text
    assert "16:09– 16:12 16:39– 16:42" in text.replace("–16", "– 16")
    assert "respondent 1 (Cambodia), 3 min" in text and f"Question: {QUESTION}" in text
    assert "Pinsuda Alexander, Economist (Regional Cooperation), ADB; Geertrui Lanneau" in text
    assert "Three points on return and reintegration." in text and "WARNING at 60 s" in text
    assert "Asia/Yangon (GMT+6:30)" in text


def test_runsheet_refuses_unknown_people_and_people_without_slots():
    schedule = load_text(mekong_named(0), "m.yaml")
    with pytest.raises(RunSheetError, match="no person 'bob'"):
        runsheet_html(schedule, "bob")
    with_interpreter = yaml.safe_load(mekong_named(0))
    with_interpreter["people"].append({"id": "sok", "name": "Sok", "roles": []})
    with pytest.raises(RunSheetError, match="has no slot"):
        runsheet_html(load_text(yaml.safe_dump(with_interpreter), "m.yaml"), "sok")


def test_runsheet_command_writes_html_and_a_pdf(tmp_path, monkeypatch):
    source = tmp_path / "sheet.yaml"
    source.write_text(_sheet_schedule(), encoding="utf-8")
    runner = CliRunner()
    html = runner.invoke(cli, ["runsheet", str(source), "--person", "respondent-5", "-o", str(tmp_path / "r.html")])
    assert html.exit_code == 0, html.output
    assert QUESTION in (tmp_path / "r.html").read_text(encoding="utf-8")
    wrong = runner.invoke(cli, ["runsheet", str(source), "--person", "respondent-5", "--format", "doc"])
    assert wrong.exit_code == 2
    if shutil.which("chromium") is None:
        if IN_CI or os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but chromium is missing: apt-get install -y chromium")
        pytest.skip("chromium is not installed")
    monkeypatch.chdir(tmp_path)
    pdf = runner.invoke(cli, ["runsheet", str(source), "--person", "respondent-5", "--format", "pdf"])
    assert pdf.exit_code == 0, pdf.output
    data = (tmp_path / "respondent-5-runsheet.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 1
    monkeypatch.setenv("SHOWCALLER_CHROMIUM", "no-such-chromium")
    from app.core.config import get_settings

    get_settings.cache_clear()
    try:
        missing = runner.invoke(
            cli, ["runsheet", str(source), "--person", "respondent-5", "--format", "pdf", "-o", str(tmp_path / "x.pdf")]
        )
    finally:
        get_settings.cache_clear()
    assert missing.exit_code == 1 and "SHOWCALLER_CHROMIUM" in missing.output
