"""Commands that touch Zoom: apply (converge Zoom to the schedule), status, and the local emulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.output import console, errors, load_or_exit
from app.cli.run_cmds import _with_runtime
from app.config import get_settings
from integrations.zoom import ZoomError

SANDBOX_NOTE = ("SANDBOX: no Zoom credentials are set (SHOWCALLER_ZOOM_ACCOUNT_ID, _CLIENT_ID, _CLIENT_SECRET), "
                "so the local Zoom emulator stands in; nothing is created in your Zoom account.")


@app.command()
def apply(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the changes without making them")] = False,
) -> None:
    """Create or update the Zoom meeting/webinar (hosts, panelists, interpreters, rooms) and plan every cue."""
    from app.zoom_sync import ZoomSetupError, apply_schedule, plan_only, sandbox_users, zoom_access

    schedule = load_or_exit(str(file))
    text = file.read_text(encoding="utf-8")
    settings = get_settings()
    if settings.sandbox:
        errors.print(SANDBOX_NOTE)

    async def run(runtime):
        if not dry_run:
            await runtime.run.load_schedule(text, str(file))
        async with zoom_access(settings, sandbox_users(schedule)) as access:
            if dry_run:
                return await plan_only(runtime.db, access, schedule), None
            return await apply_schedule(runtime.db, access, schedule, datetime.now(UTC))

    try:
        plan, result = asyncio.run(_with_runtime(run))
    except ZoomSetupError as exc:
        errors.print(f"{file}: {exc}")
        raise typer.Exit(2) from None
    except ZoomError as exc:
        errors.print(f"Zoom refused: HTTP {exc.status} code {exc.code}: {exc.message}")
        raise typer.Exit(1) from None
    console.print(plan.render(), markup=False)
    if result is None:
        console.print("dry run: nothing was changed")
        return
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    verb = "created" if result.created else "updated" if result.write_calls else "unchanged"
    console.print(f"{schedule.zoom.kind} {result.id}: {verb} ({result.write_calls} write calls)")
    if result.join_url:
        console.print(f"join: {result.join_url}", markup=False)
    timeline_cues = len(asyncio.run(_with_runtime(lambda rt: _count_cues(rt, schedule.event.id))))
    console.print(f"planned {timeline_cues} cues for {schedule.event.id}")


async def _count_cues(runtime, event_id: str):
    from app.store import outbox_repo

    async with runtime.db.begin() as conn:
        return [r for r in await outbox_repo.list_cues(conn, event_id) if r.status in ("pending", "held")]


@app.command()
def status(file: Annotated[Path, typer.Argument(help="the schedule file")]) -> None:
    """Show the Zoom meeting recorded for a schedule: ids, links, when it was applied."""
    from app.zoom_sync import stored

    schedule = load_or_exit(str(file))
    row = asyncio.run(_with_runtime(lambda rt: stored(rt.db, schedule.event.id)))
    if row is None:
        errors.print(f"{schedule.event.id}: not applied yet; run `showcaller apply {file}`")
        raise typer.Exit(1)
    where = "sandbox emulator" if row.sandbox else "Zoom"
    applied = f"{row.applied_at:%Y-%m-%d %H:%M} UTC"
    console.print(f"{schedule.event.id}: {row.kind} {row.zoom_id} in {where}, applied {applied}")
    for label, value in (("host", row.host), ("join", row.join_url), ("start (host only)", row.start_url),
                         ("registration", row.registration_url), ("uuid", row.uuid)):
        if value:
            console.print(f"  {label}: {value}", markup=False)


@app.command("zoom-emulator")
def zoom_emulator(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 9901,
    webhook_url: Annotated[str | None, typer.Option(help="where simulated meeting events are sent")] = None,
    secret: Annotated[str, typer.Option(help="webhook secret token it signs with")] = "emulator-secret-token",
) -> None:
    """Run the local Zoom emulator as a server (REST API, OAuth token endpoint, live meeting simulation)."""
    from integrations.zoom_emulator.server import run

    console.print(f"Zoom emulator on http://127.0.0.1:{port} (REST under /v2, token at /oauth/token, "
                  f"admin under /_emulator); webhooks to {webhook_url or 'nowhere'}")
    # Compress Zoom's 5/20/60-minute webhook retries so a failing receiver does not hold a request for an hour.
    run(port=port, webhook_url=webhook_url, webhook_secret=secret, retry_scale=0.01)
