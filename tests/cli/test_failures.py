"""Start-up errors are one line with the fix and a distinct exit status, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import app.cli.config_cmds  # noqa: F401  (registers the commands, as app.cli.main does)
import app.cli.report_cmds  # noqa: F401
import app.cli.run_cmds  # noqa: F401
import app.cli.schedule_cmds  # noqa: F401
import app.cli.zoom_cmds  # noqa: F401
from app.cli import app
from app.core.config import get_settings
from app.core.failures import ExitCode
from tests.cli.conftest import MEKONG, REPO

TARGET_VARIABLES = (
    "SHOWCALLER_SLACK_HOSTS_URL",
    "SHOWCALLER_TEAMS_URL",
    "SHOWCALLER_ZOOM_CHAT_URL",
    "SHOWCALLER_ZOOM_CHAT_TOKEN",
    "SHOWCALLER_DISCORD_URL",
    "SHOWCALLER_WEBHOOK_URL",
    "SHOWCALLER_WEBHOOK_SECRET",
)


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run `showcaller ARGS` in-process in an empty folder with a clean SHOWCALLER_* environment."""
    import os

    for name in list(os.environ):
        if name.startswith("SHOWCALLER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHOWCALLER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")

    def invoke(*args: str, env: dict[str, str] | None = None):
        get_settings.cache_clear()
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    return invoke


def mekong() -> str:
    return str(REPO / MEKONG)


def one_line(result) -> str:
    """The single stderr line of a failed command (and proof there was no traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_missing_schedule_file(cli):
    result = cli("serve", "no/such/event.yaml")
    assert result.exit_code == ExitCode.NO_FILE == 3
    assert one_line(result).startswith("no/such/event.yaml: file not found. Fix: check the path")


def test_schedule_path_that_is_a_folder(cli, tmp_path):
    result = cli("plan", str(tmp_path))
    assert result.exit_code == ExitCode.NO_FILE
    assert one_line(result) == f"{tmp_path}: is a folder, not a file. Fix: name the schedule file itself"


def test_invalid_schedule_file_keeps_status_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("event: [\n", encoding="utf-8")
    result = cli("serve", str(bad))
    assert result.exit_code == ExitCode.INVALID == 2
    assert str(bad) in result.stderr and "Traceback" not in result.output


def test_invalid_setting_names_the_variable(cli):
    result = cli("serve", mekong(), env={"SHOWCALLER_HTTP_TIMEOUT_SECONDS": "soon"})
    assert result.exit_code == ExitCode.SETTINGS == 4
    assert one_line(result).startswith(
        "setting SHOWCALLER_HTTP_TIMEOUT_SECONDS is invalid (got 'soon'): Input should be a valid number"
    )


def test_placeholder_secret_is_refused(cli):
    result = cli("token", "list", env={"SHOWCALLER_ZOOM_CLIENT_SECRET": "changethis"})
    assert result.exit_code == ExitCode.SETTINGS
    assert one_line(result) == (
        "settings: SHOWCALLER_ZOOM_CLIENT_SECRET is a placeholder; set the real value or "
        "unset it. Fix: correct it in the environment or .env"
    )


def test_unsupported_database_is_a_settings_error(cli):
    result = cli("token", "list", env={"SHOWCALLER_DATABASE_URL": "mysql://user@db.example/x"})
    assert result.exit_code == ExitCode.SETTINGS
    assert one_line(result).startswith("unsupported database driver 'MySQLdb'. Fix: set SHOWCALLER_DATABASE_URL")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_unreachable_database(cli):
    url = f"postgresql://showcaller:pw@127.0.0.1:{_closed_port()}/showcaller"
    result = cli("serve", mekong(), env={"SHOWCALLER_DATABASE_URL": url})
    assert result.exit_code == ExitCode.DATABASE == 5
    line = one_line(result)
    assert line.startswith("cannot use the database postgresql://showcaller:***@127.0.0.1:")
    assert "pw@" not in line and line.endswith("check the server is running and the database exists")


def test_database_in_a_missing_folder(cli, tmp_path):
    result = cli("token", "list", env={"SHOWCALLER_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    assert result.exit_code == ExitCode.DATABASE
    assert one_line(result) == (
        f"cannot use the database sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db: the "
        f"folder {tmp_path}/no/such/dir does not exist. Fix: create it, or point "
        "SHOWCALLER_DATABASE_URL (or --database-url) at a file in an existing folder"
    )


def test_port_in_use(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("serve", mekong(), "--port", str(port))
    assert result.exit_code == ExitCode.PORT == 6
    assert one_line(result) == (
        f"port {port} on 127.0.0.1 is already in use. Fix: stop the other process or pass --port with a free port"
    )


def test_unknown_host(cli):
    result = cli("serve", mekong(), "--host", "no-such-host.invalid", "--port", str(_closed_port()))
    assert result.exit_code == ExitCode.PORT
    assert one_line(result).startswith("cannot listen on no-such-host.invalid:")


def test_missing_target_variables(cli):
    result = cli("serve", mekong(), "--port", str(_closed_port()))
    assert result.exit_code == ExitCode.TARGETS == 7
    assert one_line(result) == (
        "5 target(s) cannot be used: SHOWCALLER_DISCORD_URL, SHOWCALLER_SLACK_HOSTS_URL, SHOWCALLER_TEAMS_URL, "
        "SHOWCALLER_WEBHOOK_URL, SHOWCALLER_ZOOM_CHAT_URL not set. Fix: set them in the environment or .env "
        "(`showcaller config FILE` lists them), or pass --allow-missing-targets to start anyway and park their "
        "messages"
    )


def test_target_variables_from_dot_env_count(cli, tmp_path):
    """A .env in the working folder supplies target variables too (only the environment was read)."""
    lines = [
        f"{name}=http://127.0.0.1:9/{name.lower()}"
        for name in TARGET_VARIABLES
        if name not in ("SHOWCALLER_DISCORD_URL", "SHOWCALLER_WEBHOOK_SECRET")
    ]
    lines.append("SHOWCALLER_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("serve", mekong(), "--port", str(_closed_port()))
    assert result.exit_code == ExitCode.TARGETS
    assert one_line(result).startswith("1 target(s) cannot be used: SHOWCALLER_DISCORD_URL not set.")


def test_token_revoke_unknown_id_is_one_line(cli):
    result = cli("token", "revoke", "feedfacecafebeef")
    assert result.exit_code == ExitCode.FAILED
    assert one_line(result) == "no active token with id 'feedfacecafebeef'"


def _showcaller() -> list[str]:
    script = Path(sys.executable).with_name("showcaller")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


@pytest.mark.slow
def test_real_process_port_in_use_prints_one_line(tmp_path):
    """The installed entry point, not just the in-process runner: one line on stderr, status 6."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWCALLER_")}
    env["SHOWCALLER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'p.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [*_showcaller(), "serve", mekong(), "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 6
    assert proc.stderr.splitlines() == [
        f"port {port} on 127.0.0.1 is already in use. Fix: stop the other process or pass --port with a free port"
    ]
    assert proc.stdout == ""


def test_config_shows_sources_and_masks_secrets(cli, tmp_path):
    (tmp_path / ".env").write_text(
        "SHOWCALLER_LOG_LEVEL=debug\nSHOWCALLER_ZOOM_CLIENT_SECRET=s3cr3t-value\n"
        "SHOWCALLER_TEAMS_URL=https://example.webhook.office.com/webhookb2/abc/def\n",
        encoding="utf-8",
    )
    result = cli(
        "config",
        mekong(),
        "--database-url",
        "postgresql://me:hunter2@db/x",
        env={"SHOWCALLER_HTTP_TIMEOUT_SECONDS": "4", "SHOWCALLER_LOG_LEVEL": "warning"},
    )
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.startswith("  ")}
    assert rows["SHOWCALLER_DATABASE_URL"][1:] == ["postgresql://me:***@db/x", "option"]
    assert rows["SHOWCALLER_HTTP_TIMEOUT_SECONDS"][1:] == ["4.0", "environment"]
    assert rows["SHOWCALLER_LOG_LEVEL"][1:] == ["warning", "environment"]  # the environment wins over .env
    assert rows["SHOWCALLER_ZOOM_CLIENT_SECRET"][1:] == ["***", "(12", "characters)", ".env"]
    assert rows["SHOWCALLER_PUBLIC_URL"][1:] == ["(unset)", "default"]  # links need it set (or --local)
    assert rows["SHOWCALLER_TEAMS_URL"][-1] == ".env"
    assert rows["SHOWCALLER_DISCORD_URL"][-1] == "unset"
    assert "s3cr3t" not in result.stdout and "hunter2" not in result.stdout and "abc/def" not in result.stdout


def test_report_on_a_database_file_that_does_not_exist(cli, tmp_path):
    result = cli("report", mekong(), "--database-url", "sqlite:///nothere.db")
    assert result.exit_code == ExitCode.DATABASE
    assert one_line(result) == (
        "no database file nothere.db. Fix: pass --database-url with the service's database "
        "(SHOWCALLER_DATABASE_URL; a rehearsal's is sqlite:///showcaller-rehearsal.db)"
    )
    assert not (tmp_path / "nothere.db").exists()  # looking did not create it


def test_receiver_port_in_use(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("receiver", "--port", str(port))
    assert result.exit_code == ExitCode.PORT
    assert one_line(result).startswith(f"port {port} on 127.0.0.1 is already in use.")


def test_token_role_changes_an_api_token_but_never_a_presenter_link(cli):
    created = cli("token", "create", "--role", "host", "--name", "desk")
    assert created.exit_code == 0, created.output
    token_id = created.stderr.split("(id ", 1)[1].split(")", 1)[0]
    changed = cli("token", "role", token_id, "--role", "viewer")
    assert changed.exit_code == 0 and f"{token_id} is now viewer" in changed.stdout, changed.output
    listed = cli("token", "list")
    assert "viewer" in listed.stdout and "host" not in listed.stdout, listed.stdout
    result = cli("token", "role", "feedfacecafebeef", "--role", "organiser")
    assert result.exit_code == ExitCode.FAILED
    assert one_line(result).startswith("no active token with id 'feedfacecafebeef'")


def test_a_restart_whose_stored_event_has_unset_targets_exits_7_with_the_same_line(cli, tmp_path):
    """Without files, `serve` checks the stored events' targets inside its one start (behind a
    /healthz that answers at once), before anything fires: the command still ends with the line."""
    import asyncio

    from app import bootstrap
    from app.core.config import Settings

    async def store() -> None:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'cli.db'}")
        async with bootstrap.started(settings, run_timer=False, run_worker=False) as services:
            await services.run.load_schedule((REPO / MEKONG).read_text(encoding="utf-8"), mekong())

    asyncio.run(store())
    result = cli("serve", "--port", str(_closed_port()))
    assert result.exit_code == ExitCode.TARGETS
    assert result.stderr.splitlines()[-1] == (
        "5 target(s) cannot be used: SHOWCALLER_DISCORD_URL, SHOWCALLER_SLACK_HOSTS_URL, SHOWCALLER_TEAMS_URL, "
        "SHOWCALLER_WEBHOOK_URL, SHOWCALLER_ZOOM_CHAT_URL not set. Fix: set them in the environment or .env "
        "(`showcaller config FILE` lists them), or pass --allow-missing-targets to start anyway and park their "
        "messages"
    )
    assert "Traceback" not in result.output
