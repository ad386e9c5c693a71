"""deploy/container-smoke.sh: valid shell, and one clear line when no engine can run it."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT

SCRIPT = ROOT / "deploy" / "container-smoke.sh"


def test_script_is_valid_shell_and_executable():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert os.access(SCRIPT, os.X_OK)


def test_a_missing_engine_is_one_line_and_status_3():
    proc = subprocess.run(
        [str(SCRIPT)],
        env={**os.environ, "CONTAINER_ENGINE": "no-such-engine"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "container-smoke: 'no-such-engine' is not installed. Fix: install it, or name podman or docker"
    ]
