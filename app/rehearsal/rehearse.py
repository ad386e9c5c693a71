"""A rehearsal: the whole agenda at N times speed against the sandbox Zoom and local receivers.

Everything is real except the clock and the destinations: the same engine, store, timer and
delivery worker as on the day, with each target pointed at a local receiver that prints what
people would see.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import logging
import random
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console

from app import bootstrap
from app.attendance.registrants import fetch_records
from app.core.config import Settings
from app.core.errors import AppError
from app.core.failures import ExitCode, Failure
from app.core.metrics import Metrics
from app.core.vocabulary import DeliveryStatus, FireOutcome, HostRole, InstanceRole
from app.main import StreamClosing, create_app
from app.rehearsal.chat_press import ChatPress, press_next, with_demo_chat_app
from app.rehearsal.clock import RehearsalClock, at_moment
from app.rehearsal.meeting import plan_meeting, run_meeting, webhook_count
from app.rehearsal.transcript import Transcript
from app.report.attendance import attendance_json
from app.services import Services
from app.store import outbox_repo, tokens_repo
from app.zoom.access import SANDBOX_BASE, sandbox_client
from app.zoom.mapping import sandbox_users
from app.zoom.service import ZoomSetup
from integrations.receivers.app import create_receivers
from integrations.zoom_emulator import create_emulator
from schedules.load import load_text
from schedules.model import Schedule
from schedules.resolve import event_window, zone

log = logging.getLogger("showcaller.rehearsal")


def free_port(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` if it is free on `host`, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def receiver_env(schedule: Schedule, base: str, token: str, secret: str) -> dict[str, str]:
    """Environment values that point every target of a schedule at the local receivers."""
    env = {}
    for target in schedule.targets:
        suffix = "?format=full" if target.kind == "zoom_chat" else ""
        env[target.url_env] = f"{base}/{target.kind.value}/{target.id}{suffix}"
        if target.token_env:
            env[target.token_env] = token
        if target.secret_env:
            env[target.secret_env] = secret
    return env


@dataclass
class Summary:
    """What happened in a rehearsal."""

    fired: int = 0
    late: int = 0
    skipped: int = 0
    skipped_kinds: dict[str, int] = field(default_factory=dict)  # cue kind -> how many were skipped (too late)
    timers: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    webhooks: int = 0
    attendance: dict[str, int] = field(default_factory=dict)
    finished: bool = False
    fetched: dict[str, int] = field(default_factory=dict)  # registrants / participant rows read back from Zoom
    pack: list[str] = field(default_factory=list)  # files of the post-event pack written at the end
    # The sandbox Zoom's own record (ground truth for tests): registrants and past-participant rows.
    zoom_registrants: list[dict] = field(default_factory=list)
    zoom_rows: list[dict] = field(default_factory=list)
    chat_clicks: list[str] = field(default_factory=list)  # the demo's Slack button press, as the transcript says it


async def _wait(seconds: float, server: uvicorn.Server, stop: asyncio.Event) -> None:
    """Keep serving for `seconds` (math.inf: until Ctrl-C stops the server or `stop` is set)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not (server.should_exit or stop.is_set()) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)


async def _serve(app, port: int, host: str) -> tuple[uvicorn.Server, asyncio.Task]:
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
        if task.done():
            task.result()
    return server, task


DEFAULT_DATABASE = "sqlite+aiosqlite:///./showcaller-rehearsal.db"


def shown_host(host: str) -> str:
    """The host to print in URLs: a wildcard address is not somewhere a browser can go."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


async def rehearse(
    path: str,
    *,
    speed: float,
    console: Console,
    port: int = 8000,
    receivers_port: int = 9902,
    database_url: str | None = None,
    auto_timers: bool = True,
    lead: timedelta = timedelta(minutes=2),
    keep_open: float = 0.0,
    zoom: bool = True,
    audience: int = 40,
    host: str = "127.0.0.1",
    show_messages: bool = False,
    summary: Summary | None = None,
    on_done: Callable[[Summary, str], None] | None = None,
    stop: asyncio.Event | None = None,
    pack_to: Path | None = None,
    chat_click: bool = False,
    drafts: bool = False,
) -> Summary:
    """Run the agenda of `path` from just before its start to its end at `speed`, then summarise.

    `on_done(summary, console_line)` runs once the agenda is over, before the console is kept
    open for `keep_open` seconds (math.inf: until interrupted or `stop` is set); pass `summary`
    to see the figures even when the wait is interrupted. With `pack_to` (a file name without
    suffix), the post-event pack is written there as .html, and as .pdf when Chromium is installed.
    With `chat_click`, a Slack app card is posted and its Next pressed (app/rehearsal/chat_press.py).
    With `drafts`, a target whose catalog still has drafts (or lacks a string) is rehearsed instead of
    refused: each draft is written marked `[DRAFT] `, each missing string in English marked
    `[DRAFT: English] `, and the console lists them first (`serve` would refuse the file).
    """
    text = Path(path).read_text(encoding="utf-8")
    press = None
    if chat_click:
        text, press = with_demo_chat_app(text)
    port, receivers_port = free_port(port, host), free_port(receivers_port)
    shown = shown_host(host)
    settings = Settings(
        _env_file=None,
        database_url=database_url or DEFAULT_DATABASE,
        public_url=f"http://{shown}:{port}",
        slack_pacing=False,
    )
    schedule = load_text(
        text,
        path,
        catalogs=settings.catalog_search(drafts=drafts),
        on_warning=lambda problem: console.print(f"Draft preview: {problem.render()}", markup=False),
    )
    tz = zone(schedule.event.timezone)
    opens, closes = event_window(schedule)
    token = secrets.token_urlsafe(16)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    receivers = create_receivers(
        zoom_chat_token=token,
        webhook_secret=secret,
        console=console if show_messages else None,
        slack_bot_token=press.bot_token if press else None,
        on_chat_post=lambda posted: on_chat_post(posted),
    )
    emulator = None
    clock = RehearsalClock(opens - lead, speed)
    metrics = Metrics()  # the service's own, built before it: the sandbox Zoom's client reports to it too
    zoom_clients = None
    if zoom:
        # The rehearsal's own Zoom: it signs with the service's webhook secret on the same fast clock.
        emulator = create_emulator(
            webhook_url=f"http://127.0.0.1:{port}/webhooks/zoom",
            webhook_secret=settings.webhook_secret,
            clock=clock.now,
            users=sandbox_users(schedule),
            retry_scale=0.001,
        )
        zoom_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url=SANDBOX_BASE)
        zoom_http.event_hooks = metrics.zoom_hooks(SANDBOX_BASE)
        zoom_clients = lambda: sandbox_client(zoom_http, emulator)  # noqa: E731
    summary = summary if summary is not None else Summary()
    transcript = Transcript(console, tz)  # type: ignore[arg-type]  # validated schedule
    rng = random.Random(11)
    receiver_server, receiver_task = await _serve(receivers, receivers_port, "127.0.0.1")
    # The transcript hears cues and deliveries from the moment the rehearsal clock goes.
    watching = False

    def on_delivery(row, values) -> None:
        if watching:
            transcript.delivery(row, values)

    pressing: list[asyncio.Task] = []

    def on_chat_post(posted) -> None:
        if press is None or press.started or not press.is_card(posted):
            return
        # The card is in the (fake) Slack channel and a producer presses its Next within seconds: at a
        # rehearsal's speed seconds are minutes of the agenda, so the show's clock waits for the press.
        press.started = True
        clock.hold()
        pressing.append(asyncio.get_running_loop().create_task(_press(press, posted)))

    async def _press(press: ChatPress, card) -> None:
        def say(text: str, actor: str) -> None:
            transcript.action(clock.now(), actor, text)
            summary.chat_clicks.append(text)

        try:
            await press_next(press, receivers.state.chat_apps, card, f"http://127.0.0.1:{port}", say)
        except Exception:  # the rehearsal goes on: the press is a show, not a dependency
            log.exception("the demo's Slack button press failed")
        finally:
            clock.go()
            runtime.timer.request_rearm()

    def on_fire(event_id: str, row, outcome: FireOutcome) -> None:
        if not watching:  # (a cue left from an earlier run on this database, before the replay)
            return
        transcript.cue(event_id, row, outcome)

        if outcome == FireOutcome.SKIPPED:
            summary.skipped += 1
            summary.skipped_kinds[row.kind] = summary.skipped_kinds.get(row.kind, 0) + 1
            return
        summary.fired += 1
        summary.late += outcome == FireOutcome.LATE
        # The host reacts at the cue's moment: the paced clock waits for the task to take its own
        # moment (app/rehearsal/clock.py), so a busy machine does not change when the host acted.
        if auto_timers and row.kind == "respondent_slot":
            summary.timers += 1
            clock.owe(f"react {row.cue_id}", clock.now())
            asyncio.get_running_loop().create_task(_respond(runtime, event_id, row, rng, transcript))
        if auto_timers and row.kind == "segment_start" and row.segment == overrun_segment:
            clock.owe(f"react {row.cue_id}", clock.now())
            asyncio.get_running_loop().create_task(_run_over(runtime, event_id, row, transcript))

    # The host lets one session run over, as happens on the day: the pack shows it and the note.
    sessions = [seg.id for seg in schedule.segments if seg.kind.value == "session"]
    overrun_segment = sessions[1] if len(sessions) > 1 else None
    observers = bootstrap.Observers(on_fire=(on_fire,), on_delivery=(on_delivery,))
    env = receiver_env(schedule, f"http://127.0.0.1:{receivers_port}", token, secret)
    if press is not None:
        env.update(press.env(f"http://127.0.0.1:{receivers_port}"))
    try:
        async with bootstrap.started(
            settings,
            clock=clock,
            metrics=metrics,
            env_overrides=env,
            zoom_client_factory=zoom_clients,
            observers=observers,
            drafts=drafts,
        ) as runtime:
            closing = StreamClosing()  # the console's streams end at the stop, as with `serve`
            app = create_app(settings, services=runtime, stream_closing=closing)
            if runtime.role == InstanceRole.STANDBY:
                raise Failure(
                    "another `showcaller serve` dispatches on this database, and a rehearsal replays its event on a "
                    "fast clock of its own. Fix: rehearse on a database of its own (leave out --database-url for a "
                    "local SQLite file)",
                    ExitCode.ALREADY_RUNNING,
                )
            # A rehearsal replays from scratch: a previous run's log and cues would make it a resumption.
            await runtime.engine.forget(schedule.event.id)
            await runtime.run.load_schedule(text, path)
            if press is not None:  # the card to press is the one whose headline is this cue's title
                async with runtime.db.begin() as conn:
                    cues = await outbox_repo.list_cues(conn, schedule.event.id)
                press.title = next((c.title for c in cues if press.is_cue(c)), "")
            async with runtime.db.begin() as conn:
                _, host_token = await tokens_repo.create_token(conn, "rehearsal", HostRole.HOST, clock.now())
            meeting_task = None
            if emulator is not None:
                applied = (await ZoomSetup.for_runtime(runtime).apply(schedule, doctor=False)).result
                await runtime.refresh_links()
                moves, late = plan_meeting(schedule, audience=audience)
            server, server_task = await _serve(app, port, host)
            if press is not None:  # the first request builds the input gate's route table: not during the press
                async with httpx.AsyncClient() as warm:
                    await warm.get(f"http://127.0.0.1:{port}/healthz")
            watching = True
            clock.go()
            runtime.timer.request_rearm()
            if emulator is not None:
                meeting_task = asyncio.create_task(run_meeting(emulator, applied.id, moves, clock))  # type: ignore[arg-type]  # apply created it
                console.print(
                    f"Sandbox Zoom meeting {applied.id}: {webhook_count(moves)} signed webhooks will arrive "
                    f"(start, joins, leaves, end; {late} joins late, to show a readiness alert)"
                )
            console.print(
                f"[bold]Rehearsal of {schedule.event.title}[/] at {speed:g}x: "
                f"{opens.astimezone(tz):%H:%M}-{closes.astimezone(tz):%H:%M} {schedule.event.timezone} "
                f"in about {(closes - opens + lead).total_seconds() / speed:.0f} s"
            )
            console_line = (
                f"Console: http://{shown}:{port}/console/{schedule.event.id}  (sign in with host token {host_token})"
            )
            console.print(console_line, markup=False)
            console.print(
                f"Agenda:  http://{shown}:{port}/agenda/{schedule.event.id}   Metrics: http://{shown}:{port}/metrics",
                markup=False,
            )
            console.print(
                f"Local receivers: http://127.0.0.1:{receivers_port}/_received (every message in full)", markup=False
            )

            end = runtime.engine.timeline(schedule.event.id).state_at(clock.now()).projected_end
            while clock.now() < end + timedelta(seconds=30):
                await asyncio.sleep(0.1)
                end = runtime.engine.timeline(schedule.event.id).state_at(clock.now()).projected_end
            if meeting_task is not None:
                summary.webhooks = await meeting_task
                await runtime.attendance.drain()
                figures = attendance_json(
                    schedule,
                    runtime.engine.timeline(schedule.event.id),
                    await runtime.attendance.attendance(schedule.event.id),
                    clock.now(),
                )
                summary.attendance = {"unique": figures["total_unique"], "peak": figures["peak"]}
                # After the event, as on the day: who registered and Zoom's own participant list.
                assert runtime.zoom_client_factory is not None  # the sandbox Zoom
                fetched = await fetch_records(runtime.db, runtime.zoom_client_factory(), schedule.event.id, clock.now())
                if fetched is not None:
                    summary.fetched = {"registrants": fetched.registrants, "participant_rows": fetched.participant_rows}
                assert emulator is not None and applied.id is not None  # the sandbox meeting was created above
                stored = emulator.state.meetings.get(applied.id)
                summary.zoom_registrants = copy.deepcopy(stored.registrants) if stored else []
                summary.zoom_rows = [
                    copy.deepcopy(row)
                    for uuid in emulator.state.instance_order.get(applied.id, [])
                    for row in emulator.state.instances[uuid].rows
                ]
            await _drain(runtime, schedule.event.id)
            if pressing:
                await asyncio.wait(pressing, timeout=20.0)
                await runtime.chat_clicks.settle()
            async with runtime.db.begin() as conn:
                for row in await outbox_repo.list_deliveries(conn, schedule.event.id):
                    summary.deliveries[row.status] = summary.deliveries.get(row.status, 0) + 1
            for message in receivers.state.inbox:
                summary.received[message.kind] = summary.received.get(message.kind, 0) + 1
            if pack_to is not None:
                summary.pack = await _write_pack(runtime, schedule, pack_to, console)
            summary.finished = True
            if on_done is not None:
                on_done(summary, console_line)
            if keep_open:
                await _wait(keep_open, server, stop or asyncio.Event())
            # uvicorn waits for open connections before it stops: an open console's stream would
            # hold the end of the rehearsal until the browser left, so tell it to go first.
            closing.close_all()
            server.should_exit = True
            await server_task
    finally:
        if emulator is not None:
            await zoom_http.aclose()
            await emulator.aclose()
        receiver_server.should_exit = True
        with contextlib.suppress(Exception):
            await receiver_task
    return summary


async def _write_pack(runtime: Services, schedule: Schedule, pack_to: Path, console: Console) -> list[str]:
    """The shareable pack of the rehearsal: HTML always, PDF when Chromium can print it."""
    from app.report.pdf import PdfError
    from app.report.service import PackFormat, pack_from_db, pack_words, render_pack

    pack = await pack_from_db(runtime.db, schedule, runtime.clock.now(), runtime.engine.timeline(schedule.event.id))
    words = pack_words(schedule, catalogs=runtime.catalogs)  # the event's language (else English)
    written = []
    for fmt in (PackFormat.html, PackFormat.pdf):
        path = pack_to.with_suffix(f".{fmt.value}")
        try:
            path.write_bytes(await render_pack(pack, fmt, runtime.settings.chromium, words))
        except PdfError as exc:
            console.print(f"(no PDF of the pack: {exc})", markup=False)
            continue
        written.append(str(path))
    return written


OVERRUN = timedelta(minutes=4)


async def _run_over(runtime: Services, event_id: str, row, transcript: Transcript) -> None:
    """Halfway through a session the host adds four minutes and tells everyone."""
    try:
        later = runtime.clock.now() + timedelta(minutes=10)
        runtime.clock.owe(f"react {row.cue_id}", None)  # the moment is taken (see on_fire)
        async with at_moment(runtime.clock, f"delay {row.cue_id}", later):
            seconds = int(OVERRUN.total_seconds())
            segment = runtime.schedule(event_id).segment(row.segment)
            title = segment.title if segment else "This session"
            transcript.action(runtime.clock.now(), "rehearsal", f"delay {title} by {seconds // 60} minutes")
            await runtime.run.delay(event_id, "rehearsal", seconds)
            message = f"{title} runs {seconds // 60} minutes over; the discussion after it is shorter"
            transcript.action(runtime.clock.now(), "rehearsal", f"announce to every target: {message}")
            await runtime.run.announce(event_id, "rehearsal", message, [])
    except AppError as exc:
        log.info("rehearsal delay: %s", exc.reason)


async def _respond(runtime: Services, event_id: str, row, rng: random.Random, transcript: Transcript) -> None:
    """A host starts the respondent's timer; the respondent speaks a bit less or a bit more."""
    try:
        try:
            started = await runtime.run.start_timer(
                event_id, "rehearsal", segment=row.segment, slot=row.data.get("slot")
            )
            began = runtime.clock.now()
        finally:
            runtime.clock.owe(f"react {row.cue_id}", None)  # started at the slot's moment (see on_fire)
        timer_id, seconds = started.body["timer_id"], round(float(row.data.get("minutes", 3)) * 60)
        spoke = timedelta(seconds=seconds * rng.uniform(0.8, 1.15))
        async with at_moment(runtime.clock, f"stop {timer_id}", began + spoke):
            used = int(spoke.total_seconds())
            transcript.action(
                runtime.clock.now(), "rehearsal", f"stop timer {timer_id} after {used // 60}:{used % 60:02d}"
            )
            await runtime.run.timer(event_id, "rehearsal", timer_id, "stop")
    except AppError as exc:  # e.g. the timer already stopped by itself, or the host moved on
        log.info("rehearsal timer for %s: %s", row.cue_id, exc.reason)


async def _drain(runtime: Services, event_id: str, limit: float = 20.0) -> None:
    """Wait (bounded) until no delivery of the event is pending."""
    deadline = asyncio.get_running_loop().time() + limit
    while asyncio.get_running_loop().time() < deadline:
        async with runtime.db.begin() as conn:
            pending = await outbox_repo.list_deliveries(conn, event_id, DeliveryStatus.PENDING)
            sending = await outbox_repo.list_deliveries(conn, event_id, DeliveryStatus.SENDING)
        if not pending and not sending:
            return
        runtime.worker.kick()
        await asyncio.sleep(0.1)
