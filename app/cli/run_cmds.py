"""Commands that run the service: serve, rehearse, demo, and API tokens."""

from __future__ import annotations

import asyncio
import logging
import math
import shlex
import threading
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli import app
from app.cli.failures import check_sqlite_folder, listen
from app.cli.output import INVALID, console, errors, load_or_exit, safe_url
from app.core.config import get_settings
from app.core.failures import ExitCode, Failure
from app.core.vocabulary import DELIVERY_FAILED, HostRole
from app.store.instance_lock import AlreadyRunning, InstanceLock

token_app = typer.Typer(help="Create, list and revoke API tokens (stored hashed).", no_args_is_help=True)
app.add_typer(token_app, name="token")


MEKONG = Path("schedules/events/mekong-dialogue-2022.yaml")


async def _with_runtime(action):
    """Run `action(services)` against the configured database with no timer or worker running."""
    from app import bootstrap

    settings = get_settings()
    check_sqlite_folder(settings.database_url)
    async with bootstrap.started(settings, run_timer=False, run_worker=False) as services:
        return await action(services)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def serve(
    files: Annotated[list[Path] | None, typer.Argument(help="schedule files to load (stored in the database)")] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
    log_format: Annotated[
        LogFormat, typer.Option(help="text, or json: one object per line with event, cue and delivery ids")
    ] = LogFormat.text,
    allow_missing_targets: Annotated[
        bool, typer.Option(help="start even if a target's variables are unset (its deliveries are parked)")
    ] = False,
) -> None:
    """Run the service: REST API, console, Zoom webhooks, cue timer and deliveries."""
    for path in files or []:
        load_or_exit(str(path))
    texts = [(str(path), path.read_text(encoding="utf-8")) for path in files or []]
    settings = get_settings()
    # Listen first: a port in use is found before any database work, and nothing can take it after.
    sock = listen(host, port)
    # SQLite: one process per database. PostgreSQL: any number of instances; they elect one
    # dispatcher among themselves (app/cluster/), so no lock is taken here.
    lock = InstanceLock(settings.database_url)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        sock.close()
        raise Failure(
            f"another `showcaller serve` is already running on this database: {exc}. Fix: stop it "
            "first, give this one its own database, or use PostgreSQL to run several instances",
            ExitCode.ALREADY_RUNNING,
        ) from None
    try:
        _serve_locked(settings, sock, host, port, log_format, allow_missing_targets, texts, _create_app)
    finally:
        lock.release()


def _create_app(settings, stream_closing, before_serving):
    """The application (imported here, in `StartingApp`'s thread: it is most of `serve`'s start-up)."""
    from app.main import create_app

    return create_app(settings, stream_closing=stream_closing, before_serving=before_serving)


def _target_problems(runtime) -> dict[str, dict[str, str]]:
    """Every stored event's targets that cannot be used (event id -> target id -> why)."""
    return {event_id: runtime.targets(event_id).problems for event_id in runtime.engine.event_ids()}


def _refuse_or_warn(problems: dict[str, dict[str, str]], allow_missing_targets: bool) -> None:
    """A target that cannot be used stops `serve` with the variables to set, unless allowed: then
    each is a warning and its messages are parked."""
    missing = [(event_id, target, why) for event_id, found in problems.items() for target, why in found.items()]
    if missing and not allow_missing_targets:
        unset = sorted({name for _, _, problem in missing if (name := _variable(problem))})
        other = [f"target '{target}': {problem}" for _, target, problem in missing if not _variable(problem)]
        reasons = "; ".join(([f"{', '.join(unset)} not set"] if unset else []) + other)
        raise Failure(
            f"{len(missing)} target(s) cannot be used: {reasons}. Fix: set them in the "
            "environment or .env (`showcaller config FILE` lists them), or pass --allow-missing-targets "
            "to start anyway and park their messages",
            ExitCode.TARGETS,
        )
    for event_id, target, problem in missing:
        errors.print(f"warning: {event_id}: target '{target}' cannot be used: {problem}", markup=False)


def _serve_locked(
    settings,
    sock,
    host: str,
    port: int,
    log_format: LogFormat,
    allow_missing_targets: bool,
    texts: list[tuple[str, str]],
    create_app,
) -> None:
    """Load the files and serve, with the database's instance lock held.

    Files to load are loaded, and every stored event's targets checked, before uvicorn serves: a
    database that cannot be used or a target variable left unset ends the command with its one line
    before anything answers. Without files (a restart) the same check runs inside the service's one
    start, before anything fires or sends, behind a /healthz that answers at once: checking first
    started the service twice, which with 1,000 events stored kept /healthz silent for 2-3 s (issue 27).
    """
    import uvicorn

    from app.cli.starting import LateClosing, StartingApp
    from app.core.logs import log_config

    async def load_and_check(runtime) -> dict[str, dict[str, str]]:
        for path, text in texts:
            await runtime.run.load_schedule(text, path)
        return _target_problems(runtime)

    try:
        if texts:
            loaded = asyncio.run(_with_runtime(load_and_check))
            _refuse_or_warn(loaded, allow_missing_targets)
        else:
            check_sqlite_folder(settings.database_url)
    except BaseException:
        sock.close()
        raise
    mode = "SANDBOX (local Zoom emulator; no Zoom credentials set)" if settings.sandbox else "Zoom API"
    shown = _shown_host(host)
    settings, public = _public_settings(settings, host, port)  # links in messages start with `public`
    console.print(
        f"Showcaller on http://{shown}:{port}  public URL: {public}  database: {safe_url(settings.database_url)}"
        f"  zoom: {mode}"
    )

    def consoles(event_ids) -> None:
        for event_id in event_ids:
            console.print(f"  console: {public}/console/{event_id}")

    async def check_stored(runtime) -> None:  # (a restart: every event restored, nothing fired yet)
        problems = _target_problems(runtime)
        _refuse_or_warn(problems, allow_missing_targets)
        consoles(problems)

    if texts:
        consoles(loaded)
    closing = LateClosing()

    def build():
        from app.api.sse import StreamClosing

        streams = StreamClosing()
        closing.attach(streams)
        return create_app(settings, streams, None if texts else check_stored)

    def failed() -> None:
        server.should_exit = True

    # uvicorn answers from the first moment: /healthz at once, while the application is imported
    # and started behind it (app/cli/starting.py); `server` is bound below, before anything runs.
    front = StartingApp(build, on_failed=failed)
    config = uvicorn.Config(
        front,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=log_config(log_format.value, settings.log_level),
        # A backstop only: the streams end themselves on the signal (_closing_server); a request
        # still running after the grace is cancelled rather than holding the restart.
        timeout_graceful_shutdown=max(1, math.ceil(settings.shutdown_grace_seconds)),
    )
    tune_collector()
    server = _closing_server(config, closing)
    if not settings.sandbox:  # (the sandbox's emulator delivers its events itself)

        def up() -> bool:
            return server.started and front.app is not None  # (the application answers, not just the front)

        threading.Thread(target=_report_webhook, args=(server, settings, up), name="webhook-check", daemon=True).start()
    server.run(sockets=[sock])
    if front.failure is not None:
        raise front.failure  # (the command's one-line failure and exit status, as before the server ran)


def _closing_server(config, closing):
    """A uvicorn server that ends every event stream as soon as it starts to stop.

    On SIGINT/SIGTERM uvicorn stops accepting connections, then waits for the open ones to close,
    and only then runs the app's lifespan shutdown. An event stream never closes by itself, so that
    wait lasted as long as any console, presenter view or agenda page stayed open (30-70 s and more,
    exactly when a restart mid-event should be quick). Ending them from the lifespan is too late, and
    uvicorn's `timeout_graceful_shutdown` alone would cut them without a word; so the first step of
    the shutdown tells every stream to send `event: reconnect` (with a `retry:` hint) and end
    (app/api/sse.py StreamClosing). The connections then close within a moment, the lifespan stops
    the service (in-flight deliveries get SHOWCALLER_SHUTDOWN_GRACE_SECONDS), and the process exits 0.
    """
    import contextlib
    import signal

    import uvicorn  # (imported here, as in _serve_locked: the other commands start faster without it)

    class _ClosingServer(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            told = closing.close_all()
            if told:
                logging.getLogger("showcaller.streams").info("stopping: told %d event stream(s) to reconnect", told)
            await super().shutdown(sockets)

        @contextlib.contextmanager
        def capture_signals(self):
            # After a graceful stop uvicorn raises the signal again under the handler it found, so
            # with the default one a clean SIGTERM ended the process "killed by SIGTERM" (143) and a
            # Ctrl-C with a KeyboardInterrupt. Under this no-op one `serve` returns: exit status 0,
            # which tells a supervisor the stop was clean.
            if threading.current_thread() is not threading.main_thread():
                with super().capture_signals():
                    yield
                return
            found = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                with super().capture_signals():
                    yield
            finally:
                for sig, handler in found.items():
                    signal.signal(sig, handler)

    return _ClosingServer(config)


def _report_webhook(server, settings, up, wait_seconds: float = 60.0) -> None:
    """The start-up report's day check: once this process answers, does Zoom's URL validation reach it
    through SHOWCALLER_PUBLIC_URL (HTTPS, the secret)? The week before it is only a warning (`apply`,
    `doctor`); a serving instance is the day itself, so it says FAIL. It reports and never stops the
    service: the balancer or TLS in front of it may come up a moment later (`doctor --for-the-day`)."""
    import time

    deadline = time.monotonic() + wait_seconds
    while not up():
        if server.should_exit or time.monotonic() > deadline:
            return
        time.sleep(0.05)
    from app.zoom.doctor import check_webhook  # (once the application is imported: not beside its import)

    check = asyncio.run(check_webhook(settings, None, datetime.now(UTC)))
    if check.status == "pass":
        console.print(f"start-up check: webhook endpoint: {check.detail}", markup=False, soft_wrap=True)
        return
    errors.print(
        f"start-up check: {'FAIL' if check.status == 'fail' else 'warning'} webhook endpoint: {check.detail}. "
        f"Fix: {check.fix}",
        markup=False,
        soft_wrap=True,
    )


def _public_settings(settings, host: str, port: int):
    """The settings `serve` runs with: SHOWCALLER_PUBLIC_URL, else a local URL derived from where it
    listens (with a warning: people elsewhere cannot open it); and that URL."""
    from app.core.public_url import for_serve

    public, warning = for_serve(settings, host, port)
    if warning:
        errors.print(f"warning: {warning}", markup=False, soft_wrap=True)
    return settings.model_copy(update={"public_url": public}), public


def tune_collector() -> None:
    """Make the cyclic garbage collector's full passes rare in a long-running `serve`.

    With 10,000 open agenda streams, each host action's fan-out leaves enough short-lived objects
    behind to trigger a full pass over everything the streams hold: 17 passes of up to 1 s each in
    one minute of B9, each one stalling every stream and the cue timer (they freed nothing). Fewer,
    larger young collections (and a full pass at most every 100 middle ones) took them to none in
    the same run, and B9's last-client p99 from 1,452 ms to 644 ms. Memory is still freed by
    reference counting as before; only cyclic garbage waits longer.
    """
    import gc

    gc.set_threshold(10_000, 50, 100)


def _variable(problem: str) -> str | None:
    """The variable an "environment variable X is not set" problem names; None for other problems."""
    if "is not set" not in problem:
        return None
    return next((w for w in problem.split() if w.isupper() and w.isidentifier()), None)


def _shown_host(host: str) -> str:
    """The host to print in URLs: a wildcard address is not somewhere a browser can go."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


@token_app.command("create")
def token_create(
    role: Annotated[
        HostRole,
        typer.Option(
            help="organiser: everything; host: run controls; viewer: read only; stage: the presenter view only; "
            "deck: run control from a Stream Deck (the deck routes only)"
        ),
    ],
    name: Annotated[str, typer.Option(help="who or what uses it")] = "token",
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from app.store import tokens_repo
    from schedules.limits import TOKEN_NAME, too_long

    if problem := too_long(name, TOKEN_NAME):
        errors.print(f"--name: the token name {problem}; give a shorter one")
        raise typer.Exit(2)

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

    table = Table("name", "role", "created", "revoked")
    # The id is what `token revoke` needs: it must never be cut, whatever the terminal's width.
    table.add_column("id", no_wrap=True, min_width=16)
    for row in asyncio.run(_with_runtime(rows)):
        table.add_row(
            row.name,
            row.role,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
            row.id,
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the id shown by `token list`")]) -> None:
    """Revoke a token; it stops working at once, and the event streams it opened close."""
    from app.cluster.writes import announce_access
    from app.store import tokens_repo

    async def revoke(runtime):
        async with runtime.db.begin() as conn:
            revoked = await tokens_repo.revoke_token(conn, token_id, datetime.now(UTC))
            if revoked:  # every serving instance ends the streams it opened (SQLite: at its next poll)
                await announce_access(conn, runtime.instance_id)
            return revoked

    if not asyncio.run(_with_runtime(revoke)):
        errors.print(f"no active token with id '{token_id}'")
        raise typer.Exit(1)
    console.print(f"revoked {token_id}")


@token_app.command("role")
def token_role(
    token_id: Annotated[str, typer.Argument(help="the id shown by `token list`")],
    role: Annotated[HostRole, typer.Option(help="the token's new role")],
) -> None:
    """Give a token another role; its open event streams the new role may not read end."""
    from app.cluster.writes import announce_access
    from app.store import tokens_repo

    async def change(runtime):
        async with runtime.db.begin() as conn:
            changed = await tokens_repo.change_role(conn, token_id, role.value)
            if changed:  # every serving instance re-checks the streams it opened (SQLite: at its next poll)
                await announce_access(conn, runtime.instance_id)
            return changed

    if not asyncio.run(_with_runtime(change)):
        errors.print(f"no active token with id '{token_id}' that is not a presenter link (revoke a link instead)")
        raise typer.Exit(1)
    console.print(f"{token_id} is now {role.value}")


@app.command()
def rehearse(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    speed: Annotated[float, typer.Option(help="how many times faster than real time")] = 60.0,
    host: Annotated[str, typer.Option(help="interface for the console and API")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="port for the console and API (a free one if taken)", min=1, max=65535)
    ] = 8000,
    receivers_port: Annotated[
        int, typer.Option(help="port of the local receivers (a free one if taken)", min=1, max=65535)
    ] = 9902,
    auto_timers: Annotated[bool, typer.Option(help="start each respondent's timer when their slot comes")] = True,
    keep_open: Annotated[bool, typer.Option(help="keep the console up after the end, until Ctrl-C")] = True,
    messages: Annotated[bool, typer.Option(help="print every received message in full, as each tool shows it")] = False,
    database_url: Annotated[str | None, typer.Option(help="default: sqlite:///showcaller-rehearsal.db")] = None,
    pack: Annotated[
        Path | None, typer.Option(help="at the end, write the post-event pack as PACK.html (and PACK.pdf)")
    ] = None,
    chat_click: Annotated[
        bool, typer.Option(help="add a Slack app card (local fake) and press its Next, as a producer would")
    ] = False,
    drafts: Annotated[
        bool,
        typer.Option(
            "--drafts",
            help="preview catalogs still in draft: each draft marked [DRAFT], a missing string [DRAFT: English] "
            "(serve refuses them)",
        ),
    ] = False,
) -> None:
    """Run the whole agenda at N times speed against the sandbox Zoom and local receivers."""
    import logging
    import math

    from app.core.config import get_settings
    from app.rehearsal.rehearse import Summary
    from app.rehearsal.rehearse import rehearse as run

    load_or_exit(str(file), get_settings().catalog_search(drafts=drafts))
    if speed <= 0 or speed > 3600:
        errors.print("--speed must be between 0 and 3600")
        raise typer.Exit(INVALID)
    if database_url:
        check_sqlite_folder(database_url)
    summary = Summary()
    url = database_url or "sqlite:///showcaller-rehearsal.db"
    # The transcript already shows every cue and delivery; their log lines would say it twice.
    logging.getLogger("showcaller.run").setLevel(logging.ERROR)
    logging.getLogger("showcaller.chat_clicks").setLevel(logging.ERROR)  # (the demo's forged click, too)

    def done(summary: Summary, console_line: str) -> None:
        _print_summary(summary)
        if summary.pack:
            console.print(f"Pack:    {' and '.join(summary.pack)} (the post-event report, shareable)", markup=False)
        console.print(
            f"Report:  {_command()} report {shlex.quote(str(file))} --database-url {shlex.quote(url)} "
            "--format html -o report.html",
            markup=False,
        )
        console.print(console_line, markup=False)
        if keep_open:
            console.print("The console stays up: press Ctrl-C to stop.")

    try:
        asyncio.run(
            run(
                str(file),
                speed=speed,
                console=console,
                port=port,
                receivers_port=receivers_port,
                host=host,
                auto_timers=auto_timers,
                database_url=database_url,
                keep_open=math.inf if keep_open else 0.0,
                show_messages=messages,
                summary=summary,
                on_done=done,
                pack_to=pack,
                chat_click=chat_click,
                drafts=drafts,
            )
        )
    except KeyboardInterrupt:
        if not summary.finished:
            errors.print("rehearsal interrupted before the end of the agenda")
            raise typer.Exit(130) from None
    if any(summary.deliveries.get(status) for status in DELIVERY_FAILED):
        raise typer.Exit(ExitCode.FAILED)


def _print_summary(summary) -> None:
    console.print(
        f"\n[bold]Rehearsal finished[/]: {summary.fired} cues fired ({summary.late} late), "
        f"{summary.skipped} skipped, {summary.timers} respondent timers run"
    )
    console.print("Deliveries: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.deliveries.items())))
    console.print(
        "Received by the local receivers: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.received.items()))
    )
    if summary.webhooks:
        console.print(
            f"Zoom webhooks from the sandbox meeting: {summary.webhooks}; attendance: "
            f"{summary.attendance.get('unique', 0)} people, peak {summary.attendance.get('peak', 0)}"
        )


def _command() -> str:
    """How to run this same `showcaller` again from here: its name if on PATH, else the path used."""
    import shutil
    import sys

    used = Path(sys.argv[0])
    found = shutil.which("showcaller")
    if found and used.name == "showcaller" and Path(found).resolve() == used.resolve():
        return "showcaller"
    if used.name == "showcaller" and used.exists():
        return shlex.quote(str(used))
    return "showcaller"


@app.command()
def demo(
    file: Annotated[Path, typer.Argument(help="the schedule file")] = MEKONG,
    speed: Annotated[float, typer.Option(help="how many times faster than real time")] = 180.0,
    host: Annotated[str, typer.Option(help="interface for the console and API")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="port for the console and API (a free one if taken)", min=1, max=65535)
    ] = 8000,
    receivers_port: Annotated[
        int, typer.Option(help="port of the local receivers (a free one if taken)", min=1, max=65535)
    ] = 9902,
    keep_open: Annotated[bool, typer.Option(help="keep the console up after the end, until Ctrl-C")] = True,
    messages: Annotated[bool, typer.Option(help="print every received message in full")] = False,
    database_url: Annotated[str | None, typer.Option(help="default: sqlite:///showcaller-rehearsal.db")] = None,
    drafts: Annotated[
        bool, typer.Option("--drafts", help="preview catalogs still in draft, marked [DRAFT] (as rehearse --drafts)")
    ] = False,
) -> None:
    """The quick-start demo: validate and plan the schedule, rehearse it at high speed, write the pack."""
    from app.cli.schedule_cmds import _print_tables
    from app.core.config import get_settings
    from schedules.timeline import build_timeline

    schedule = load_or_exit(str(file), get_settings().catalog_search(drafts=drafts))
    console.print(f"{file}: valid. Its agenda:", markup=False)
    # The agenda only: each cue appears in the transcript as it fires.
    _print_tables(schedule, build_timeline(schedule), schedule.event.timezone, cues_table=False)
    rehearse(
        file,
        speed=speed,
        host=host,
        port=port,
        receivers_port=receivers_port,
        auto_timers=True,
        keep_open=keep_open,
        messages=messages,
        database_url=database_url,
        pack=Path("rehearsal-report"),
        chat_click=True,
        drafts=drafts,
    )


@app.command()
def receiver(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1", min=1, max=65535)] = 9902,
    webhook_secret: Annotated[str | None, typer.Option(help="whsec_... key to verify signed webhooks")] = None,
    zoom_chat_token: Annotated[str | None, typer.Option(help="verification token zoom_chat must send")] = None,
) -> None:
    """Run local receivers for every target kind and print what people would see in each tool."""
    from integrations.receivers.server import run

    listen("127.0.0.1", port).close()  # a port in use is one line (exit 6), not uvicorn's error
    console.print(
        f"Local receivers on http://127.0.0.1:{port}: /slack/NAME /teams/NAME /zoom_chat/NAME "
        f"/discord/NAME /webhook/NAME; received messages at /_received"
    )
    run(port=port, webhook_secret=webhook_secret, zoom_chat_token=zoom_chat_token, console=console)
