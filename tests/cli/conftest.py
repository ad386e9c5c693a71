"""CLI fixtures: a CliRunner on the real typer app, run from the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import app.cli.schedule_cmds  # noqa: F401  (registers validate/plan/schema, as app.cli.main does)
from app.cli import app

REPO = Path(__file__).resolve().parents[2]
MEKONG = "schedules/events/mekong-dialogue-2022.yaml"
WEBINAR = "schedules/events/examples/webinar-with-interpreters.yaml"


@pytest.fixture
def run(monkeypatch):
    """Invoke `showcaller ARGS...` in-process from the repository root."""
    monkeypatch.chdir(REPO)

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    return invoke
