"""`showcaller report`: the post-event pack (html, pdf, json, csv) from the database, or the internal record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.failures import check_sqlite_folder
from app.cli.output import console, errors, load_or_exit, safe_url
from app.core.failures import ExitCode, Failure
from app.report.figures import DEFAULT_THRESHOLD, PackOptions
from app.report.service import (
    PackFormat,
    ReportFormat,
    pack_from_db,
    pack_words,
    render_pack,
    render_report,
    report_from_db,
)
from app.store.db import create_engine, normalise_url


async def _fetch(db, schedule, settings) -> str:
    """Registrants and past participants from Zoom now (the sandbox when no credentials are set)."""
    from app.attendance.registrants import fetch_now
    from app.zoom.service import ZoomSetup

    fetched = await fetch_now(ZoomSetup(db, settings, lambda: datetime.now(UTC)), schedule, datetime.now(UTC))
    if fetched is None:
        return "no Zoom meeting is recorded for this event (run `showcaller zoom apply` first); nothing fetched"
    return (
        f"fetched {fetched.registrants} registrants and {fetched.participant_rows} participant rows "
        f"of {fetched.instances} meeting instance(s) from Zoom"
    )


async def _report(
    url: str, schedule, fmt: PackFormat, options: PackOptions, internal: bool, fetch: bool, words
) -> bytes:
    from app.core.config import get_settings

    settings = get_settings()
    db = create_engine(url)
    try:
        if fetch:
            errors.print(await _fetch(db, schedule, settings), markup=False)
        now = datetime.now(UTC)
        if internal:
            report = await report_from_db(db, schedule, now)
            return render_report(report, ReportFormat(fmt.value), words).encode("utf-8")
        pack = await pack_from_db(db, schedule, now, options=options)
    finally:
        await db.dispose()
    return await render_pack(pack, fmt, settings.chromium, words)


@app.command()
def report(
    file: Annotated[Path, typer.Argument(help="the event's schedule file")],
    fmt: Annotated[PackFormat, typer.Option("--format", help="html, pdf, json or csv")] = PackFormat.html,
    database_url: Annotated[str | None, typer.Option("--database-url", help="default: SHOWCALLER_DATABASE_URL")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
    include_personal_data: Annotated[
        bool,
        typer.Option("--include-personal-data", help="add a per-person annex (names, emails); marked on every page"),
    ] = False,
    small_group_threshold: Annotated[
        int, typer.Option("--small-group-threshold", min=1, help='breakdown counts below this show as "< N"')
    ] = DEFAULT_THRESHOLD,
    fetch: Annotated[
        bool, typer.Option("--fetch", help="first read registrants and past participants from Zoom again")
    ] = False,
    internal: Annotated[
        bool, typer.Option("--internal", help="the internal record instead: every participant with email (not pdf)")
    ] = False,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            help="the pack's (or --internal html's) headings and labels in this locale (default: event.language)",
        ),
    ] = None,
) -> None:
    """The post-event pack: summary, attendance, agenda as it ran, audience breakdowns, timers and notes.

    Shareable by default: no attendee names or emails, and small groups shown as "< 5".
    """
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.config import get_settings
    from app.report.pdf import PdfError
    from integrations.zoom.errors import ZoomError

    schedule = load_or_exit(str(file))
    if internal and fmt is PackFormat.pdf:
        raise Failure("--internal has no pdf format. Fix: use --format html, json or csv", ExitCode.INVALID)
    try:
        words = pack_words(schedule, locale, get_settings().catalog_search())
    except ValueError as exc:
        raise Failure(f"--locale: {exc}", ExitCode.INVALID) from None
    url = normalise_url(database_url or get_settings().database_url)
    check_sqlite_folder(url)
    sqlite_file = url.removeprefix("sqlite+aiosqlite:///") if url.startswith("sqlite+aiosqlite:///") else None
    if sqlite_file and not Path(sqlite_file).exists():
        raise Failure(
            f"no database file {sqlite_file}. Fix: pass --database-url with the service's database "
            "(SHOWCALLER_DATABASE_URL; a rehearsal's is sqlite:///showcaller-rehearsal.db)",
            ExitCode.DATABASE,
        )
    if fmt is PackFormat.pdf and output is None:
        output = Path(f"{schedule.event.id}-report.pdf")
    options = PackOptions(threshold=small_group_threshold, personal=include_personal_data)
    try:
        data = asyncio.run(_report(url, schedule, fmt, options, internal, fetch, words))
    except (SQLAlchemyError, OSError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise Failure(
            f"cannot read the database {safe_url(url)}: {detail}. Fix: pass --database-url "
            "(the service's SHOWCALLER_DATABASE_URL) and run the service once so it is migrated",
            ExitCode.DATABASE,
        ) from None
    except PdfError as exc:
        raise Failure(f"{exc}. Fix: or use --format html and print it from a browser", ExitCode.FAILED) from None
    except ZoomError as exc:
        raise Failure(
            f"--fetch: Zoom refused: {str(getattr(exc, 'message', exc)).rstrip('.')}. Fix: check the Zoom settings "
            "(showcaller doctor FILE), or run without --fetch to use what is stored",
            ExitCode.FAILED,
        ) from None
    if output is not None:
        output.write_bytes(data)
        console.print(f"wrote {output}", markup=False)
    else:
        console.out(data.decode("utf-8"), highlight=False)
