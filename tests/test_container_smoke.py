"""The container as shipped: deploy/container-smoke.sh (valid shell, one clear line when it cannot
run), `make smoke` (engine set-up optional), and an image that can print PDFs.

The smoke test itself needs podman or docker and builds the image, so it is run by `make smoke`,
not by `make test`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from app.core.config import Settings
from tests.conftest import ROOT

SCRIPT = ROOT / "deploy" / "container-smoke.sh"
NO_ENGINE = "container-smoke: 'no-such-engine' is not installed. Fix: install it, or name podman or docker"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_script_is_valid_shell_and_executable():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert os.access(SCRIPT, os.X_OK)


@pytest.mark.parametrize("args", [(), ("--compose",)])
def test_a_missing_engine_is_one_line_and_status_3(args):
    proc = _run(*args, CONTAINER_ENGINE="no-such-engine")
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [NO_ENGINE]


def test_an_unknown_option_is_one_line_and_status_3():
    proc = _run("--composer", CONTAINER_ENGINE="no-such-engine")
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "container-smoke: unknown option '--composer'. Fix: use --compose, or name podman or docker"
    ]


def test_help_describes_both_modes():
    proc = _run("--help")
    assert proc.returncode == 0
    assert "--compose" in proc.stdout and "killed" in proc.stdout and "PDF" in proc.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is what runs the smoke test")
def test_make_smoke_runs_without_an_engine_set_up_script():
    """The set-up script of the shared machines is optional: without it `make smoke` says so and goes on
    with the installed engine (here none, so the script's own one line and status 3)."""
    proc = subprocess.run(
        ["make", "--no-print-directory", "smoke", "SMOKE_ENGINE_SETUP=no-such-set-up.sh"],
        cwd=ROOT,
        env={**os.environ, "CONTAINER_ENGINE": "no-such-engine"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "no engine set-up script (no-such-set-up.sh): using podman or docker as installed" in proc.stdout
    assert NO_ENGINE in proc.stderr.splitlines()


def test_make_test_does_not_need_a_container_engine():
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "smoke" not in test_recipe and "podman" not in test_recipe and "docker" not in test_recipe


def test_the_image_prints_pdfs_with_debians_chromium():
    """The pack and run sheets need Chromium (else 503 pdf_unavailable): the image installs Debian's and
    names it in the setting the service reads."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.search(r"apt-get install[^&]*", dockerfile)
    assert installs and re.search(r"\bchromium\b", installs.group(0))
    assert "rm -rf /var/lib/apt/lists/*" in dockerfile
    env = dict(re.findall(r"\b(SHOWCALLER_\w+)=(\S+)", dockerfile))
    assert env["SHOWCALLER_CHROMIUM"] == "/usr/bin/chromium"  # where Debian's package puts it
    assert "chromium" in Settings.model_fields
    assert Settings.model_config["env_prefix"] + "CHROMIUM" == "SHOWCALLER_CHROMIUM"
