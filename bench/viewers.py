"""B9 viewers: 10,000 concurrent clients on the public agenda's server-sent-event stream (what the
/agenda/{event} page opens: GET /api/public/events/{event}/stream): time from a host action to the
last client receiving it, RSS per instance, and what a client past the cap gets.

Without --servers the bench starts one `showcaller serve` on a fresh SQLite file with an event in
progress, its public-stream cap (SHOWCALLER_PUBLIC_STREAMS_MAX) set to exactly --clients. With
--servers URL,URL,... (and --event, --token: an existing event and a host token) the clients are
spread round-robin over those instances and the host actions go to the first one.

The load generator is light: raw asyncio sockets (one Protocol per client that only counts
`event: agenda` frames and stamps their arrival) in --procs processes. A host action is POST
/delay (+10 s, shift), --actions of them --gap seconds apart; an action's figure is the moment
the last client received its frame - the moment before the POST was sent. Baseline, same run:
the same actions fanned out to --baseline clients (default 20).

Targets (exit 1 if missed): every client connected and received every action; last-client p99
<= 1 s.

    python bench/viewers.py                                # 10,000 clients on one local instance
    python bench/viewers.py --clients 500 --actions 5      # a quick check
    python bench/viewers.py --servers http://127.0.0.1:8001,http://127.0.0.1:8002 --event ID --token T
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    ReceiverProcess,
    Report,
    ServiceProcess,
    api_token,
    percentile,
    run_bounded,
    schedule_yaml,
    target_env,
)

EVENT = "bench-viewers"
P99_MAX = 1.0  # seconds from a host action to the last client
MARKER = b"event: agenda"
CONNECTING_AT_ONCE = 200  # per load-generator process


def _raise_file_limit() -> None:
    """Many sockets: lift the soft limit on open files to the hard one (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the load generator (runs in child processes) -------------------------------------------


class _Viewer(asyncio.Protocol):
    """One SSE client: the status line, then only the arrival time of each agenda frame."""

    def __init__(self, request: bytes, answered: asyncio.Future) -> None:
        self.request, self.answered = request, answered
        self.head, self.status, self.body, self.tail = b"", 0, b"", b""
        self.frames: list[float] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.status:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            head, _, data = self.head.partition(b"\r\n\r\n")
            self.status = int(head.split(b" ", 2)[1])
            if not self.answered.done():
                self.answered.set_result(self.status)
        if self.status != 200:
            self.body += data
            return
        chunk = self.tail + data
        found = chunk.count(MARKER)
        if found:
            self.frames.extend([now] * found)
        self.tail = chunk[-(len(MARKER) - 1) :]  # a marker split over two reads is still counted once

    def connection_lost(self, exc) -> None:
        if not self.answered.done():
            self.answered.set_result(0)


async def _generator(pipe, targets: list[tuple[str, int, str]]) -> None:
    loop = asyncio.get_running_loop()
    viewers: list[_Viewer] = []
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def open_one(host: str, port: int, path: str) -> None:
        async with gate:
            answered = loop.create_future()
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
            viewer = _Viewer(request, answered)
            viewers.append(viewer)
            with contextlib.suppress(OSError, TimeoutError):
                await loop.create_connection(lambda: viewer, host, port)
                await asyncio.wait_for(answered, 30)

    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "connect":
            await asyncio.gather(*(open_one(*target) for target in targets))
            refused = [(v.status, v.body[:300].decode(errors="replace")) for v in viewers if v.status != 200]
            pipe.send((sum(1 for v in viewers if v.status == 200), refused))
        elif command == "mark":
            for viewer in viewers:
                viewer.frames.clear()
            pipe.send("marked")
        elif command == "report":
            pipe.send([v.frames for v in viewers if v.status == 200])
        else:
            for viewer in viewers:
                if viewer.transport is not None:
                    viewer.transport.close()
            pipe.send("closed")
            return


def _generator_main(pipe, targets) -> None:
    _raise_file_limit()
    asyncio.run(_generator(pipe, targets))


class Generators:
    """`procs` load-generator processes holding `count` clients spread over `servers`."""

    def __init__(self, servers: list[str], event_id: str, count: int, procs: int) -> None:
        path = f"/api/public/events/{event_id}/stream"
        targets = []
        for i in range(count):
            url = urlsplit(servers[i % len(servers)])
            targets.append((url.hostname or "127.0.0.1", url.port or 80, path))
        context = multiprocessing.get_context("spawn")
        self.pipes, self.procs = [], []
        procs = max(1, min(procs, count))
        for p in range(procs):
            parent, child = context.Pipe()
            proc = context.Process(target=_generator_main, args=(child, targets[p::procs]), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)

    async def ask(self, command: str) -> list:
        for pipe in self.pipes:
            pipe.send(command)
        return await asyncio.gather(*(asyncio.to_thread(pipe.recv) for pipe in self.pipes))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ask("close"), 30)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


# --- the bench ------------------------------------------------------------------------------


async def _actions(base: str, event_id: str, token: str, count: int, gap: float) -> list[float]:
    """`count` host actions `gap` seconds apart; the epoch time just before each was sent."""
    sent = []
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(count):
            at = time.time()
            answer = await client.post(f"/api/events/{event_id}/delay", json={"seconds": 10, "mode": "shift"})
            if answer.status_code != 200:
                raise RuntimeError(f"the host action answered {answer.status_code}: {answer.text[:300]}")
            sent.append(at)
            await asyncio.sleep(gap)
    return sent


def _latencies(frames: list[list[float]], sent: list[float]) -> tuple[list[float], list[float], int]:
    """Per action: when the last client got it (s after the action); every client's delay; misses."""
    last, every, missed = [], [], 0
    bounds = [*sent[1:], float("inf")]
    for at, until in zip(sent, bounds, strict=True):
        worst = 0.0
        for times in frames:
            got = next((t for t in times if at <= t < until), None)
            if got is None:
                missed += 1
                continue
            every.append(got - at)
            worst = max(worst, got - at)
        last.append(worst)
    return last, every, missed


async def _phase(
    name, servers, event_id, token, count, args, while_open=None
) -> tuple[list[float], list[float], int, int, float]:
    generators = Generators(servers, event_id, count, args.procs if count > args.baseline else 1)
    try:
        began = time.perf_counter()
        answers = await generators.ask("connect")
        took = time.perf_counter() - began
        connected = sum(ok for ok, _ in answers)
        refused = [r for _, rs in answers for r in rs]
        print(f"  {name}: {connected} of {count} clients connected in {took:.1f} s")
        if refused:
            statuses = sorted({status for status, _ in refused})
            print(f"    refused: {len(refused)} (status {statuses}); e.g. {refused[0][1][:200]!r}")
        await asyncio.sleep(1.0)  # frames from connecting settle
        await generators.ask("mark")
        sent = await _actions(servers[0], event_id, token, args.actions, args.gap)
        frames = [f for part in await generators.ask("report") for f in part]
        last, every, missed = _latencies(frames, sent)
        if while_open is not None:
            await while_open(connected)
        return last, every, missed, connected, took
    finally:
        await generators.close()


def _figures(last: list[float], every: list[float]) -> str:
    if not last:
        return "no samples"
    text = f"last client p50 {percentile(last, 50) * 1000:7.1f} ms  p99 {percentile(last, 99) * 1000:7.1f} ms"
    if every:
        text += (
            f"   every client p50 {percentile(every, 50) * 1000:6.1f} ms  p99 {percentile(every, 99) * 1000:6.1f} ms"
        )
    return text


def _schedule() -> str:
    """An event in progress for hours (no reminders: nothing but host actions changes the agenda)."""
    start = datetime.now(UTC) - timedelta(minutes=10)
    return schedule_yaml(EVENT, start, start + timedelta(hours=6), [], ["ops"])


async def run(args) -> int:
    report = Report("B9 viewers")
    _raise_file_limit()
    with contextlib.ExitStack() as stack:
        service = None
        if args.servers:
            servers, event_id, token = args.servers, args.event, args.token
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            receiver = stack.enter_context(ReceiverProcess())
            database_url = f"sqlite+aiosqlite:///{tmp / 'viewers.db'}"
            token = await api_token(database_url, "host")
            schedule = tmp / "viewers.yaml"
            schedule.write_text(_schedule())
            env = {**target_env(receiver.base, ["ops"]), "SHOWCALLER_PUBLIC_STREAMS_MAX": str(args.cap or args.clients)}
            service = ServiceProcess(schedule, database_url, env, tmp / "service.log")
            service.start()
            stack.callback(service.stop)
            await service.healthy(limit=60)
            await service.ready(limit=60)
            await asyncio.sleep(1.0)  # the start-up's own changes (the segment's start cue) settle
            servers, event_id = [f"http://127.0.0.1:{service.port}"], EVENT
        idle = service.rss_mb() if service else None

        base_last, base_every, base_missed, _, _ = await _phase(
            "baseline", servers, event_id, token, args.baseline, args
        )
        print(f"    baseline ({args.baseline} clients): {_figures(base_last, base_every)}")

        async def while_open(connected: int) -> None:
            if service is not None:
                await _past_the_cap(servers[0], event_id, connected, service)

        last, every, missed, connected, _ = await _phase(
            "viewers", servers, event_id, token, args.clients, args, while_open
        )
        print(f"    {connected} clients: {_figures(last, every)}")
        print("    each action, last client (ms): " + " ".join(f"{x * 1000:.0f}" for x in last))
        if base_last and last:
            ratio = percentile(last, 99) / max(percentile(base_last, 99), 1e-6)
            print(f"    last-client p99 against the baseline: x{ratio:.1f}")
        if service is not None:
            print(f"  RSS: {idle:.0f} MB before the clients; {service.rss_mb():.0f} MB after they left")
        report.check(connected == args.clients, f"{connected}/{args.clients} clients connected")
        report.check(missed == 0 and base_missed == 0, f"frames missed: {missed} (baseline {base_missed})")
        if last:
            p99 = percentile(last, 99)
            report.check(p99 <= P99_MAX, f"last client p99 {p99 * 1000:.0f} ms (target <= {P99_MAX * 1000:.0f})")
    return report.finish()


async def _past_the_cap(server: str, event_id: str, connected: int, service: ServiceProcess) -> None:
    """With every client still connected (the local cap is --clients): the RSS, and what one more gets."""
    full = service.rss_mb()
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        answer = await client.get(f"/api/public/events/{event_id}/stream")
    print(f"  RSS with {connected} streams open: {full:.0f} MB")
    print(f"  past the cap, one more client gets: {answer.status_code} {answer.text[:200]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000, help="concurrent SSE clients (default 10000)")
    parser.add_argument("--baseline", type=int, default=20, help="clients in the baseline fan-out (default 20)")
    parser.add_argument("--actions", type=int, default=10, help="host actions measured (default 10)")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between host actions (default 2)")
    parser.add_argument("--procs", type=int, default=4, help="load-generator processes (default 4)")
    parser.add_argument("--cap", type=int, default=0, help="local instance's stream cap (default: --clients)")
    parser.add_argument("--servers", default="", help="comma-separated base URLs of running instances")
    parser.add_argument("--event", default=EVENT, help="the event to watch on --servers")
    parser.add_argument("--token", default="", help="a host token for --servers")
    parser.add_argument("--limit", type=float, default=900, help="give up after this many seconds (default 900)")
    args = parser.parse_args()
    args.servers = [s.strip().rstrip("/") for s in args.servers.split(",") if s.strip()]
    if args.servers and not args.token:
        parser.error("--servers needs --token (a host token) and --event")
    banner = f"B9 viewers: {args.clients} SSE clients on the public agenda stream, {args.actions} host actions"
    return run_bounded(banner, lambda: run(args), args.limit)


if __name__ == "__main__":
    sys.exit(main())
