"""Golden tests: every broken file in broken/ renders exactly the text in its NAME.expected.

Run with UPDATE_GOLDEN=1 to rewrite the expectations, then review the diff by eye.
"""

from __future__ import annotations

import os
import re

import pytest
from typer.testing import CliRunner

import app.cli.schedule_cmds  # noqa: F401  (registers the commands on the app)
from app.cli import app
from schedules.load import load_text
from schedules.problems import ScheduleError
from tests.schedules.conftest import MEKONG, REPO

BROKEN = REPO / "tests" / "schedules" / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# file:line:col: field: message. Fix: hint   (the summary line is "file: N problems")
LINE = re.compile(
    r"^(?P<file>[^:]+\.yaml):(?P<line>\d+):(?P<col>\d+): (?P<field>\S+): "
    r"(?P<msg>.+)\. Fix: (?P<fix>.+)$"
)


def _relative(path) -> str:
    return path.relative_to(REPO).as_posix()


def _render(path) -> str:
    with pytest.raises(ScheduleError) as caught:
        load_text(path.read_text(encoding="utf-8"), _relative(path))
    return caught.value.render() + "\n"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_error_text_matches_golden(path):
    rendered = _render(path)
    expected_file = path.with_suffix(".expected")
    if UPDATE:
        expected_file.write_text(rendered, encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file.name}; run with UPDATE_GOLDEN=1 and review it"
    assert rendered == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_problem_names_file_line_column_field_and_fix(path):
    *problems, summary = _render(path).splitlines()
    assert problems, "a broken file must report at least one problem"
    assert summary == f"{_relative(path)}: {len(problems)} problem{'s' if len(problems) > 1 else ''}"
    positions = []
    for text in problems:
        match = LINE.match(text)
        assert match, f"not in file:line:col: field: message. Fix: hint form: {text}"
        assert match["file"] == _relative(path)
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1
        assert len(match["msg"]) > 5 and len(match["fix"]) > 5
        positions.append((int(match["line"]), int(match["col"])))
    assert positions == sorted(positions), "problems are listed in file order"


def test_each_reported_line_points_into_the_file():
    for path in CASES:
        lines = path.read_text(encoding="utf-8").splitlines() or [""]
        for text in _render(path).splitlines()[:-1]:
            match = LINE.match(text)
            assert int(match["line"]) <= len(lines), text
            assert int(match["col"]) <= len(lines[int(match["line"]) - 1]) + 1, text


def test_no_golden_file_without_its_yaml():
    orphans = {p.stem for p in BROKEN.glob("*.expected")} - {p.stem for p in CASES}
    assert not orphans


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_validate_command_exits_2_with_the_same_lines_on_stderr(path, monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["validate", _relative(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output + result.stderr
    assert result.stderr == _render(path)
    assert result.stdout == ""


def test_validate_reports_valid_and_broken_files_together(monkeypatch):
    monkeypatch.chdir(REPO)
    broken = _relative(BROKEN / "overlap.yaml")
    result = CliRunner().invoke(app, ["validate", _relative(MEKONG), broken])
    assert result.exit_code == 2
    assert "mekong-dialogue-2022.yaml: ok (Mekong Dialogue on Labour Mobility, 9 segments, 11 people)" in result.stdout
    assert result.stderr.startswith(f"{broken}:14:5: segments[1].start: overlaps 'welcome'")


def test_validate_valid_file_exits_0(monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["validate", _relative(MEKONG)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
