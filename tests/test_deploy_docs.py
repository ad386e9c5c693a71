"""docs/deploy.md and docs/zoom-app.md checked against the code, step by step where a step can be.

- The Zoom scopes the docs list are the granular scopes Zoom's own OpenAPI files declare for the
  operations the product calls: the calls are found in the source (every ZoomClient method called
  outside the client, with the flags each call site can pass), replayed on a client whose transport
  records each request, and matched to the spec's operations.
- The webhook events the docs list are the ones the ingestion handles and Zoom's webhook spec has.
- Every setting, `showcaller` command, path and port the pages name exists and agrees.
- The SQLite backup command, run as written, makes a copy at the same schema revision.
"""

from __future__ import annotations

import ast
import asyncio
import configparser
import importlib
import inspect
import itertools
import json
import pkgutil
import re
import shlex
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer._click.exceptions import BadParameter  # typer's vendored click: the one its commands raise

from app.api.webhooks import EVENTS
from app.attendance.facts import KINDS, OBJECTS
from app.cli import app as cli_app
from app.core.config import Settings
from app.core.failures import ExitCode
from app.zoom.doctor import WEBHOOK_PATH
from integrations.zoom import ZoomClient
from integrations.zoom.errors import ZoomError
from integrations.zoom.preflight import _has_scope, needed_scopes
from integrations.zoom.spec import MeetingSpec
from tests.conftest import IN_CI, ROOT
from tests.zoom.openapi_contract import OpenApiContract

DEPLOY = ROOT / "docs" / "deploy.md"
ZOOM_APP = ROOT / "docs" / "zoom-app.md"
SPEC_DIR = ROOT / "tests" / "data" / "zoom-spec"
# Where the product's Zoom calls may be: all the source but the client itself and the emulator.
SOURCE_DIRS = ("app", "integrations", "schedules")
NOT_PRODUCT = ("integrations/zoom/client.py", "integrations/zoom/live_client.py", "integrations/zoom_emulator/")


# --- reading the docs -------------------------------------------------------------------------


def _marked(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {re.escape(marker)} -->(.*?)<!-- /", text, re.S)
    assert match, f"no <!-- {marker} --> block"
    return match.group(1)


def _first_cells(block: str) -> list[str]:
    """The backticked value of each table row's first cell (header and rule rows have none)."""
    return [m.group(1) for m in re.finditer(r"^\s*\| `([^`]+)` \|", block, re.M)]


def _code_blocks(text: str, lang: str = "") -> list[str]:
    return [m.group(2) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S) if not lang or m.group(1) == lang]


# --- the scopes the product needs ---------------------------------------------------------------


def _client_methods() -> dict[str, Any]:
    return {
        name: fn for name, fn in inspect.getmembers(ZoomClient, inspect.iscoroutinefunction) if not name.startswith("_")
    }


def _product_calls() -> list[tuple[str, str, dict[str, Any]]]:
    """(file, ZoomClient method, keyword arguments: their constant value, or ... when computed)."""
    methods = _client_methods()
    calls = []
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(NOT_PRODUCT):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
                    kwargs = {
                        k.arg: k.value.value if isinstance(k.value, ast.Constant) else ...
                        for k in node.keywords
                        if k.arg
                    }
                    calls.append((rel, node.func.attr, kwargs))
    return calls


def _sample(name: str) -> Any:
    """An argument for a required parameter of a ZoomClient method, by its name."""
    return {
        "user_id": "host@example.org",
        "body": {},
        "panelists": [{"name": "Pat", "email": "pat@example.org"}],
        "panelist_id": "pan-1",
        "action": "start",  # a recording move or a live stream's start (issue 29's live controls)
        "poll_id": "poll-1",
    }.get(name, 81234567890)


async def _requests_of(calls: list[tuple[str, str, dict[str, Any]]]) -> set[tuple[str, str]]:
    """Every (method, path) the calls send: each is replayed with every flag value its site can pass."""
    methods, sent = _client_methods(), set()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 3600})
        sent.add((request.method, request.url.path.removeprefix("/v2")))
        return httpx.Response(404, json={"code": 3001, "message": "recorded"})  # ends the call at once

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = ZoomClient(
            http, api_base="http://zoom.test/v2", oauth_base="http://zoom.test", account_id="a", client_id="c",
            client_secret="s",
        )  # fmt: skip
        for _, name, kwargs in calls:
            args, flags = {}, {}
            for pname, param in list(inspect.signature(methods[name]).parameters.items())[1:]:
                if param.kind is param.KEYWORD_ONLY and isinstance(param.default, bool):
                    value = kwargs.get(pname, param.default)
                    flags[pname] = [True, False] if value is ... else [value]
                elif param.default is param.empty:
                    args[pname] = _sample(pname)
            for combo in itertools.product(*flags.values()):
                try:
                    await getattr(client, name)(**args, **dict(zip(flags, combo, strict=True)))
                except ZoomError:
                    pass
    return sent


def _specs() -> list[dict[str, Any]]:
    names = ("zoom-meeting-open-api-spec.json", "zoom-users-open-api-spec.json")
    return [json.loads((SPEC_DIR / name).read_text()) for name in names]


def _operations_used() -> list[dict[str, Any]]:
    contract = OpenApiContract(*_specs())
    sent = asyncio.run(_requests_of(_product_calls()))
    ops = {}
    for method, path in sent:
        op, _ = contract.find(method, path)
        ops[(op.method, op.template)] = op.op
    assert len(ops) >= 10, f"too few Zoom operations found: {sorted(ops)}"
    return list(ops.values())


@pytest.fixture(scope="module")
def operations() -> list[dict[str, Any]]:
    return _operations_used()


def test_the_product_calls_are_found_where_apply_doctor_and_the_pack_make_them():
    found = {(file, method) for file, method, _ in _product_calls()}
    assert ("integrations/zoom/converge.py", "create_meeting") in found
    assert ("integrations/zoom/preflight.py", "get_user") in found
    assert ("app/attendance/reconcile.py", "list_past_participants") in found


def test_granular_scopes_in_the_docs_are_exactly_those_of_the_operations_the_product_calls(operations):
    """A Server-to-Server app acts for the account: the `:admin` form of each operation's granular scope."""
    needed = set()
    for op in operations:
        admin = [s for s in op["x-extensions"]["x-granular-scopes"] if s.endswith(":admin")]
        assert len(admin) == 1, f"{op['operationId']}: {admin}"
        assert admin[0] in op["security"][0]["openapi_oauth"]  # the spec's security requirement
        needed.add(admin[0])
    listed = _first_cells(_marked(ZOOM_APP.read_text(), "scopes: granular"))
    assert len(listed) == len(set(listed)), "a scope is listed twice"
    assert set(listed) == needed


def test_classic_scopes_in_the_docs_cover_every_operation_and_none_is_spare(operations):
    listed = set(_first_cells(_marked(ZOOM_APP.read_text(), "scopes: classic")))
    covers = {scope: set() for scope in listed}
    for op in operations:
        macro = set(op["x-extensions"]["x-macro-scopes"])
        assert macro & listed, f"{op['operationId']} needs one of {sorted(macro)}"
        for scope in macro & listed:
            covers[scope].add(op["operationId"])
    for scope, ops in covers.items():
        others = set().union(*(covers[s] for s in listed - {scope}))
        assert ops - others, f"{scope} is not needed: the others cover {sorted(ops)}"


def test_an_app_with_the_documented_scopes_passes_the_doctors_scope_check():
    granted = set(_first_cells(_marked(ZOOM_APP.read_text(), "scopes: granular")))
    webinar = MeetingSpec.model_validate(
        {"kind": "webinar", "host_user": "h@example.org", "topic": "T", "start_time": "2030-01-01T10:00:00Z",
         "duration_minutes": 60}
    )  # fmt: skip
    assert [family for family in needed_scopes(webinar) if not _has_scope(granted, family)] == []


# --- webhooks -------------------------------------------------------------------------------


def test_the_webhook_events_in_the_docs_are_the_ones_the_ingestion_handles():
    spec = json.loads((SPEC_DIR / "zoom-meeting-events-open-api-spec.json").read_text())["webhooks"]
    handled = {f"{obj}.{suffix}" for obj in OBJECTS for suffix in KINDS} & set(spec)
    assert set(EVENTS) == handled  # what the route declares is what the facts read
    listed = _first_cells(_marked(ZOOM_APP.read_text(), "events"))
    assert len(listed) == len(set(listed))
    assert set(listed) == handled


def test_the_webhook_url_in_the_docs_is_the_route_and_the_doctors_probe():
    from app.api.webhooks import router

    assert WEBHOOK_PATH in {route.path for route in router.routes}
    assert f"`https://YOUR-HOST{WEBHOOK_PATH}`" in ZOOM_APP.read_text()


# --- settings, commands, links ------------------------------------------------------------------


@pytest.mark.parametrize("page", [DEPLOY, ZOOM_APP], ids=lambda p: p.name)
def test_every_setting_named_is_a_setting(page):
    prefix = Settings.model_config["env_prefix"]
    known = {prefix + name.upper() for name in Settings.model_fields}
    named = set(re.findall(rf"\b{prefix}[A-Z0-9_]+\b", page.read_text()))
    assert named and named <= known, sorted(named - known)


def _showcaller_lines(page: Path) -> list[list[str]]:
    lines = []
    for block in _code_blocks(page.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.split("  #")[0].strip(), comments=True) if line.strip() else []
            if words and (words[0] == "showcaller" or words[0].endswith("/bin/showcaller")):
                lines.append(words[1:])
    ini = _unit()
    lines.append(shlex.split(ini["Service"]["ExecStart"])[1:])
    return lines


def _rest(ctx: Any) -> list[str]:
    """What a group left for its subcommand (typer's vendored click keeps it in `_protected_args`)."""
    return [*getattr(ctx, "_protected_args", getattr(ctx, "protected_args", [])), *ctx.args]


def _parse(args: list[str]) -> Any:
    """Parse a command line with the real CLI down to its command; nothing runs. Returns its context.
    Raises click's errors, except for a file that does not exist on this machine (event.yaml)."""
    import app.cli

    for module in pkgutil.iter_modules(app.cli.__path__):  # importing a command module registers it
        importlib.import_module(f"app.cli.{module.name}")
    command: Any = typer.main.get_command(cli_app)
    ctx = command.make_context("showcaller", list(args))
    while hasattr(command, "get_command") and _rest(ctx):
        name, *rest = _rest(ctx)
        command = command.get_command(ctx, name)
        assert command is not None, f"no command {name!r} in showcaller {' '.join(args)}"
        try:
            ctx = command.make_context(name, rest, parent=ctx)
        except BadParameter as exc:
            if "does not exist" not in exc.format_message():
                raise
            ctx = command.make_context(name, rest, parent=ctx, resilient_parsing=True)
    return ctx


@pytest.mark.parametrize("page", [DEPLOY, ZOOM_APP], ids=lambda p: p.name)
def test_every_showcaller_command_in_the_docs_parses(page):
    lines = _showcaller_lines(page)
    assert lines
    for args in lines:
        try:
            ctx = _parse(args)
        except Exception as exc:  # typer's vendored click raises its own UsageError
            pytest.fail(f"showcaller {' '.join(args)}: {exc}")
        assert not hasattr(ctx.command, "get_command"), f"showcaller {' '.join(args)} names no command"


def test_the_pages_link_to_files_that_exist_and_readme_links_both():
    for page in (DEPLOY, ZOOM_APP):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}"
    readme = (ROOT / "README.md").read_text()
    deployment = readme[readme.index("## Deployment") : readme.index("\n## ", readme.index("## Deployment") + 3)]
    assert "(docs/deploy.md)" in deployment and "(docs/zoom-app.md)" in deployment


# --- one server: systemd, Caddy, backups ----------------------------------------------------------


def _unit() -> configparser.ConfigParser:
    block = next(b for b in _code_blocks(DEPLOY.read_text(), "ini") if "[Service]" in b)
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read_string(block)
    return unit


def _caddy_upstream() -> tuple[str, str]:
    block = _code_blocks(DEPLOY.read_text(), "caddyfile")[0]
    site = re.match(r"(\S+) \{", block).group(1)
    return site, re.search(r"reverse_proxy (\S+)", block).group(1)


def test_the_unit_serves_on_loopback_where_caddy_proxies_without_buffering():
    service = _unit()["Service"]
    serve = _parse(shlex.split(service["ExecStart"])[1:])
    assert serve.info_name == "serve"
    assert serve.params["host"] == "127.0.0.1"
    _, upstream = _caddy_upstream()
    assert upstream == f"{serve.params['host']}:{serve.params['port']}"
    assert "flush_interval -1" in _code_blocks(DEPLOY.read_text(), "caddyfile")[0]
    assert service["WorkingDirectory"] == service["ReadWritePaths"]  # its .env and SQLite file live there


def test_the_unit_restarts_what_a_restart_mends_and_nothing_else():
    service = _unit()["Service"]
    assert service["Restart"] == "on-failure"
    prevented = {ExitCode(int(code)) for code in service["RestartPreventExitStatus"].split()}
    assert ExitCode.DATABASE not in prevented and ExitCode.LEASE_LOST not in prevented
    assert {ExitCode.SETTINGS, ExitCode.TARGETS, ExitCode.PORT, ExitCode.ALREADY_RUNNING} <= prevented


def test_the_public_url_is_the_caddy_site():
    site, _ = _caddy_upstream()
    assert f"SHOWCALLER_PUBLIC_URL=https://{site}" in DEPLOY.read_text()


async def test_the_sqlite_backup_command_copies_the_database_at_its_revision(tmp_path):
    from app.store.db import migrate

    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        if IN_CI:
            pytest.fail("the sqlite3 command is missing: apt-get install sqlite3")
        pytest.skip("the sqlite3 command is not installed")
    line = next(
        line.strip() for block in _code_blocks(DEPLOY.read_text(), "sh") for line in block.splitlines()
        if ".backup" in line
    )  # fmt: skip
    live = tmp_path / "srv" / "showcaller.db"
    live.parent.mkdir()
    await migrate(f"sqlite+aiosqlite:///{live}")
    (tmp_path / "backups").mkdir()
    command = line.replace("/srv/showcaller/", f"{live.parent}/").replace(
        "/var/backups/showcaller/", f"{tmp_path}/backups/"
    )
    assert command != line
    subprocess.run(["bash", "-c", command], check=True, timeout=60)
    (copy,) = (tmp_path / "backups").glob("showcaller-*.db")

    def revision(path: Path) -> list[tuple[str]]:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT version_num FROM alembic_version").fetchall()

    assert revision(copy) == revision(live) and revision(copy)


async def test_the_postgresql_backup_and_restore_commands_bring_the_database_back(tmp_path):
    """pg_dump as written, then pg_restore as written into an empty database: same schema revision
    and the same rows (a token made before the dump is there after the restore)."""
    import asyncpg

    from app.store.db import migrate
    from tests.fixtures.databases import admin, on, postgres_url

    base = postgres_url().replace("postgresql+asyncpg://", "postgresql://")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            if IN_CI:
                pytest.fail(f"{tool} is missing: apt-get install postgresql-client")
            pytest.skip(f"{tool} is not installed")
    text = DEPLOY.read_text().replace("\\\n", " ")
    dump = re.search(r"^\s*(pg_dump .*)$", text, re.M).group(1)
    restore = re.search(r"`(pg_restore [^`]*)`", text).group(1)
    documented_url = "postgresql://showcaller:PASSWORD@127.0.0.1:5432/showcaller"
    assert dump.count(documented_url) == 1 and restore.count(documented_url) == 1

    names = [f"showcaller_b_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for name in names:
        await admin(f'CREATE DATABASE "{name}"')
    try:
        live, restored = (on(base, name) for name in names)
        await migrate(live)
        conn = await asyncpg.connect(live)
        try:
            await conn.execute("CREATE TABLE backup_probe (note text)")
            await conn.execute("INSERT INTO backup_probe VALUES ('made before the dump')")
        finally:
            await conn.close()
        (tmp_path / "backups").mkdir()
        dump = dump.replace(documented_url, live).replace("/var/backups/showcaller/", f"{tmp_path}/backups/")
        subprocess.run(["bash", "-c", dump], check=True, timeout=120)
        (file,) = (tmp_path / "backups").glob("showcaller-*.dump")
        restore = restore.replace(documented_url, restored).replace("FILE.dump", str(file))
        subprocess.run(["bash", "-c", restore], check=True, timeout=120)

        async def contents(url: str) -> tuple[list, list]:
            conn = await asyncpg.connect(url)
            try:
                revision = [tuple(r) for r in await conn.fetch("SELECT version_num FROM alembic_version")]
                return revision, [tuple(r) for r in await conn.fetch("SELECT note FROM backup_probe")]
            finally:
                await conn.close()

        assert await contents(restored) == await contents(live)
        assert (await contents(restored))[1] == [("made before the dump",)]
    finally:
        for name in names:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
