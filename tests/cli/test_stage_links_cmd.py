"""`stage-links` and `token create` from the command line: links shown once, rotated on request."""

from __future__ import annotations

import asyncio
import os
import re

import pytest
from typer.testing import CliRunner

import app.cli.run_cmds  # noqa: F401  (registers the commands, as app.cli.main does)
import app.cli.stage_cmds  # noqa: F401
from app.cli import app
from app.core.config import get_settings
from app.store import tokens_repo
from app.store.db import create_engine
from tests.cli.conftest import MEKONG, REPO


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run `showcaller ARGS` in-process in an empty folder on a SQLite file of its own."""
    for name in list(os.environ):
        if name.startswith("SHOWCALLER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SHOWCALLER_DATABASE_URL", url)

    def invoke(*args: str):
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    invoke.url = url  # type: ignore[attr-defined]
    return invoke


def _links(output: str) -> dict[str, str]:
    """person -> their `stage-links` line (the console expands its tabs)."""
    return {line.split()[0]: line for line in output.splitlines() if line.strip()}


def _opens(url: str, token: str) -> bool:
    async def find():
        db = create_engine(url)
        try:
            async with db.begin() as conn:
                return await tokens_repo.find_token(conn, token) is not None
        finally:
            await db.dispose()

    return asyncio.run(find())


def test_links_are_printed_once_then_listed_and_rotated_on_request(cli):
    schedule = str(REPO / MEKONG)
    first = cli("stage-links", schedule)
    assert first.exit_code == 0, first.output
    made = _links(first.stdout)
    assert len(made) == 11 and all("#token=sc_" in v and v.endswith("(new: shown only now)") for v in made.values())
    token = made["nilim-baruah"].split("#token=")[1].split()[0]

    again = cli("stage-links", schedule)
    listed = _links(again.stdout)
    assert set(listed) == set(made) and "#token=" not in again.stdout
    shown = r" link made \d{4}-\d\d-\d\d \d\d:\d\d UTC, shown then \(--rotate nilim-baruah for a new one\)$"
    assert re.search(shown, listed["nilim-baruah"]), listed["nilim-baruah"]

    rotated = cli("stage-links", schedule, "--rotate", "nilim-baruah")
    assert rotated.exit_code == 0 and "revoked 1 old link(s) of nilim-baruah" in rotated.stderr
    [line] = rotated.stdout.splitlines()
    renewed = line.split("#token=")[1]
    assert renewed != token and _opens(cli.url, renewed) and not _opens(cli.url, token)

    unknown = cli("stage-links", schedule, "--rotate", "nobody")
    assert unknown.exit_code == 2 and "no person 'nobody' in mekong-dialogue-2022" in unknown.stderr


def test_a_token_name_over_the_limit_is_refused(cli):
    refused = cli("token", "create", "--role", "host", "--name", "x" * 101)
    assert refused.exit_code == 2
    reason = "--name: the token name is 101 characters; at most 100 are kept; give a shorter one"
    assert refused.stderr.strip() == reason
    assert cli("token", "create", "--role", "host", "--name", "x" * 100).exit_code == 0
