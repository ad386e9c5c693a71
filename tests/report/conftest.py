"""One fast Mekong rehearsal per module: its database, its pack files and the sandbox Zoom's own record."""

from __future__ import annotations

import asyncio
import shutil
import socket
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from app.rehearsal.rehearse import Summary, rehearse
from tests.conftest import IN_CI, MEKONG


@dataclass
class Rehearsed:
    summary: Summary
    database_url: str
    folder: Path


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory) -> Rehearsed:
    """The demo's rehearsal at 2400x (about ten seconds), pack written at the end as the demo does."""
    folder = tmp_path_factory.mktemp("rehearsal")
    url = f"sqlite+aiosqlite:///{folder / 'r.db'}"
    summary = asyncio.run(
        rehearse(
            str(MEKONG),
            speed=2400,
            console=Console(file=StringIO(), width=120),
            port=_port(),
            receivers_port=_port(),
            database_url=url,
            pack_to=folder / "pack",
        )
    )
    assert summary.finished
    return Rehearsed(summary, url, folder)


def need_chromium() -> None:
    """Skip without Chromium, except in CI where it must be there."""
    if shutil.which("chromium") is None:
        if IN_CI:
            pytest.fail("CI but no chromium on PATH: apt-get install -y chromium")
        pytest.skip("install chromium to print the pack as PDF")


from tests.web.conftest import browser  # noqa: E402, F401  (Debian's Chromium through Playwright)
