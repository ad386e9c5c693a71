"""Commands that touch Zoom: apply (converge Zoom to the schedule), status, and the local emulator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from app.cli import app
from app.cli.output import console, errors, load_or_exit
from app.cli.run_cmds import _with_runtime
from app.core.config import get_settings
from app.core.vocabulary import CUE_OPEN
from integrations.zoom import ZoomError

SANDBOX_NOTE = (
    "SANDBOX: no Zoom credentials are set (SHOWCALLER_ZOOM_ACCOUNT_ID, _CLIENT_ID, _CLIENT_SECRET), "
    "so the local Zoom emulator stands in; nothing is created in your Zoom account."
)


def _service(runtime):
    from app.zoom.service import ZoomSetup

    return ZoomSetup(runtime.db, runtime.settings, lambda: datetime.now(UTC))


def _zoom_failed(exc: ZoomError) -> NoReturn:
    """One line with the cause and the next step (integrations/zoom/errors.py), exit 1."""
    from integrations.zoom import ReplaceRequired
    from integrations.zoom.errors import explain

    errors.print(str(exc.message) if isinstance(exc, ReplaceRequired) else explain(exc), markup=False)
    raise typer.Exit(1) from None


class _TargetNotices(logging.Filter):
    """Drops the engine's "target cannot be used" warnings, which it logs for every stored event on
    each start: the doctor's "target variables" check says it once, for the schedule at hand."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("event %s: target '%s' cannot be used")


@contextlib.contextmanager
def _quiet_targets() -> Iterator[None]:
    logger, notices = logging.getLogger("showcaller.engine"), _TargetNotices()
    logger.addFilter(notices)
    try:
        yield
    finally:
        logger.removeFilter(notices)


def _skip_names(skip_check: list[str] | None) -> tuple[str, ...]:
    """The `--skip-check` names, each one a check's name; an unknown one stops with the list."""
    from app.zoom.doctor import CHECK_NAMES, unknown_checks

    names = tuple(skip_check or ())
    if bad := unknown_checks(names):
        errors.print(
            f"--skip-check: no check named {', '.join(bad)}. Fix: use one of {', '.join(CHECK_NAMES)}", markup=False
        )
        raise typer.Exit(2)
    return names


SkipCheck = Annotated[
    list[str] | None,
    typer.Option(
        "--skip-check",
        metavar="NAME",
        help="leave one pre-flight check out, e.g. webhook-endpoint (repeatable; the others still run)",
    ),
]


_MARK = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[bold red]FAIL[/]"}


def print_warnings(report, prefix: str = "") -> None:
    """The warnings of a report that did not stop anything, one line each with the fix."""
    for c in report.checks:
        if c.status == "warn":
            errors.print(f"{prefix}warning: {c.name}: {c.detail}. Fix: {c.fix}", markup=False, soft_wrap=True)


def print_report(report) -> None:
    """The doctor's checks as a table: status, check, what was found and what to change."""
    from rich.table import Table

    table = Table(show_lines=False, expand=False)
    for column in ("", "check", "finding", "fix"):
        table.add_column(column, overflow="fold")
    for c in report.checks:
        table.add_row(_MARK[c.status], c.name, c.detail, c.fix or "")
    console.print(table)
    for c in report.failures:  # unwrapped, so a fix can be copied whole
        console.print(f"FAIL {c.name}: {c.detail}\n  fix: {c.fix}", markup=False, soft_wrap=True)
    failed = len(report.failures)
    warned = sum(c.status == "warn" for c in report.checks)
    console.print(
        f"{failed} failed, {warned} warnings, {len(report.checks) - failed - warned} passed"
        + (" (sandbox emulator)" if report.sandbox else "")
    )


@app.command()
def doctor(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    for_the_day: Annotated[
        bool,
        typer.Option(
            "--for-the-day",
            help="also fail the day's checks (webhook endpoint over HTTPS, target variables); "
            "without it they are warnings, as for apply the week before",
        ),
    ] = False,
    skip_check: SkipCheck = None,
) -> None:
    """Check, read-only, what the real Zoom would refuse for this schedule; exit 1 when a check fails."""
    from app.zoom.mapping import ZoomSetupError

    schedule = load_or_exit(str(file))
    skip = _skip_names(skip_check)
    settings = get_settings()
    if settings.sandbox:
        errors.print(SANDBOX_NOTE)
    try:
        with _quiet_targets():
            report = asyncio.run(
                _with_runtime(lambda rt: _service(rt).doctor(schedule, for_the_day=for_the_day, skip=skip))
            )
    except ZoomSetupError as exc:
        errors.print(f"{file}: {exc}")
        raise typer.Exit(2) from None
    except ZoomError as exc:
        _zoom_failed(exc)
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def schedule_files(paths: list[Path]) -> list[Path]:
    """The files named, with each folder replaced by its *.yaml / *.yml files (sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            out.append(path)
    return out


@app.command()
def apply(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="schedule files or folders of them")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the changes without making them")] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="allow deleting the Zoom object when zoom.kind or zoom.host changed (its links stop working)",
        ),
    ] = False,
    skip_doctor: Annotated[
        bool, typer.Option("--skip-doctor", help="do not run any pre-flight check first (all of them)")
    ] = False,
    skip_check: SkipCheck = None,
) -> None:
    """Run the doctor, then create or update the Zoom meeting/webinar (hosts, panelists, interpreters, rooms).

    With --server (and an organiser --token) the running service loads the files and applies them.

    The day's checks (webhook endpoint, target variables) are warnings here: apply runs the week
    before, when the service need not answer yet. `doctor --for-the-day` fails them.
    """
    paths = schedule_files(files)
    skip = _skip_names(skip_check)
    if not paths:
        errors.print("no schedule files found")
        raise typer.Exit(2)
    if (ctx.find_root().obj or {}).get("server"):  # `showcaller --server URL apply`: the service applies
        from app.cli.remote_apply import apply_remote

        apply_remote(ctx, paths, dry_run=dry_run, replace=replace, skip_doctor=skip_doctor, skip=skip)
        return
    with _quiet_targets():
        if len(paths) > 1:
            _apply_many(paths, dry_run=dry_run, replace=replace, skip_doctor=skip_doctor, skip=skip)
            return
        _apply_one(paths[0], dry_run=dry_run, replace=replace, skip_doctor=skip_doctor, skip=skip)


def _apply_many(paths: list[Path], *, dry_run: bool, replace: bool, skip_doctor: bool, skip: tuple[str, ...]) -> None:
    schedules = [load_or_exit(str(p)) for p in paths]
    settings = get_settings()
    if settings.sandbox:
        errors.print(SANDBOX_NOTE)

    async def run(runtime):
        for path in paths:
            await runtime.engine.load_schedule(path.read_text(encoding="utf-8"), str(path))
        service = _service(runtime)
        if dry_run:
            return [(s.event.id, await service.plan(s)) for s in schedules]
        outcome = await service.apply_many(schedules, replace=replace, doctor=not skip_doctor, skip=skip)
        for event_id, _ in outcome.done:
            runtime.changed(event_id, "zoom")  # a running `serve` reloads the links its messages carry
        return outcome

    try:
        outcome = asyncio.run(_with_runtime(run))
    except ZoomError as exc:
        _zoom_failed(exc)
    if dry_run:
        for event_id, planned in outcome:
            console.print(f"{event_id}:", markup=False)
            console.print(planned.plan.render(), markup=False)
        console.print(f"dry run: nothing was changed ({len(outcome)} schedules)")
        return
    for event_id, applied in outcome.done:
        if applied.doctor is not None:
            print_warnings(applied.doctor, f"{event_id}: ")
        result = applied.result
        verb = "created" if result.created else "updated" if result.write_calls else "unchanged"
        console.print(
            f"{event_id}: {applied.plan.kind} {result.id} {verb} ({result.write_calls} write calls)", markup=False
        )
    for event_id, why in outcome.failed:
        errors.print(f"{event_id}: FAILED: {why}")
    console.print(f"{len(outcome.done)} applied, {len(outcome.failed)} failed, {len(outcome.left)} left")
    if outcome.stopped:
        errors.print(
            f"stopped: {outcome.stopped}. Left to do (run apply again after 00:00 UTC): " + ", ".join(outcome.left)
        )
    if outcome.failed or outcome.stopped:
        raise typer.Exit(1)


def _apply_one(file: Path, *, dry_run: bool, replace: bool, skip_doctor: bool, skip: tuple[str, ...]) -> None:
    from app.zoom.mapping import ZoomSetupError
    from app.zoom.service import DoctorFailed

    schedule = load_or_exit(str(file))
    text = file.read_text(encoding="utf-8")
    settings = get_settings()
    if settings.sandbox:
        errors.print(SANDBOX_NOTE)

    async def run(runtime):
        if not dry_run:  # a dry run changes nothing, not even the stored schedule
            await runtime.run.load_schedule(text, str(file))
        service = _service(runtime)
        if dry_run:
            return await service.plan(schedule)
        outcome = await service.apply(schedule, replace=replace, doctor=not skip_doctor, skip=skip)
        runtime.changed(schedule.event.id, "zoom")  # a running `serve` reloads the links its messages carry
        return outcome

    try:
        outcome = asyncio.run(_with_runtime(run))
    except ZoomSetupError as exc:
        errors.print(f"{file}: {exc}")
        raise typer.Exit(2) from None
    except DoctorFailed as exc:
        print_report(exc.report)
        errors.print(
            "apply stopped before writing to Zoom: fix the failed checks above "
            "(or leave one out with --skip-check NAME; --skip-doctor skips them all)"
        )
        raise typer.Exit(1) from None
    except ZoomError as exc:
        _zoom_failed(exc)
    report = getattr(outcome, "doctor", None)
    if report is not None and not report.ok:
        print_report(report)
        errors.print("sandbox: the failed checks above do not stop apply here; against Zoom they would")
    elif report is not None:
        print_warnings(report)
    console.print(outcome.plan.render(), markup=False)
    if dry_run:
        for note in outcome.notes:
            console.print(f"note: {note}", markup=False)
        console.print("dry run: nothing was changed")
        return
    result = outcome.result
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
        return [r for r in await outbox_repo.list_cues(conn, event_id) if r.status in CUE_OPEN]


@app.command()
def status(file: Annotated[Path, typer.Argument(help="the schedule file")]) -> None:
    """Show the Zoom meeting recorded for a schedule: ids, links (a fresh host link), when it was applied."""
    schedule = load_or_exit(str(file))

    async def run(runtime):
        return await _service(runtime).host_links(schedule.event.id)

    try:
        with _quiet_targets():
            row = asyncio.run(_with_runtime(run))
    except ZoomError as exc:
        _zoom_failed(exc)
    if row is None:
        errors.print(f"{schedule.event.id}: not applied yet; run `showcaller apply {file}`")
        raise typer.Exit(1)
    where = "sandbox emulator" if row.sandbox else "Zoom"
    applied = f"{row.applied_at:%Y-%m-%d %H:%M} UTC"
    console.print(f"{schedule.event.id}: {row.kind} {row.zoom_id} in {where}, applied {applied}")
    for label, value in (
        ("host", row.host),
        ("join", row.join_url),
        ("start (host only)", row.start_url),
        ("registration", row.registration_url),
        ("uuid", row.uuid),
    ):
        if value:
            console.print(f"  {label}: {value}", markup=False)


@app.command("zoom-emulator")
def zoom_emulator(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1", min=1, max=65535)] = 9901,
    webhook_url: Annotated[str | None, typer.Option(help="where simulated meeting events are sent")] = None,
    secret: Annotated[str, typer.Option(help="webhook secret token it signs with")] = "emulator-secret-token",
) -> None:
    """Run the local Zoom emulator as a server (REST API, OAuth token endpoint, live meeting simulation)."""
    from app.cli.failures import listen
    from integrations.zoom_emulator.server import run

    listen("127.0.0.1", port).close()  # a port in use is one line (exit 6), not uvicorn's error
    console.print(
        f"Zoom emulator on http://127.0.0.1:{port} (REST under /v2, token at /oauth/token, "
        f"admin under /_emulator); webhooks to {webhook_url or 'nowhere'}"
    )
    # Compress Zoom's 5/20/60-minute webhook retries so a failing receiver does not hold a request for an hour.
    run(port=port, webhook_url=webhook_url, webhook_secret=secret, retry_scale=0.01)
