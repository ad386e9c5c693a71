"""`showcaller events repair|remove ID`: deal with an event quarantined at start-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.output import INVALID, catalog_search, console, errors
from app.core.config import get_settings

events_app = typer.Typer(
    help="Repair or remove a stored event (e.g. one quarantined at start-up).", no_args_is_help=True
)
app.add_typer(events_app, name="events")
NOT_FOUND = 1


async def _with_db(action):
    from app.store.db import create_engine, migrate

    url = get_settings().database_url
    await migrate(url)
    db = create_engine(url)
    try:
        return await action(db)
    finally:
        await db.dispose()


@events_app.command("repair")
def repair(
    event_id: Annotated[str, typer.Argument(help="the event id (GET /api/events lists quarantined ones)")],
    file: Annotated[Path | None, typer.Option(help="a corrected schedule file (default: the stored text)")] = None,
    drop_unreadable_actions: Annotated[
        bool, typer.Option(help="delete run-log entries that cannot be read (they are listed first)")
    ] = False,
) -> None:
    """Re-validate a stored event (schedule and run log) and store it again; restart `serve` to run it."""
    from app.store.event_repair import RepairError, repair_event

    text = file.read_text(encoding="utf-8") if file else None

    async def act(db):
        async with db.begin() as conn:
            return await repair_event(
                conn,
                event_id,
                text,
                str(file) if file else None,
                datetime.now(UTC),
                drop_unreadable=drop_unreadable_actions,
                catalogs=catalog_search(),
            )

    try:
        report = asyncio.run(_with_db(act))
    except RepairError as exc:
        for line in str(exc).splitlines():
            errors.print(line, markup=False)
        raise typer.Exit(NOT_FOUND if exc.missing else INVALID) from None
    for line in report:
        console.print(line, markup=False)


@events_app.command("remove")
def remove(
    event_id: Annotated[str, typer.Argument(help="the event id")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Delete an event with its run log, cues and deliveries (cannot be undone)."""
    from app.store import events_repo

    if not yes:
        typer.confirm(f"Delete event '{event_id}' with its run log, cues and deliveries?", abort=True)

    async def act(db):
        async with db.begin() as conn:
            if await events_repo.get_event(conn, event_id) is None:
                return False
            await events_repo.delete_event(conn, event_id)
            return True

    if not asyncio.run(_with_db(act)):
        errors.print(f"no event '{event_id}' in this database", markup=False)
        raise typer.Exit(NOT_FOUND)
    console.print(f"removed event '{event_id}'; restart `showcaller serve` if it is running", markup=False)
