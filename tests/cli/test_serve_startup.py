"""`serve` answers /healthz sooner: what the first answer does not need is not done before it.
Counted, never timed: which modules the served app imports, how often the service is started."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

from alembic.script import ScriptDirectory

from app.cli import run_cmds
from app.store import db as store_db
from tests.fixtures import ROOT, bangkok

# Not needed to start the service: Alembic (the schema is checked with one read; it is imported
# only to migrate), the Zoom emulator (imported when the sandbox is used), the report's renderers
# (Jinja templates and charts: imported when a report or pack is asked for).
DEFERRED = (
    "alembic",
    "integrations.zoom_emulator",
    "app.report.render",
    "app.report.attendance_render",
    "app.report.charts",
)
# Not imported before uvicorn listens: the application itself (app/cli/starting.py builds it behind
# a /healthz that answers at once), nor what a SQLite file's "any event stored?" would cost with it.
APPLICATION = ("app.main", "app.bootstrap", "fastapi", "sqlalchemy", "schedules.model", "alembic")


def test_the_served_app_and_its_start_import_neither_alembic_nor_the_emulator_nor_the_report_renderers():
    code = (
        "import json, sys\n"
        "import app.cli.run_cmds, app.main, app.bootstrap\n"
        f"print(json.dumps(sorted(m for m in {DEFERRED!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_serve_listens_before_it_imports_the_application(tmp_path):
    """What `serve` runs before uvicorn listens, on an empty SQLite file and on a new one: the
    command's module, its front, the stored-events look, the settings it prints."""
    (tmp_path / "empty.db").touch()
    urls = [f"sqlite:///{tmp_path / name}" for name in ("empty.db", "new.db")]
    code = (
        "import asyncio, json, sys\n"
        "import uvicorn, app.cli.run_cmds as r, app.cli.starting, app.core.logs, app.core.public_url\n"
        "from app.core.config import Settings\n"
        f"found = [asyncio.run(r._stored_events(u)) for u in {urls!r}]\n"
        "r._public_settings(Settings(_env_file=None), '127.0.0.1', 8000)\n"
        f"print(json.dumps([found, sorted(m for m in {APPLICATION!r} if m in sys.modules)]))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # (the empty file cannot say: never migrated, so it is checked; the new one holds nothing)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[True, False], []]


def test_the_newest_migration_is_read_without_alembic_as_alembic_reads_it():
    alembic = ScriptDirectory.from_config(store_db.alembic_config("sqlite://")).get_heads()
    assert store_db.migration_heads() == frozenset(alembic) != frozenset()


async def test_migrating_a_current_database_does_not_run_alembic(sqlite_url, monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(store_db, "_upgrade", lambda url: ran.append(url))
    await store_db.migrate(sqlite_url)  # (the fixture's database is migrated already)
    assert ran == []


async def test_a_new_database_is_migrated(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    assert not await store_db._at_head(url)
    await store_db.migrate(url)
    assert await store_db._at_head(url)


class _Served(Exception):
    """Raised where `serve` would hand the app to uvicorn."""


def test_serve_on_an_empty_database_starts_the_service_once(sqlite_url, monkeypatch):
    """With no files and no stored event there are no targets to check before answering: the
    service is started once, by uvicorn's lifespan, not once more before it."""
    from app.core.config import Settings

    started: list[str] = []

    async def counting(action):
        started.append("before serving")
        return {}

    def create_app(*args, **kwargs):
        raise AssertionError("the application is built by the server's front, once it listens")

    def server(*args, **kwargs):
        raise _Served

    class Sock:
        def close(self) -> None:
            pass

    monkeypatch.setattr(run_cmds, "_with_runtime", counting)
    monkeypatch.setattr(run_cmds, "_closing_server", server)
    settings = Settings(_env_file=None, database_url=sqlite_url)
    serve = (settings, Sock(), "127.0.0.1", 8000, run_cmds.LogFormat.text, False, None, create_app)
    for files in (False, True):  # files to load: started first to load them and check their targets
        with contextlib.suppress(_Served):
            run_cmds._serve_locked(*serve, files)
    assert started == ["before serving"]


async def test_an_event_stored_or_a_database_that_cannot_say_needs_the_check(sqlite_url, tmp_path, service_for):
    assert await run_cmds._stored_events(sqlite_url) is False
    assert await run_cmds._stored_events(f"sqlite+aiosqlite:///{tmp_path / 'not-yet.db'}") is False  # a first start
    (tmp_path / "never-migrated.db").touch()
    assert await run_cmds._stored_events(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}") is True
    await service_for(sqlite_url, bangkok(13, 0))  # loads the Mekong schedule
    assert await run_cmds._stored_events(sqlite_url) is True
