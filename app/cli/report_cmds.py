"""`showcaller report`: the post-event report from the database, as HTML, JSON or CSV."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.attendance.export import ReportFormat, render_report, report_from_db
from app.cli import app
from app.cli.failures import ExitCode, Failure, check_sqlite_folder
from app.cli.output import console, load_or_exit, safe_url
from app.store.db import create_engine, normalise_url


async def _report(url: str, schedule, fmt: ReportFormat) -> str:
    db = create_engine(url)
    try:
        report = await report_from_db(db, schedule, datetime.now(UTC))
    finally:
        await db.dispose()
    return render_report(report, fmt)


@app.command()
def report(
    file: Annotated[Path, typer.Argument(help="the event's schedule file")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="html, json or csv")] = ReportFormat.html,
    database_url: Annotated[str | None, typer.Option("--database-url", help="default: SHOWCALLER_DATABASE_URL")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Planned vs actual times, overruns, timer use, attendance per segment and per participant."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.config import get_settings

    schedule = load_or_exit(str(file))
    url = normalise_url(database_url or get_settings().database_url)
    check_sqlite_folder(url)
    sqlite_file = url.removeprefix("sqlite+aiosqlite:///") if url.startswith("sqlite+aiosqlite:///") else None
    if sqlite_file and not Path(sqlite_file).exists():
        raise Failure(
            f"no database file {sqlite_file}. Fix: pass --database-url with the service's database "
            "(SHOWCALLER_DATABASE_URL; a rehearsal's is sqlite:///showcaller-rehearsal.db)",
            ExitCode.DATABASE,
        )
    try:
        text = asyncio.run(_report(url, schedule, fmt))
    except (SQLAlchemyError, OSError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise Failure(
            f"cannot read the database {safe_url(url)}: {detail}. Fix: pass --database-url "
            "(the service's SHOWCALLER_DATABASE_URL) and run the service once so it is migrated",
            ExitCode.DATABASE,
        ) from None
    if output is not None:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", markup=False)
    else:
        console.out(text, highlight=False)
