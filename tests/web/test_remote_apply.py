"""`showcaller --server URL --token T apply FILE`: the running service loads and applies the file,
and the command prints what the local apply prints."""

from __future__ import annotations

import asyncio
import shutil

from typer.testing import CliRunner

import app.cli.remote_cmds  # noqa: F401  (registers the commands, as app.cli.main does)
import app.cli.zoom_cmds  # noqa: F401
from app.cli import app
from app.cli.failures import ExitCode
from app.core.config import get_settings
from app.engine.clock import ManualClock
from app.store import tokens_repo
from tests.conftest import ROOT, bangkok
from tests.fixtures import UNREACHABLE
from tests.web.conftest import LiveServer

SECOND = ROOT / "schedules/events/examples/fall-back-meeting.yaml"
SECOND_ID = "fall-back-meeting-2026"


async def _invoke(*argv: str):
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(CliRunner().invoke, app, list(argv))
    finally:
        get_settings.cache_clear()


async def test_remote_apply_needs_an_organiser_and_prints_what_local_apply_prints(
    tmp_path, settings_for, receiver_env, database_templates, monkeypatch
):
    receiver_env(UNREACHABLE)
    path, state = tmp_path / "web.db", tmp_path / "zoom.json"
    shutil.copyfile(database_templates.sqlite_file(), path)
    url = f"sqlite+aiosqlite:///{path}"
    server = LiveServer(settings_for(url, sandbox_state_path=str(state)), ManualClock(bangkok(14, 20)))
    await server.start()
    try:
        async with server.runtime.db.begin() as conn:
            _, organiser = await tokens_repo.create_token(conn, "Olga", "organiser", server.clock.now())
        remote = ("--server", server.url, "--token")

        host = await _invoke(*remote, server.tokens["host"], "apply", str(SECOND))
        assert host.exit_code == ExitCode.AUTH, host.output
        assert SECOND_ID not in server.runtime.engine.event_ids()

        created = await _invoke(*remote, organiser, "apply", str(SECOND))
        assert created.exit_code == 0, created.output
        lines = created.stdout.splitlines()
        assert lines[-3].startswith("meeting ") and lines[-3].endswith(": created (1 write calls)"), lines
        join = lines[-2].removeprefix("join: ")
        assert lines[-1].startswith("planned ") and lines[-1].endswith(f" cues for {SECOND_ID}")
        assert "SANDBOX" in created.stderr
        # The service has the event, and the join link its messages carry, at once.
        assert SECOND_ID in server.runtime.engine.event_ids()
        assert ("Join Zoom", join) in server.runtime.event_links(SECOND_ID)

        again = await _invoke(*remote, organiser, "apply", str(SECOND))
        monkeypatch.setenv("SHOWCALLER_DATABASE_URL", url)
        monkeypatch.setenv("SHOWCALLER_SANDBOX_STATE_PATH", str(state))
        local = await _invoke("apply", str(SECOND))
        assert again.exit_code == local.exit_code == 0, (again.output, local.output)
        assert again.stdout == local.stdout and "unchanged (0 write calls)" in again.stdout

        dry = await _invoke(*remote, organiser, "apply", "--dry-run", str(SECOND))
        assert dry.exit_code == 2 and dry.stderr.strip().startswith("--dry-run: not with --server")
    finally:
        await server.stop()
