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
    first = cli("stage-links", schedule, "--local")
    assert first.exit_code == 0, first.output
    assert all(link.split()[-5].startswith("http://127.0.0.1:8000/stage/") for link in _links(first.stdout).values())
    made = _links(first.stdout)
    assert len(made) == 11 and all("#token=sc_" in v and v.endswith("(new: shown only now)") for v in made.values())
    token = made["nilim-baruah"].split("#token=")[1].split()[0]

    again = cli("stage-links", schedule, "--local")
    listed = _links(again.stdout)
    assert set(listed) == set(made) and "#token=" not in again.stdout
    shown = r" link made \d{4}-\d\d-\d\d \d\d:\d\d UTC, shown then \(--rotate nilim-baruah for a new one\)$"
    assert re.search(shown, listed["nilim-baruah"]), listed["nilim-baruah"]

    rotated = cli("stage-links", schedule, "--rotate", "nilim-baruah", "--local")
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


def test_links_need_the_public_url_unless_told_local(cli, tmp_path, monkeypatch):
    """Without SHOWCALLER_PUBLIC_URL, nothing that hands links to people runs: one line naming it."""
    schedule = str(REPO / MEKONG)
    for args in (("stage-links", schedule), ("invites", schedule, "--out", str(tmp_path / "inv"))):
        refused = cli(*args)
        assert refused.exit_code == 2, refused.output
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith("SHOWCALLER_PUBLIC_URL is not set") and "--local" in line
    assert not (tmp_path / "inv").exists() and not _opens_any(cli.url)  # nothing was made


def test_with_the_public_url_every_link_uses_it(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOWCALLER_PUBLIC_URL", "https://events.example.org/")
    schedule = str(REPO / MEKONG)
    made = cli("stage-links", schedule)
    assert made.exit_code == 0, made.output
    urls = [line.split()[-5] for line in _links(made.stdout).values()]
    assert len(urls) == 11 and all(u.startswith("https://events.example.org/stage/mekong-dialogue-2022?") for u in urls)

    out = tmp_path / "inv"
    sent = cli("invites", schedule, "--out", str(out), "--new-links")
    assert sent.exit_code == 0, sent.output
    texts = [f.read_bytes().decode().replace("\r\n ", "") for f in out.glob("*.ics")]
    presenter = [t for t in texts if "/stage/" in t]
    assert len(presenter) == 11
    links = re.findall(r"https?://[^\s\\;,]+/(?:stage|console)/[^\s\\;,]*", "".join(texts))
    assert links and all(link.startswith("https://events.example.org/") for link in links)
    assert "127.0.0.1" not in "".join(texts)


def _opens_any(url: str) -> bool:
    """Whether the database (if it exists at all) holds any token."""
    path = url.split("///", 1)[1]
    if not os.path.exists(path):
        return False

    async def find():
        db = create_engine(url)
        try:
            async with db.begin() as conn:
                return bool(await tokens_repo.list_tokens(conn))
        finally:
            await db.dispose()

    return asyncio.run(find())


def test_token_create_makes_a_deck_token(cli):
    """`--role deck` is offered and stored as the deck role (a Stream Deck's token)."""
    made = cli("token", "create", "--role", "deck", "--name", "stream deck 1")
    assert made.exit_code == 0, made.output
    assert "created deck token 'stream deck 1'" in made.stderr
    token = made.stdout.strip().splitlines()[-1]

    async def role():
        db = create_engine(cli.url)
        try:
            async with db.begin() as conn:
                return (await tokens_repo.find_token(conn, token)).role
        finally:
            await db.dispose()

    assert asyncio.run(role()) == "deck"
    assert "deck" in cli("token", "create", "--help").output
