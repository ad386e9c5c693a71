"""Remote commands: drive a running service over its REST API (`showcaller --server URL --token T ...`).

Each command takes the event id as its first argument, optional when the server runs exactly one
event. An error answer is printed as the API's own `reason`, with an exit status per HTTP status.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli import app, output
from app.cli.output import require_file
from app.cli.remote import Remote, RemoteError, Unreachable
from app.cli.state_text import state_lines
from app.core.failures import ExitCode, Failure
from app.core.vocabulary import DELIVERY_FAILED, FAILED_FILTER, DeliveryStatus

timer_app = typer.Typer(
    help="Control countdowns on a running service: start, pause, resume, add, stop.", no_args_is_help=True
)
app.add_typer(timer_app, name="timer")
stage_app = typer.Typer(
    help="The presenter view's message (hosts): message, flash, blackout, clear.", no_args_is_help=True
)
app.add_typer(stage_app, name="stage")
STATUS_CODES = {401: ExitCode.AUTH, 403: ExitCode.AUTH, 404: ExitCode.NOT_FOUND, 409: ExitCode.CONFLICT}

EventArg = Annotated[
    str | None, typer.Argument(help="event id (optional when the server runs one event)", show_default=False)
]


class DelayMode(StrEnum):
    absorb = "absorb"
    shift = "shift"


@contextlib.contextmanager
def remote(ctx: typer.Context) -> Iterator[Remote]:
    """A client for --server/--token (or SHOWCALLER_SERVER/SHOWCALLER_TOKEN); API errors become one line."""
    given = (ctx.find_root().obj or {}) if ctx is not None else {}
    server, token = given.get("server"), given.get("token")
    if not (server and token):  # the settings fill in what the command line left out
        # (only then: reading them is pydantic-settings, about a sixth of a remote command's
        # start-up, and a host types these during a show; issue 27)
        from app.core.config import get_settings

        settings = get_settings()
        server = server or settings.server
        token = token or (settings.token.get_secret_value() if settings.token else None)
    if not server:
        raise Failure(
            "no server given. Fix: pass --server URL before the command (showcaller --server "
            "http://127.0.0.1:8000 --token T state) or set SHOWCALLER_SERVER",
            ExitCode.SETTINGS,
        )
    if not token:
        raise Failure(
            "no API token given. Fix: pass --token T before the command or set SHOWCALLER_TOKEN "
            "(create one on the server: showcaller token create --role host)",
            ExitCode.AUTH,
        )
    client = Remote(server, token)
    try:
        yield client
    except RemoteError as exc:
        code = STATUS_CODES.get(exc.status, ExitCode.INVALID if exc.error == "which_event" else ExitCode.REFUSED)
        shown = exc.reason if exc.error == "which_event" else f"{exc.reason} (HTTP {exc.status} {exc.error})"
        raise Failure(shown, code) from None
    except Unreachable as exc:
        raise Failure(
            f"cannot reach {server}: {exc}. Fix: check --server (or SHOWCALLER_SERVER) and that "
            "`showcaller serve` runs there",
            ExitCode.UNREACHABLE,
        ) from None
    finally:
        client.close()


def _show_action(answer: dict) -> None:
    extra = f" timer {answer['timer_id']}" if answer.get("timer_id") else ""
    output.console.print(f"{answer['kind']}{extra} recorded (seq {answer['seq']})", markup=False)
    if undone := answer.get("undone"):
        # Say what was taken back: "undo recorded" alone leaves the host guessing which action it was.
        by = f", by {undone['actor']}" if undone.get("actor") else ""
        what = undone.get("summary") or undone["kind"]
        output.console.print(f"undid #{undone['seq']} {undone['kind']}: {what}{by}", markup=False)
    for line in state_lines(answer["state"]):
        output.console.print(line, markup=False)


def _act(ctx: typer.Context, event: str | None, name: str, **values: Any) -> None:
    with remote(ctx) as client:
        _show_action(client.act(client.event_id(event), name, **values))


@app.command()
def state(
    ctx: typer.Context,
    event: EventArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
) -> None:
    """(remote) The live state: current and next segment, remaining, delay, projected end, timers."""
    with remote(ctx) as client:
        answer = client.call("GET", f"/api/events/{client.event_id(event)}/state")
    if as_json:
        output.console.print_json(json.dumps(answer))
        return
    for line in state_lines(answer):
        output.console.print(line, markup=False)


@app.command()
def advance(
    ctx: typer.Context,
    event: EventArg = None,
    to: Annotated[str | None, typer.Option(help="jump to this segment id")] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="the segment you see as current (default: the current one when the command runs)"),
    ] = None,
) -> None:
    """(remote) Advance to the next segment, or jump with --to. If the show has moved on from the segment
    you meant (another host was faster), the server refuses (exit 11) and nothing is posted."""
    with remote(ctx) as client:
        event_id = client.event_id(event)
        if from_ is None:
            from_ = (client.call("GET", f"/api/events/{event_id}/state").get("current") or {}).get("id")
        _show_action(client.act(event_id, "advance", to=to, **{"from": from_}))


@app.command()
def undo(
    ctx: typer.Context,
    event: EventArg = None,
    seq: Annotated[
        int | None,
        typer.Option(help="the action you mean (its seq); refused if it is no longer the last one that can be undone"),
    ] = None,
) -> None:
    """(remote) Undo the last host action within the undo window; targets that got its messages get a correction."""
    _act(ctx, event, "undo", seq=seq)


@app.command()
def hold(ctx: typer.Context, event: EventArg = None) -> None:
    """(remote) Hold auto-advance on the current segment."""
    _act(ctx, event, "hold")


@app.command()
def resume(ctx: typer.Context, event: EventArg = None) -> None:
    """(remote) Resume auto-advance (an overrun becomes a delay)."""
    _act(ctx, event, "resume")


@app.command()
def delay(
    ctx: typer.Context,
    event: EventArg = None,
    minutes: Annotated[float, typer.Option(help="minutes late (negative: ahead)")] = 5.0,
    mode: Annotated[DelayMode | None, typer.Option(help="absorb or shift (default: the schedule's)")] = None,
) -> None:
    """(remote) Report a delay: flexible segments absorb it, or everything shifts."""
    _act(ctx, event, "delay", minutes=minutes, mode=mode.value if mode else None)


def _split(args: list[str], names: tuple[str, ...], optional: int = 0) -> tuple[str | None, list[str]]:
    """[EVENT] followed by `names` (the last `optional` of them may be left out): (event, values)."""
    least, most = len(names) - optional, len(names)
    if least <= len(args) <= most:
        return None, args
    if least + 1 <= len(args) <= most + 1:
        return args[0], args[1:]
    usage = " ".join(["[EVENT]", *[n.upper() if i < least else f"[{n.upper()}]" for i, n in enumerate(names)]])
    raise Failure(f"expected {usage}, got {len(args)} argument(s). Fix: quote a message with spaces", ExitCode.INVALID)


UntilCleared = Annotated[bool, typer.Option("--until-cleared", help="stay when the segment ends, until `stage clear`")]
Expires = Annotated[int | None, typer.Option("--expires", min=1, max=3600, help="go by itself after this many seconds")]


def _stage(ctx: typer.Context, args: list[str], until_cleared: bool, expires: int | None, **style: bool) -> None:
    event, (text,) = _split(args, ("message",))
    _act(ctx, event, "stage", message=text, until_cleared=until_cleared or None, expires_after=expires, **style)


StageText = Annotated[list[str], typer.Argument(help="[EVENT] MESSAGE (quote the message)", metavar="[EVENT] MESSAGE")]


@stage_app.command("message")
def stage_show(
    ctx: typer.Context, args: StageText, until_cleared: UntilCleared = False, expires: Expires = None
) -> None:
    """(remote) Show a message on the presenter view; it goes when the segment ends (or --until-cleared)."""
    _stage(ctx, args, until_cleared, expires)


@stage_app.command("flash")
def stage_flash(
    ctx: typer.Context, args: StageText, until_cleared: UntilCleared = False, expires: Expires = None
) -> None:
    """(remote) Show a message and flash the presenter view to catch the speaker's eye."""
    _stage(ctx, args, until_cleared, expires, flash=True)


@stage_app.command("blackout")
def stage_blackout(
    ctx: typer.Context, args: StageText, until_cleared: UntilCleared = False, expires: Expires = None
) -> None:
    """(remote) Black out the presenter view, showing only this message."""
    _stage(ctx, args, until_cleared, expires, blackout=True)


@stage_app.command("clear")
def stage_clear(ctx: typer.Context, event: EventArg = None) -> None:
    """(remote) Clear the presenter view's message (and blackout)."""
    _act(ctx, event, "stage_clear")


@app.command()
def announce(
    ctx: typer.Context,
    args: Annotated[list[str], typer.Argument(help="[EVENT] MESSAGE (quote the message)", metavar="[EVENT] MESSAGE")],
    to: Annotated[list[str] | None, typer.Option("--to", help="a target id (repeat; default: all)")] = None,
) -> None:
    """(remote) Post a one-off message to every target, or to the --to targets."""
    event, (message,) = _split(args, ("message",))
    targets = list(to or [])
    repeated = next((t for i, t in enumerate(targets) if t in targets[:i]), None)
    if repeated is not None:  # the server refuses it too; say so before sending anything
        raise Failure(
            f"--to {repeated} is given {targets.count(repeated)} times; a target gets each message once. "
            "Fix: name each target once",
            ExitCode.INVALID,
        )
    _act(ctx, event, "announce", message=message, targets=targets)


@timer_app.command("start")
def timer_start(
    ctx: typer.Context,
    event: EventArg = None,
    slot: Annotated[int | None, typer.Option(help="respondent slot (its minutes come from the file)")] = None,
    segment: Annotated[str | None, typer.Option(help="segment id (default: the current one)")] = None,
    seconds: Annotated[int | None, typer.Option(help="duration, for a timer that is not a slot")] = None,
    label: Annotated[str | None, typer.Option(help="what the countdown is for")] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="a respondent's timer: keep counting after the show leaves the segment")
    ] = False,
) -> None:
    """(remote) Start a countdown: a respondent slot, or any timer with --seconds and --label. A
    respondent's timer stops when the show leaves its segment, unless --keep."""
    _act(ctx, event, "timer_start", slot=slot, segment=segment, seconds=seconds, label=label, keep=keep or None)


def _timer_command(name: str, doc: str):
    def command(
        ctx: typer.Context,
        args: Annotated[list[str], typer.Argument(help="[EVENT] TIMER (t1, t2, ...)", metavar="[EVENT] TIMER")],
    ) -> None:
        event, (timer_id,) = _split(args, ("timer",))
        _act(ctx, event, f"timer_{name}", timer_id=timer_id)

    command.__doc__ = doc
    timer_app.command(name)(command)


_timer_command("pause", "(remote) Pause a running timer.")
_timer_command("resume", "(remote) Resume a paused timer.")
_timer_command("stop", "(remote) Stop a timer.")


@timer_app.command("add")
def timer_add(
    ctx: typer.Context,
    args: Annotated[list[str], typer.Argument(help="[EVENT] TIMER", metavar="[EVENT] TIMER")],
    seconds: Annotated[int, typer.Option(help="seconds to add (negative: remove)")] = 30,
) -> None:
    """(remote) Add (or remove) time on a timer."""
    event, (timer_id,) = _split(args, ("timer",))
    _act(ctx, event, "timer_add", timer_id=timer_id, seconds=seconds)


@app.command()
def cues(ctx: typer.Context, event: EventArg = None) -> None:
    """(remote) The cue log: each cue's status and its deliveries."""
    with remote(ctx) as client:
        rows = client.call("GET", f"/api/events/{client.event_id(event)}/cues")
    for row in rows:
        sent = sum(d["status"] == DeliveryStatus.SENT for d in row["deliveries"])
        failed = [d for d in row["deliveries"] if d["status"] in DELIVERY_FAILED]
        flag = f", {len(failed)} failed" if failed else ""
        output.console.print(
            f"{(row['due_at'] or '-')[11:19]} {row['status']:<9} {row['kind']:<20} {row['title']} "
            f"({sent}/{len(row['deliveries'])} sent{flag})",
            markup=False,
        )


@app.command()
def deliveries(
    ctx: typer.Context,
    event: EventArg = None,
    failed: Annotated[bool, typer.Option("--failed", help="only parked or expired ones")] = False,
) -> None:
    """(remote) Deliveries with the receiver's answer; `resend ID` sends a failed one again."""
    with remote(ctx) as client:
        rows = client.call(
            "GET",
            f"/api/events/{client.event_id(event)}/deliveries",
            params={"status": FAILED_FILTER} if failed else None,
        )
    for row in rows:
        error = f"  {row['error']}" if row.get("error") else ""
        line = f"{row['id']}  {row['status']:<8} {row['target']:<20} {row['cue_id']}{error}"
        output.console.print(line, markup=False)
    if not rows:
        output.console.print("no failed deliveries" if failed else "no deliveries yet")


@app.command()
def resend(ctx: typer.Context, delivery_id: Annotated[str, typer.Argument(help="an id from `deliveries`")]) -> None:
    """(remote) Send a failed delivery again (same webhook id)."""
    with remote(ctx) as client:
        answer = client.call("POST", f"/api/deliveries/{delivery_id}/resend")
    output.console.print(f"{answer['id']}: {answer['status']}", markup=False)


def post_schedule(client: Remote, file: Path) -> dict:
    """Load or replace `file` on the server; its problems are listed like `validate`'s."""
    require_file(file)
    try:
        return client.call(
            "POST",
            "/api/events",
            content=file.read_bytes(),
            headers={"content-type": "application/yaml", "x-schedule-name": file.name},
        )
    except RemoteError as exc:
        if exc.status != 422 or "problems" not in exc.body:
            raise
        for problem in exc.body["problems"]:
            output.errors.print(
                f"{file}:{problem['line']}:{problem['column']}: {problem['path']}: "
                f"{problem['message']}. Fix: {problem['fix']}",
                markup=False,
            )
        raise Failure(f"{file}: {exc.reason}", ExitCode.INVALID) from None


@app.command()
def load(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="the schedule file to load or replace")]
) -> None:
    """(remote) Load or replace a schedule on the server (organiser token); problems are listed like `validate`."""
    require_file(file)
    with remote(ctx) as client:
        answer = post_schedule(client, file)
    output.console.print(f"loaded {answer['id']}: {answer['title']} ({answer['timezone']})", markup=False)


@app.command()
def watch(
    ctx: typer.Context,
    event: EventArg = None,
    once: Annotated[bool, typer.Option(help="print the first state and stop (scripts, tests)")] = False,
    until_ended: Annotated[bool, typer.Option(help="stop when the event has ended")] = True,
) -> None:
    """(remote) A live view from the event stream: current segment with its countdown, next, delay, timers."""
    from app.cli.watch_view import follow

    with remote(ctx) as client:
        event_id = client.event_id(event)
        follow(client.stream(event_id), output.console, once=once, until_ended=until_ended, now=time.monotonic)
