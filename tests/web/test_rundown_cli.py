"""Rundown edits from the command line: the remote `rundown` commands against a real server on
loopback, and `showcaller export EVENT` writing a schedule file the loader accepts."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

import app.cli.remote_cmds  # noqa: F401  (registers the commands, as app.cli.main does)
import app.cli.rundown_cmds  # noqa: F401
from app.cli import app
from app.core.config import get_settings
from app.core.failures import ExitCode
from schedules.load import load_text
from tests.web.conftest import EVENT


async def cli(server, *args: str, role: str = "host"):
    argv = ["--server", server.url, "--token", server.tokens[role], *args]
    return await asyncio.to_thread(CliRunner().invoke, app, argv)


async def test_remote_rundown_edits_then_both_exports_load(server, monkeypatch, tmp_path):
    inserted = await cli(server, "rundown", "insert", "--minutes", "5", "--before", "session-2")
    assert inserted.exit_code == 0, inserted.output
    assert inserted.stdout.startswith("insert_segment recorded (seq 1)")
    assert "next:  Session 1" not in inserted.stdout
    retimed = await cli(server, "rundown", "retime", EVENT, "discussion-3", "--minutes", "20")
    assert retimed.exit_code == 0, retimed.output
    moved = await cli(server, "rundown", "move", "session-3", "--after", "discussion-3")
    assert moved.exit_code == 0, moved.output
    amended = await cli(server, "rundown", "amend", "closing", "--title", "Closing words")
    assert amended.exit_code == 0, amended.output
    removed = await cli(server, "rundown", "remove", "discussion-2")
    assert removed.exit_code == 0, removed.output

    refused = await cli(server, "rundown", "remove", "session-1")
    assert refused.exit_code == ExitCode.CONFLICT
    assert "'session-1' is running now: only upcoming segments can be edited" in refused.stderr
    missing = await cli(server, "rundown", "retime", "session-2")
    assert missing.exit_code == ExitCode.INVALID and "--minutes" in missing.stderr

    as_host = await cli(server, "rundown", "export")
    assert as_host.exit_code == ExitCode.AUTH
    remote_file = tmp_path / "remote.yaml"
    exported = await cli(server, "rundown", "export", "-o", str(remote_file), role="organiser")
    assert exported.exit_code == 0, exported.output
    remote = load_text(remote_file.read_text(), str(remote_file))
    assert [s.id for s in remote.segments][4:] == ["break-1", "session-2", "discussion-3", "session-3", "closing"]
    assert remote.segment("closing").title == "Closing words"

    monkeypatch.setenv("SHOWCALLER_DATABASE_URL", str(server.settings.database_url))
    get_settings.cache_clear()
    try:
        local = await asyncio.to_thread(CliRunner().invoke, app, ["export", EVENT])
        unknown = await asyncio.to_thread(CliRunner().invoke, app, ["export", "no-such-event"])
    finally:
        get_settings.cache_clear()
    assert local.exit_code == 0, local.output
    assert load_text(local.stdout, "local.yaml") == remote
    assert unknown.exit_code == 1 and "no event 'no-such-event'" in unknown.stderr
