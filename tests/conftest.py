"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), settings, clocks."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]
MEKONG = ROOT / "schedules" / "events" / "mekong-dialogue-2022.yaml"
POSTGRES_URL = os.environ.get("SHOWCALLER_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def bangkok(hour: int, minute: int, second: int = 0) -> datetime:
    """A moment on the Mekong Dialogue's day, given in Bangkok time (UTC+7), as aware UTC."""
    return datetime(2022, 5, 30, hour - 7, minute, second, tzinfo=UTC)


def _postgres_url() -> str:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but SHOWCALLER_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("set SHOWCALLER_TEST_POSTGRES_URL to run the PostgreSQL variant")
    return POSTGRES_URL


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_postgres_url().replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path):
    """The store under test: a fresh SQLite file, and a fresh PostgreSQL database when configured."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'showcaller.db'}"
        return
    base = _postgres_url()
    name = f"showcaller_t_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + f"/{name}"
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings_for():
    """Settings with test defaults and overrides."""

    def make(database_url: str, **overrides) -> Settings:
        return Settings(_env_file=None, database_url=database_url, slack_pacing=False, **overrides)

    return make


@pytest.fixture
def receiver_env(monkeypatch):
    """Point the Mekong schedule's five targets at a local receiver base URL."""

    def apply(base: str) -> None:
        monkeypatch.setenv("SHOWCALLER_SLACK_HOSTS_URL", f"{base}/slack/hosts")
        monkeypatch.setenv("SHOWCALLER_TEAMS_URL", f"{base}/teams/team")
        monkeypatch.setenv("SHOWCALLER_ZOOM_CHAT_URL", f"{base}/zoom_chat/hosts?format=full")
        monkeypatch.setenv("SHOWCALLER_ZOOM_CHAT_TOKEN", "zoom-chat-verification-token")
        monkeypatch.setenv("SHOWCALLER_DISCORD_URL", f"{base}/discord/speakers")
        monkeypatch.setenv("SHOWCALLER_WEBHOOK_URL", f"{base}/webhook/ops")
        monkeypatch.setenv("SHOWCALLER_WEBHOOK_SECRET", "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    return apply
