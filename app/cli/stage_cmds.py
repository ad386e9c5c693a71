"""Commands for the people on stage: their presenter links, calendar invites and run sheets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.output import catalog_search, console, errors, load_or_exit
from app.cli.run_cmds import _with_runtime
from app.core.public_url import LOCAL_URL, PublicUrlMissing, required

Local = Annotated[
    bool,
    typer.Option(
        "--local",
        help=f"links for this machine only ({LOCAL_URL}) when SHOWCALLER_PUBLIC_URL is not set",
    ),
]


def _public_url(local: bool) -> str:
    """The base of the links handed out; without SHOWCALLER_PUBLIC_URL (and --local) one line, exit 2."""
    from app.core.config import get_settings

    try:
        return required(get_settings(), local=local)
    except PublicUrlMissing as exc:
        errors.print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _store(file: Path):
    """Load and validate the file; the command then stores it (as `apply` does) so links and invites stick."""
    return load_or_exit(str(file)), file.read_text(encoding="utf-8")


@app.command("stage-links")
def stage_links(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    revoke: Annotated[str | None, typer.Option(help="revoke this person's link (a new one is made next time)")] = None,
    rotate: Annotated[
        str | None, typer.Option(help="a new link for this person (shown once); their old link stops working")
    ] = None,
    local: Local = False,
) -> None:
    """Each speaker's, moderator's and named respondent's personal presenter link: shown once, when made."""
    from app.cluster.writes import announce_access
    from app.stage.links import ensure_links, rotate_link, stage_people
    from app.store import tokens_repo

    schedule, text = _store(file)
    if revoke and rotate:
        errors.print("--revoke and --rotate: give one of them")
        raise typer.Exit(2)
    person = revoke or rotate
    if person is not None and schedule.person(person) is None:
        errors.print(f"{file}: no person '{person}' in {schedule.event.id}")
        raise typer.Exit(2)
    on_stage = next((p for p in stage_people(schedule) if p.id == rotate), None)
    if rotate and on_stage is None:
        errors.print(f"{file}: '{rotate}' does not take the stage in {schedule.event.id}, so has no presenter link")
        raise typer.Exit(2)
    public_url = "" if revoke else _public_url(local)  # revoking hands out no link

    async def run(runtime):
        await runtime.engine.load_schedule(text, str(file))
        async with runtime.db.begin() as conn:
            if revoke:
                if schedule.person(revoke) is None:
                    return None
                revoked = await tokens_repo.revoke_stage_link(conn, schedule.event.id, revoke, datetime.now(UTC))
                if revoked:  # its open presenter views close on every serving instance
                    await announce_access(conn, runtime.instance_id)
                return revoked
            if on_stage is not None:
                rotated = await rotate_link(conn, schedule, on_stage, public_url, datetime.now(UTC))
                await announce_access(conn, runtime.instance_id)  # the old link's open views close everywhere
                return rotated
            return await ensure_links(conn, schedule, public_url, datetime.now(UTC))

    result = asyncio.run(_with_runtime(run))
    if revoke:
        console.print(f"revoked {result} stage link(s) of {revoke}; run stage-links again for a new one")
        return
    if rotate:
        link, revoked = result
        errors.print(f"revoked {revoked} old link(s) of {rotate}; the new one is shown only now:")
        console.print(f"{link.person}\t{link.name}\t{link.url}", markup=False)
        return
    for link in result:
        shown = (
            f"{link.url}  (new: shown only now)"
            if link.url
            else f"link made {link.made_at:%Y-%m-%d %H:%M} UTC, shown then (--rotate {link.person} for a new one)"
        )
        console.print(f"{link.person}\t{link.name}\t{shown}", markup=False)


@app.command()
def invites(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    out: Annotated[Path, typer.Option(help="directory for the .ics files")] = Path("invites"),
    new_links: Annotated[
        bool, typer.Option("--new-links", help="put a new presenter link in each invite; the old links stop working")
    ] = False,
    local: Local = False,
) -> None:
    """One calendar invite (.ics, METHOD:REQUEST) per named person; re-run after an edit to send updates.

    A presenter link is shown once: an invite carries one when it hands out a new link."""
    from app.core.config import get_settings
    from app.stage.invites import build_invites

    schedule, text = _store(file)
    settings = get_settings()
    public_url = _public_url(local)

    async def run(runtime):
        await runtime.engine.load_schedule(text, str(file))
        return await build_invites(
            runtime.db, settings, schedule, datetime.now(UTC), new_links=new_links, public_url=public_url
        )

    made = asyncio.run(_with_runtime(run))
    out.mkdir(parents=True, exist_ok=True)
    for invite in made:
        (out / invite.filename).write_bytes(invite.ics)
        call = invite.part.call
        fresh = "\twith a new presenter link" if invite.part.presenter and invite.part.presenter.url else ""
        console.print(
            f"{out / invite.filename}\tSEQUENCE {invite.sequence}\tcall {call:%Y-%m-%d %H:%M} UTC{fresh}",
            markup=False,
        )
    console.print(f"{len(made)} invites for {schedule.event.id} in {out}")


@app.command()
def runsheet(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    person: Annotated[str, typer.Option(help="the person's id in the file")],
    format: Annotated[str, typer.Option("--format", help="html or pdf (printed by Chromium)")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="where to write (default: <person>-runsheet.<format>)")
    ] = None,
) -> None:
    """A person's run sheet: their times in their own zone, what to prepare, who introduces them, their question."""
    from app.core.config import get_settings
    from app.stage.runsheet import RunSheetError, print_pdf, runsheet_html

    if format not in ("html", "pdf"):
        errors.print(f"--format: '{format}' is not html or pdf")
        raise typer.Exit(2)
    schedule = load_or_exit(str(file))
    target = out or Path(f"{person}-runsheet.{format}")
    try:
        html = runsheet_html(schedule, person, catalog_search())
        if format == "pdf":
            print_pdf(html, target, get_settings().chromium)
        else:
            target.write_text(html, encoding="utf-8")
    except RunSheetError as exc:
        errors.print(f"{file}: {exc}")
        raise typer.Exit(1) from None
    console.print(f"wrote {target}", markup=False)
