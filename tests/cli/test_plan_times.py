"""`plan`'s table prints every time unambiguously, also around a fall-back west of UTC."""

from __future__ import annotations

from typer.testing import CliRunner

import app.cli.schedule_cmds  # noqa: F401  (registers the commands on the app)
from app.cli import app

ST_JOHNS = """\
version: 1
event: {id: stj, title: St John's night, date: 2026-11-01, timezone: America/St_Johns}
segments:
  - {id: late, title: Late session, start: "01:40-02:30", end: "01:20-03:30"}
"""


def test_a_repeated_wall_time_west_of_utc_carries_its_offset_as_a_label(tmp_path) -> None:
    path = tmp_path / "stj.yaml"
    path.write_text(ST_JOHNS, encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "01:40 UTC-2:30 to 01:20 UTC-3:30 *" in result.output
    assert "01:40-02:30-01:20-03:30" not in result.output
    assert "01:40 UTC-2:30 │ segment_start" in result.output
