"""The remote CLI against a real server on loopback: actions, API error texts and exit codes, watch."""

from __future__ import annotations

import asyncio
import socket

from typer.testing import CliRunner

import app.cli.remote_cmds  # noqa: F401  (registers the commands, as app.cli.main does)
from app.cli import app
from app.core.failures import ExitCode
from tests.conftest import MEKONG
from tests.web.conftest import EVENT


async def cli(server, *args: str, role: str = "host", url: str | None = None):
    """`showcaller --server URL --token T ARGS` in a thread: the server runs on this test's loop."""
    argv = ["--server", url or server.url, "--token", server.tokens[role], *args]
    return await asyncio.to_thread(CliRunner().invoke, app, argv)


def one_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


async def test_state_and_advance_without_naming_the_only_event(server):
    result = await cli(server, "state")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Mekong Dialogue on Labour Mobility (mekong-dialogue-2022): live"
    assert "now:   Session 1: Preparing for safe migration [session-1]" in result.stdout
    result = await cli(server, "advance", EVENT, "--to", "session-2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("advance recorded (seq ")
    assert "now:   Session 2: Promoting healthy labour mobility [session-2]" in result.stdout
    assert server.runtime.engine.timeline(EVENT).state_at(server.clock.now()).current.id == "session-2"


async def test_api_error_texts_and_exit_codes(server):
    assert (await cli(server, "hold")).exit_code == 0
    again = await cli(server, "hold")
    assert again.exit_code == ExitCode.CONFLICT
    assert one_line(again) == "already on hold (HTTP 409 conflict)"

    viewer = await cli(server, "resume", role="viewer")
    assert viewer.exit_code == ExitCode.AUTH
    assert one_line(viewer) == (
        "this needs the 'host' role; your token 'Vic (viewer)' is 'viewer' (HTTP 403 forbidden)"
    )

    missing = await cli(server, "state", "no-such-event")
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert one_line(missing) == f"no event 'no-such-event' (loaded: {EVENT}) (HTTP 404 not_found)"

    bad = await cli(server, "advance", "--to", "no-such-segment")
    assert bad.exit_code == ExitCode.NOT_FOUND
    assert one_line(bad).startswith(f"no segment 'no-such-segment' in {EVENT} (known: setup, opening, session-1,")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = await cli(server, "state", url=closed)
    assert down.exit_code == ExitCode.UNREACHABLE
    assert one_line(down).startswith(f"cannot reach {closed}: ConnectError")


async def test_timers_announce_delay(server):
    started = await cli(server, "timer", "start", "--segment", "session-1", "--slot", "1")
    assert started.exit_code == 0, started.output
    assert started.stdout.startswith("timer_start timer t1 recorded")
    assert "timer t1: Respondent 1 (" in started.stdout and "3:00 left" in started.stdout
    for args in (("add", "t1", "--seconds", "30"), ("pause", EVENT, "t1"), ("resume", "t1"), ("stop", "t1")):
        result = await cli(server, "timer", *args)
        assert result.exit_code == 0, (args, result.output)
    stopped = await cli(server, "timer", "stop", "t1")
    assert stopped.exit_code == ExitCode.CONFLICT
    assert one_line(stopped) == "the timer is already stopped (HTTP 409 conflict)"
    kinds = [a.kind for a in server.runtime.engine.loaded(EVENT).actions]
    assert kinds[-5:] == ["timer_start", "timer_add", "timer_pause", "timer_resume", "timer_stop"]

    said = await cli(server, "announce", EVENT, "Coffee in 5 minutes", "--to", "hosts-slack")
    assert said.exit_code == 0, said.output
    unknown = await cli(server, "announce", "Hello", "--to", "nowhere")
    assert unknown.exit_code == ExitCode.NOT_FOUND and one_line(unknown).startswith("unknown target(s): nowhere;")
    logged = len(server.runtime.engine.loaded(EVENT).actions)
    twice = await cli(server, "announce", "Hello", "--to", "hosts-slack", "--to", "team-teams", "--to", "hosts-slack")
    assert twice.exit_code == ExitCode.INVALID
    assert one_line(twice) == (
        "--to hosts-slack is given 2 times; a target gets each message once. Fix: name each target once"
    )
    assert len(server.runtime.engine.loaded(EVENT).actions) == logged  # refused before anything was sent

    late = await cli(server, "delay", "--minutes", "5", "--mode", "shift")
    assert late.exit_code == 0, late.output
    assert "delay: 5:00" in late.stdout


async def test_cues_failed_deliveries_and_resend(server):
    await server.advance(minutes=30)  # Session 1 ends: its cues fire; Discord refuses every message
    cues = await cli(server, "cues")
    assert cues.exit_code == 0, cues.output
    assert any("fired" in line and "segment_start" in line for line in cues.stdout.splitlines())
    failed = await cli(server, "deliveries", "--failed")
    assert failed.exit_code == 0, failed.output
    rows = failed.stdout.splitlines()
    # The recording's start (zoom.recording, issue 29) parks too: this served event has no Zoom meeting.
    zoom = [row for row in rows if " @zoom " in row]
    assert len(zoom) == 1 and "recording.start" in zoom[0] and "no Zoom meeting yet" in zoom[0], zoom
    rows = [row for row in rows if row not in zoom]
    assert rows and all(" parked " in row and "speakers-discord" in row for row in rows)
    assert "Unknown Webhook" in rows[0]  # the receiver's own answer
    delivery_id = rows[0].split()[0]
    again = await cli(server, "resend", delivery_id)
    assert again.exit_code == 0 and again.stdout.strip() == f"{delivery_id}: pending"
    nothing = await cli(server, "resend", "msg_nope")
    assert nothing.exit_code == ExitCode.NOT_FOUND
    sent_twice = await cli(server, "resend", delivery_id)  # pending again, not failed: nothing to re-send
    assert sent_twice.exit_code == ExitCode.CONFLICT


async def test_load_needs_an_organiser_and_lists_problems(server, tmp_path):
    host = await cli(server, "load", str(MEKONG))
    assert host.exit_code == ExitCode.AUTH
    loaded = await cli(server, "load", str(MEKONG), role="organiser")
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stdout.strip() == f"loaded {EVENT}: Mekong Dialogue on Labour Mobility (Asia/Bangkok)"
    broken = tmp_path / "broken.yaml"
    broken.write_text(MEKONG.read_text().replace("timezone: Asia/Bangkok", "timezone: Mars/Olympus"), "utf-8")
    bad = await cli(server, "load", str(broken), role="organiser")
    assert bad.exit_code == ExitCode.INVALID
    assert "Mars/Olympus" in bad.stderr and bad.stderr.splitlines()[-1].startswith(f"{broken}: 1 problem")


async def test_watch_shows_the_countdown_and_follows_to_the_end(server):
    once = await cli(server, "watch", "--once")
    assert once.exit_code == 0, once.output
    assert "Mekong Dialogue on Labour Mobility" in once.stdout
    assert "Session 1: Preparing for safe migration" in once.stdout and "left" in once.stdout

    following = asyncio.create_task(cli(server, "watch", EVENT))
    await asyncio.sleep(0)
    while server.runtime.broadcaster.subscribers(EVENT) == 0:  # the stream is open
        assert not following.done(), following.result().output
        await asyncio.sleep(0.05)
    await server.advance(hours=4)  # past the end: the stream sends the ended state
    result = await asyncio.wait_for(following, 60)
    assert result.exit_code == 0, result.output
    assert "ended" in result.stdout


async def test_advance_from_a_segment_already_left_is_refused_and_undo_takes_a_move_back(server):
    """`advance --from` names what the host saw: once another host moved the show, it is refused (exit 11,
    the server's reason naming who moved it), nothing is recorded; `undo` then takes the move back."""
    moved = await cli(server, "advance", "--from", "session-1")
    assert moved.exit_code == 0, moved.output
    late = await cli(server, "advance", "--from", "session-1")
    assert late.exit_code == ExitCode.CONFLICT
    assert one_line(late).startswith("already moved from 'session-1' to 'discussion-1' at ")
    log = server.runtime.engine.loaded(EVENT).actions
    assert [a.kind for a in log] == ["advance"]
    undone = await cli(server, "undo")
    assert undone.exit_code == 0, undone.output
    # It says what it took back, and whose action it was.
    assert "undid #1 advance: Next segment: Open discussion (Session 1), by " in undone.stdout
    assert server.runtime.engine.timeline(EVENT).state_at(server.clock.now()).current.id == "session-1"


async def test_stage_message_flash_blackout_and_clear(server):
    stage = server.runtime.engine

    def shown():
        from schedules.stage import stage_message

        now = server.clock.now()
        return stage_message(stage.loaded(EVENT).actions, stage.timeline(EVENT), now)

    said = await cli(server, "stage", "message", "Please wrap up")
    assert said.exit_code == 0, said.output
    assert said.stdout.startswith("stage_message recorded (seq ")
    assert (shown().text, shown().flash, shown().blackout, shown().until_cleared) == (
        "Please wrap up",
        False,
        False,
        False,
    )

    flashed = await cli(server, "stage", "flash", EVENT, "30 seconds", "--expires", "30")
    assert flashed.exit_code == 0, flashed.output
    assert (shown().text, shown().flash, shown().expires_after) == ("30 seconds", True, 30)
    await server.advance(seconds=30)
    assert shown() is None  # expired by itself
    gone = await cli(server, "stage", "clear")
    assert gone.exit_code == ExitCode.CONFLICT and one_line(gone) == "no stage message is shown (HTTP 409 conflict)"

    dark = await cli(server, "stage", "blackout", "Back in 2 minutes", "--until-cleared")
    assert dark.exit_code == 0, dark.output
    assert (shown().blackout, shown().until_cleared) == (True, True)
    await server.advance(minutes=30)  # Session 1 ends: a message kept until cleared stays
    assert shown() is not None and shown().text == "Back in 2 minutes"
    cleared = await cli(server, "stage", "clear", EVENT)
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout.startswith("stage_clear recorded")
    assert shown() is None

    long = await cli(server, "stage", "message", "x", "--expires", "7200")
    assert long.exit_code == 2 and "less than or equal to 3600" in long.output  # the option's own bound
    empty = await cli(server, "stage", "message", "   ")
    assert empty.exit_code == ExitCode.REFUSED
    assert one_line(empty) == "message: write the words the stage should see (HTTP 422 invalid_request)"
    kinds = [a.kind for a in stage.loaded(EVENT).actions]
    assert kinds == ["stage_message", "stage_message", "stage_message", "stage_clear"]


async def test_timer_start_keep(server):
    kept = await cli(server, "timer", "start", "--segment", "session-1", "--slot", "1", "--keep")
    assert kept.exit_code == 0, kept.output
    plain = await cli(server, "timer", "start", "--segment", "session-1", "--slot", "2")
    assert plain.exit_code == 0, plain.output
    assert (await cli(server, "advance", "--to", "discussion-1")).exit_code == 0
    timers = {t.id: t for t in server.runtime.engine.timeline(EVENT).timers}
    assert timers["t1"].keep and timers["t1"].status.value == "running"
    assert timers["t2"].status.value == "stopped"  # the show left its segment


async def test_state_and_watch_say_how_far_ahead_and_when_it_ends(server):
    jumped = await cli(server, "advance", "--to", "discussion-1")  # at 14:20, 25 min before its plan
    assert jumped.exit_code == 0, jumped.output
    state = await cli(server, "state")
    assert "(ahead by 25 min)" in state.stdout and "projected end: 17:05:00 (planned 17:30:00, 25 min early)" in (
        state.stdout
    )
    once = await cli(server, "watch", "--once")
    assert once.exit_code == 0, once.output
    assert "ahead by 25 min" in once.stdout and "17:05:00 (planned 17:30:00, 25 min early)" in once.stdout
