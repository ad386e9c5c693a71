"""`serve` answers /healthz sooner: what the first answer does not need is not done before it.
Counted, never timed: which modules the served app imports, how often the service is started."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

from alembic.script import ScriptDirectory

from app.cli import run_cmds
from app.store import db as store_db
from tests.fixtures import MEKONG, ROOT

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


def test_serve_listens_before_it_imports_the_application():
    """What `serve` runs before uvicorn listens (without files to load): the command's module, its
    front, the settings it prints; a restart's look at what is stored happens in the service's start."""
    code = (
        "import json, sys\n"
        "import uvicorn, app.cli.run_cmds as r, app.cli.starting, app.core.logs, app.core.public_url\n"
        "from app.core.config import Settings\n"
        "r._public_settings(Settings(_env_file=None), '127.0.0.1', 8000)\n"
        f"print(json.dumps(sorted(m for m in {APPLICATION!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


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


def test_a_restart_starts_the_service_once_and_files_are_loaded_before_it_listens(sqlite_url, monkeypatch):
    """Without files (a restart, whatever is stored) the service is started once, by uvicorn's
    lifespan, with the stored targets' check inside it; files are loaded (and checked) first."""
    from app.core.config import Settings

    started: list[str] = []
    built: list[object] = []

    async def counting(action):
        started.append("before serving")
        return {}

    def create_app(settings, streams, before_serving):
        built.append(before_serving)
        raise AssertionError("the application is built by the server's front, once it listens")

    def server(*args, **kwargs):
        raise _Served

    class Sock:
        def close(self) -> None:
            pass

    monkeypatch.setattr(run_cmds, "_with_runtime", counting)
    monkeypatch.setattr(run_cmds, "_closing_server", server)
    settings = Settings(_env_file=None, database_url=sqlite_url)
    serve = (settings, Sock(), "127.0.0.1", 8000, run_cmds.LogFormat.text, False)
    with contextlib.suppress(_Served):
        run_cmds._serve_locked(*serve, [], create_app)
    assert started == []
    with contextlib.suppress(_Served):
        run_cmds._serve_locked(*serve, [("a.yaml", "event: {}")], create_app)
    assert started == ["before serving"]
    assert built == []  # (built later, in the front's thread)


async def test_a_check_before_serving_that_refuses_starts_nothing(sqlite_url, monkeypatch):
    """A restart whose stored event has a target it cannot use: `serve`'s check runs once every
    event is restored, and when it refuses, the timer, the worker and the inbox never start."""
    from app import bootstrap
    from app.core.config import Settings
    from app.core.failures import ExitCode, Failure

    for name in [n for n in os.environ if n.startswith("SHOWCALLER_")]:
        monkeypatch.delenv(name)  # (the targets' variables unset, as on a machine that lost its .env)
    settings = Settings(_env_file=None, database_url=sqlite_url)
    async with bootstrap.started(settings, run_timer=False, run_worker=False) as stored:
        await stored.run.load_schedule(MEKONG.read_text(encoding="utf-8"), str(MEKONG))
    seen: dict[str, object] = {}

    async def check(services) -> None:
        seen["problems"] = run_cmds._target_problems(services)
        seen["services"] = services
        run_cmds._refuse_or_warn(seen["problems"], allow_missing_targets=False)

    try:
        async with bootstrap.started(settings, before_serving=check):
            raise AssertionError("started although a target cannot be used")
    except Failure as exc:
        assert exc.exit_code == ExitCode.TARGETS and "target(s) cannot be used" in exc.message
    services = seen["services"]
    assert list(seen["problems"]) == ["mekong-dialogue-2022"] and seen["problems"]["mekong-dialogue-2022"]
    assert services.member.running() == {"timer": False, "delivery_worker": False}  # (never started)
