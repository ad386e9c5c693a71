"""`showcaller export EVENT` (the edited rundown as a schedule file, from the database) and the remote
`showcaller rundown insert|retime|amend|move|remove|export` commands (live rundown edits over the API)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.output import catalog_search, console, errors
from app.cli.remote_cmds import _act, _split, remote
from app.core.failures import ExitCode, Failure

rundown_app = typer.Typer(
    help="Edit the rundown of a running event (remote): insert, retime, amend, move, remove; export it.",
    no_args_is_help=True,
)
app.add_typer(rundown_app, name="rundown")
Output = Annotated[Path | None, typer.Option("--output", "-o", help="write to this file (default: print it)")]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        console.out(text, end="", highlight=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", markup=False)


@app.command()
def export(event_id: Annotated[str, typer.Argument(help="the event id")], output: Output = None) -> None:
    """Write the event's rundown as edited live (from the database) as a schedule file that `validate`
    and `load` accept, so the next edition starts from what really happened."""
    from app.cli.event_cmds import NOT_FOUND, _with_db
    from app.store import events_repo
    from schedules.export import export_yaml
    from schedules.load import load_text

    async def read(db):
        async with db.begin() as conn:
            row = await events_repo.get_event(conn, event_id)
            return (row, await events_repo.load_actions(conn, event_id)) if row else (None, [])

    row, actions = asyncio.run(_with_db(read))
    if row is None:
        errors.print(f"no event '{event_id}' is stored. Fix: `showcaller load FILE` first", markup=False)
        raise typer.Exit(NOT_FOUND)
    schedule = load_text(row.schedule_text, row.source, catalogs=catalog_search())
    _write(export_yaml(schedule, actions, f"Exported from {row.source}."), output)


def _minutes(minutes: float | None) -> float:
    if minutes is None:
        raise Failure("give --minutes (the length, 1 to 480)", ExitCode.INVALID)
    return minutes


@rundown_app.command("insert")
def insert(
    ctx: typer.Context,
    args: Annotated[list[str] | None, typer.Argument(help="[EVENT]", metavar="[EVENT]")] = None,
    title: Annotated[str | None, typer.Option(help="what the segment is called (default: its kind)")] = None,
    kind: Annotated[str, typer.Option(help="break, session, discussion, ...")] = "break",
    minutes: Annotated[float | None, typer.Option(help="its length")] = None,
    speaker: Annotated[list[str] | None, typer.Option("--speaker", help="a person id (repeat)")] = None,
    before: Annotated[str | None, typer.Option(help="place it before this upcoming segment")] = None,
    after: Annotated[str | None, typer.Option(help="place it after this upcoming segment")] = None,
) -> None:
    """(remote) Insert a break or a session before or after an upcoming segment; later ones move by its length."""
    event, _ = _split(list(args or []), (), 0)
    _act(
        ctx,
        event,
        "insert",
        title=title,
        kind=kind,
        minutes=_minutes(minutes),
        speakers=list(speaker) if speaker else None,
        before=before,
        after=after,
    )


@rundown_app.command("retime")
def retime(
    ctx: typer.Context,
    args: Annotated[list[str], typer.Argument(help="[EVENT] SEGMENT", metavar="[EVENT] SEGMENT")],
    minutes: Annotated[float | None, typer.Option(help="the new length")] = None,
) -> None:
    """(remote) Change an upcoming segment's length; the ones after it move by the difference."""
    event, (segment,) = _split(args, ("segment",))
    _act(ctx, event, "retime", segment=segment, minutes=_minutes(minutes))


@rundown_app.command("amend")
def amend(
    ctx: typer.Context,
    args: Annotated[list[str], typer.Argument(help="[EVENT] SEGMENT", metavar="[EVENT] SEGMENT")],
    title: Annotated[str | None, typer.Option(help="the new title")] = None,
    speaker: Annotated[list[str] | None, typer.Option("--speaker", help="a person id (repeat)")] = None,
) -> None:
    """(remote) Change an upcoming segment's title and/or speakers."""
    event, (segment,) = _split(args, ("segment",))
    _act(ctx, event, "amend", segment=segment, title=title, speakers=list(speaker) if speaker else None)


@rundown_app.command("move")
def move(
    ctx: typer.Context,
    args: Annotated[list[str], typer.Argument(help="[EVENT] SEGMENT", metavar="[EVENT] SEGMENT")],
    before: Annotated[str | None, typer.Option(help="move it before this upcoming segment")] = None,
    after: Annotated[str | None, typer.Option(help="move it after this upcoming segment")] = None,
) -> None:
    """(remote) Move an upcoming segment before or after another upcoming one."""
    event, (segment,) = _split(args, ("segment",))
    _act(ctx, event, "move", segment=segment, before=before, after=after)


@rundown_app.command("remove")
def remove(
    ctx: typer.Context,
    args: Annotated[list[str], typer.Argument(help="[EVENT] SEGMENT", metavar="[EVENT] SEGMENT")],
) -> None:
    """(remote) Remove an upcoming segment; the ones after it move earlier by its length."""
    event, (segment,) = _split(args, ("segment",))
    _act(ctx, event, "remove", segment=segment)


@rundown_app.command("export")
def export_remote(
    ctx: typer.Context,
    args: Annotated[list[str] | None, typer.Argument(help="[EVENT]", metavar="[EVENT]")] = None,
    output: Output = None,
) -> None:
    """(remote) The running event's rundown as edited live, as a schedule file (organiser token)."""
    event, _ = _split(list(args or []), (), 0)
    with remote(ctx) as client:
        text = client.text(f"/api/events/{client.event_id(event)}/rundown/export")
    _write(text, output)
