"""Commands that run the service: serve, rehearse, demo, and API tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli import app
from app.cli.output import INVALID, console, errors, load_or_exit
from app.config import get_settings

token_app = typer.Typer(help="Create, list and revoke API tokens (stored hashed).", no_args_is_help=True)
app.add_typer(token_app, name="token")


MEKONG = Path("schedules/events/mekong-dialogue-2022.yaml")


class Role(StrEnum):
    organiser = "organiser"
    host = "host"
    viewer = "viewer"


async def _with_runtime(action):
    """Run `action(runtime)` against the configured database with no timer or worker running."""
    from app.runtime import Runtime

    runtime = Runtime(get_settings())
    await runtime.start(run_timer=False, run_worker=False)
    try:
        return await action(runtime)
    finally:
        await runtime.stop()


@app.command()
def serve(
    files: Annotated[list[Path] | None, typer.Argument(help="schedule files to load (stored in the database)")] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Run the service: REST API, console, Zoom webhooks, cue timer and deliveries."""
    import uvicorn

    from app.main import create_app

    texts = [(str(path), path.read_text(encoding="utf-8")) for path in files or []]
    for path, _ in texts:
        load_or_exit(path)

    async def preload(runtime):
        for path, text in texts:
            schedule = await runtime.run.load_schedule(text, path)
            for target, problem in runtime.targets(schedule.event.id).problems.items():
                errors.print(f"warning: target '{target}' cannot be used: {problem}", markup=False)
        return runtime.engine.event_ids()

    settings = get_settings()
    loaded = asyncio.run(_with_runtime(preload))
    mode = "SANDBOX (local Zoom emulator; no Zoom credentials set)" if settings.sandbox else "Zoom API"
    console.print(f"Showcaller on http://{host}:{port}  database: {_safe_url(settings.database_url)}  zoom: {mode}")
    for event_id in loaded:
        console.print(f"  console: http://{host}:{port}/console/{event_id}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="organiser: everything; host: run controls; viewer: read only")],
    name: Annotated[str, typer.Option(help="who or what uses it")] = "token",
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from app.store import tokens_repo

    async def create(runtime):
        async with runtime.db.begin() as conn:
            return await tokens_repo.create_token(conn, name, role.value, datetime.now(UTC))

    token_id, token = asyncio.run(_with_runtime(create))
    errors.print(f"created {role.value} token '{name}' (id {token_id}); it is shown only once:")
    console.print(token, markup=False)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never the tokens themselves)."""
    from app.store import tokens_repo

    async def rows(runtime):
        async with runtime.db.begin() as conn:
            return await tokens_repo.list_tokens(conn)

    table = Table("id", "name", "role", "created", "revoked")
    for row in asyncio.run(_with_runtime(rows)):
        table.add_row(row.id, row.name, row.role, f"{row.created_at:%Y-%m-%d %H:%M}",
                      f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "")
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the id shown by `token list`")]) -> None:
    """Revoke a token; it stops working at once."""
    from app.store import tokens_repo

    async def revoke(runtime):
        async with runtime.db.begin() as conn:
            return await tokens_repo.revoke_token(conn, token_id, datetime.now(UTC))

    if not asyncio.run(_with_runtime(revoke)):
        errors.print(f"no active token with id '{token_id}'")
        raise typer.Exit(1)
    console.print(f"revoked {token_id}")


@app.command()
def rehearse(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    speed: Annotated[float, typer.Option(help="how many times faster than real time")] = 60.0,
    port: Annotated[int, typer.Option(help="port for the console and API (a free one if taken)")] = 8000,
    auto_timers: Annotated[bool, typer.Option(help="start each respondent's timer when their slot comes")] = True,
    keep_open: Annotated[float, typer.Option(help="seconds to keep the console up after the end")] = 0.0,
    database_url: Annotated[str | None, typer.Option(help="default: ./showcaller-rehearsal.db")] = None,
) -> None:
    """Run the whole agenda at N times speed against the sandbox Zoom and local receivers."""
    from app.rehearsal import rehearse as run

    load_or_exit(str(file))
    if speed <= 0 or speed > 3600:
        errors.print("--speed must be between 0 and 3600")
        raise typer.Exit(INVALID)
    summary = asyncio.run(run(str(file), speed=speed, console=console, port=port, auto_timers=auto_timers,
                              database_url=database_url, keep_open=keep_open))
    console.print(f"\n[bold]Rehearsal finished[/]: {summary.fired} cues fired ({summary.late} late), "
                  f"{summary.skipped} skipped, {summary.timers} respondent timers run")
    console.print("Deliveries: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.deliveries.items())))
    console.print("Received by the local receivers: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(summary.received.items())))
    if summary.webhooks:
        console.print(f"Zoom webhooks from the sandbox meeting: {summary.webhooks}; attendance: "
                      f"{summary.attendance.get('unique', 0)} people, peak {summary.attendance.get('peak', 0)} "
                      "(see `showcaller report` with --database-url ./showcaller-rehearsal.db)")
    if summary.deliveries.get("parked") or summary.deliveries.get("expired"):
        raise typer.Exit(1)


@app.command()
def demo(
    file: Annotated[Path, typer.Argument(help="the schedule file")] = MEKONG,
    speed: Annotated[float, typer.Option(help="how many times faster than real time")] = 180.0,
) -> None:
    """The quick-start demo: validate and plan the schedule, then rehearse it at high speed."""
    from app.cli.schedule_cmds import plan

    load_or_exit(str(file))
    plan(file, tz=None)
    rehearse(file, speed=speed, port=8000, auto_timers=True, keep_open=0.0, database_url=None)


@app.command()
def receiver(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 9902,
    webhook_secret: Annotated[str | None, typer.Option(help="whsec_... key to verify signed webhooks")] = None,
    zoom_chat_token: Annotated[str | None, typer.Option(help="verification token zoom_chat must send")] = None,
) -> None:
    """Run local receivers for every target kind and print what people would see in each tool."""
    from integrations.receivers.server import run

    console.print(f"Local receivers on http://127.0.0.1:{port}: /slack/NAME /teams/NAME /zoom_chat/NAME "
                  f"/discord/NAME /webhook/NAME; received messages at /_received")
    run(port=port, webhook_secret=webhook_secret, zoom_chat_token=zoom_chat_token, console=console)
