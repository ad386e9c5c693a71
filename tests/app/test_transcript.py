"""The rehearsal transcript's lines for what a host did and said (no rehearsal needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from rich.console import Console

from app.core.vocabulary import FireOutcome
from app.rehearsal.transcript import Transcript

BANGKOK = ZoneInfo("Asia/Bangkok")


def _transcript() -> tuple[Transcript, StringIO]:
    out = StringIO()
    return Transcript(Console(file=out, width=200, color_system=None), BANGKOK), out


def test_an_announcement_line_carries_its_text_and_a_host_action_its_actor() -> None:
    transcript, out = _transcript()
    follow_up = SimpleNamespace(
        due_at=datetime(2022, 5, 30, 7, 7, tzinfo=UTC),
        kind="announcement",
        title="Announcement",
        message="Readiness: Maximilian Pottler (speaker) has joined,\n8 min before Session 1.",
        targets=("hosts-slack",),
        cue_id="announcement/readiness-session-1-x",
        note=None,
    )
    transcript.cue("ev", follow_up, FireOutcome.FIRED)
    transcript.action(datetime(2022, 5, 30, 8, 25, 57, tzinfo=UTC), "rehearsal", "delay Session 2 by 4 minutes")
    lines = out.getvalue().splitlines()
    assert lines[0].split(None, 2)[2] == (
        "Announcement: Readiness: Maximilian Pottler (speaker) has joined, 8 min before Session 1."
    )
    assert lines[1] == "15:25:57 host action          delay Session 2 by 4 minutes (rehearsal)"
    assert transcript.lines == 2
