"""The week before the event, outside the sandbox: `apply` and `doctor` as real CLI processes against
the standalone emulator in real mode (credentials set, API base pointed at it).

The service is not running yet, so SHOWCALLER_PUBLIC_URL points at a loopback port nobody listens
on: it refuses at once, so nothing here waits on a timeout.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from integrations.zoom_emulator import create_emulator
from tests.fixtures import LoopbackServer, free_port

MEKONG = Path(__file__).parents[2] / "schedules" / "events" / "mekong-dialogue-2022.yaml"


def _showcaller() -> list[str]:
    script = Path(sys.executable).with_name("showcaller")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


def _env(tmp_path: Path, zoom_base: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("SHOWCALLER_")}
    closed = free_port()  # nobody listens here: a connection is refused at once
    return keep | {
        "SHOWCALLER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'week.db'}",
        "SHOWCALLER_ZOOM_ACCOUNT_ID": "emulated-account",
        "SHOWCALLER_ZOOM_CLIENT_ID": "emulated-client",
        "SHOWCALLER_ZOOM_CLIENT_SECRET": "emulated-secret",
        "SHOWCALLER_ZOOM_API_BASE": f"{zoom_base}/v2",
        "SHOWCALLER_ZOOM_OAUTH_BASE": zoom_base,
        "SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN": "emulator-secret-token",
        "SHOWCALLER_PUBLIC_URL": f"https://127.0.0.1:{closed}",
        "COLUMNS": "250",
    }


async def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *_showcaller(), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def zoom():
    server = LoopbackServer(create_emulator(seed=7))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_apply_creates_the_meeting_with_the_webhook_a_warning_and_the_day_doctor_fails_it(tmp_path, zoom):
    env = _env(tmp_path, zoom.base)
    code, out, err = await _run(env, "apply", str(MEKONG))
    assert code == 0, out + err
    assert "meeting" in out and "created" in out
    assert zoom.app.state.meetings, "the emulator holds the created meeting"
    warnings = [line for line in err.splitlines() if line.startswith("warning: webhook endpoint:")]
    assert len(warnings) == 1 and "not reachable" in warnings[0] and "Fix:" in warnings[0], err
    # The unset targets: one warning, once, for this event only (not the engine's log per start).
    assert sum(line.startswith("warning: target variables:") for line in err.splitlines()) == 1, err
    assert "its messages are parked" not in err

    code, out, err = await _run(env, "doctor", str(MEKONG))
    assert code == 0, out + err  # the week before: warnings only

    code, out, err = await _run(env, "doctor", "--for-the-day", str(MEKONG))
    assert code == 1, out + err
    assert "FAIL webhook endpoint:" in out and "FAIL target variables:" in out

    # One check left out by name; the other day check still fails.
    code, out, _ = await _run(env, "doctor", "--for-the-day", "--skip-check", "webhook-endpoint", str(MEKONG))
    assert code == 1 and "FAIL target variables:" in out and "webhook endpoint" not in out
    both = ("--skip-check", "webhook-endpoint", "--skip-check", "target-variables")
    code, out, _ = await _run(env, "doctor", "--for-the-day", *both, str(MEKONG))
    assert code == 0, out
    assert "0 failed" in out


async def test_unknown_check_name_is_refused_with_the_names(tmp_path, zoom):
    code, _, err = await _run(_env(tmp_path, zoom.base), "doctor", "--skip-check", "webhooks", str(MEKONG))
    assert code == 2
    assert "no check named webhooks" in err and "webhook-endpoint" in err


async def test_zoom_unreachable_is_one_line_for_doctor_and_apply(tmp_path):
    env = _env(tmp_path, f"http://127.0.0.1:{free_port()}")
    for command in ("doctor", "apply"):
        code, out, err = await _run(env, command, str(MEKONG))
        assert code == 1, out + err
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert lines == ["cannot reach Zoom (connect error): check the network or proxy, and SHOWCALLER_ZOOM_API_BASE"]
        assert "Traceback" not in out + err


async def test_an_unknown_log_level_is_one_line_naming_the_valid_levels(tmp_path):
    env = _env(tmp_path, "http://127.0.0.1:1") | {"SHOWCALLER_LOG_LEVEL": "verbose"}
    code, out, err = await _run(env, "serve", "--port", str(free_port()))
    assert code != 0
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "SHOWCALLER_LOG_LEVEL" in lines[0] and "DEBUG, INFO, WARNING, ERROR, CRITICAL" in lines[0]


async def test_serve_reports_the_webhook_check_as_a_failure_at_start_up(tmp_path, zoom):
    """On the day the webhook check is no warning: a serving instance says FAIL in its start-up
    report (and keeps serving: the TLS in front of it may come up a moment later)."""
    env = _env(tmp_path, zoom.base)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *_showcaller(),
        "serve",
        str(MEKONG),
        "--port",
        str(port),
        "--allow-missing-targets",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    seen: list[str] = []
    try:

        async def report() -> str:
            assert proc.stderr is not None
            while line := (await proc.stderr.readline()).decode():
                seen.append(line)
                if line.startswith("start-up check:"):
                    return line
            return ""

        line = await asyncio.wait_for(report(), 120)  # a guard, not a measured time
        assert line.startswith("start-up check: FAIL webhook endpoint:"), "".join(seen)
        assert "is not reachable" in line and "Fix:" in line
        assert proc.returncode is None  # still serving
    finally:
        proc.terminate()
        await proc.wait()
