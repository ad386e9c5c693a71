"""B9 viewers: 10,000 concurrent clients on the public agenda's server-sent-event stream (what the
/agenda/{event} page opens: GET /api/public/events/{event}/stream): time from a host action to the
last client receiving it, RSS per instance, and what a client past the cap gets.

Without --servers the bench starts one `showcaller serve` on a fresh SQLite file with an event in
progress, its public-stream cap (SHOWCALLER_PUBLIC_STREAMS_MAX) set to exactly --clients. With
--postgres [URL] it makes a fresh PostgreSQL database of its own on that server instead (a random
name; dropped at the end, also on Ctrl-C or a failure) and starts --instances N `serve` processes on
it, each with the cap set to ceil(clients / N), so that its share fits. The first loads the schedule
and takes the host actions; the others learn of each change through the cluster's change notice
(PostgreSQL LISTEN/NOTIFY, app/cluster/notify.py), as instances behind a load balancer do. It prints
each instance's RSS (its process and children, from /proc) and the last client on each instance.
With --servers URL,URL,... (and --event, --token: an existing event and a host token) the clients
are spread round-robin over those instances and the host actions go to the first one.

The load generator is light: raw asyncio sockets (one Protocol per client that only counts
`event: agenda` frames and stamps their arrival) in --procs processes. A host action is POST
/delay (+10 s, shift), --actions of them --gap seconds apart; an action's figure is the moment
the last client received its frame - the moment before the POST was sent. Baseline, same run:
the same actions fanned out to --baseline clients (default 20).

Targets (exit 1 if missed): every client connected and received every action; last-client p99
<= 1 s.

    python bench/viewers.py                                # 10,000 clients on one local instance
    python bench/viewers.py --clients 500 --actions 5      # a quick check
    python bench/viewers.py --instances 3 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/viewers.py --servers http://127.0.0.1:8001,http://127.0.0.1:8002 --event ID --token T
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    ReceiverProcess,
    Report,
    ServiceProcess,
    api_token,
    fresh_postgres,
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

    def __init__(self, request: bytes, answered: asyncio.Future, server: int) -> None:
        self.request, self.answered, self.server = request, answered, server
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

    async def open_one(host: str, port: int, path: str, server: int) -> None:
        async with gate:
            answered = loop.create_future()
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
            viewer = _Viewer(request, answered, server)
            viewers.append(viewer)
            with contextlib.suppress(OSError, TimeoutError):
                await loop.create_connection(lambda: viewer, host, port)
                await asyncio.wait_for(answered, 30)

    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "connect":
            await asyncio.gather(*(open_one(*target) for target in targets))
            refused = [(v.status, v.body[:300].decode(errors="replace")) for v in viewers if v.status != 200]
            pipe.send((Counter(v.server for v in viewers if v.status == 200), refused))
        elif command == "mark":
            for viewer in viewers:
                viewer.frames.clear()
            pipe.send("marked")
        elif command == "report":
            pipe.send([(v.server, v.frames) for v in viewers if v.status == 200])
        else:
            for viewer in viewers:
                if viewer.transport is not None:
                    viewer.transport.close()
            pipe.send("closed")
            return


def _generator_main(pipe, targets) -> None:
    _raise_file_limit()
    asyncio.run(_generator(pipe, targets))


def spread_clients(servers: list[str], event_id: str, count: int) -> list[tuple[str, int, str, int]]:
    """(host, port, path, index in `servers`) of each of `count` clients, round-robin over `servers`."""
    path = f"/api/public/events/{event_id}/stream"
    targets = []
    for i in range(count):
        url = urlsplit(servers[i % len(servers)])
        targets.append((url.hostname or "127.0.0.1", url.port or 80, path, i % len(servers)))
    return targets


class Generators:
    """`procs` load-generator processes holding `count` clients spread over `servers`."""

    def __init__(self, servers: list[str], event_id: str, count: int, procs: int) -> None:
        targets = spread_clients(servers, event_id, count)
        context = multiprocessing.get_context("spawn")
        self.pipes, self.procs = [], []
        procs = max(1, min(procs, count))
        for p in range(procs):
            parent, child = context.Pipe()
            proc = context.Process(target=_generator_main, args=(child, targets[p::procs]), daemon=True)
            proc.start()
            child.close()  # the child holds its end: if it dies, a pending recv() here ends (EOFError)
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


@dataclass
class Phase:
    """One phase's figures: per action the last client's delay, every client's delay, frames missed,
    and per instance (by its index in the servers) the clients connected and the last client's delay there."""

    last: list[float]
    every: list[float]
    missed: int
    connected: int
    connected_on: Counter = field(default_factory=Counter)
    last_on: dict[int, list[float]] = field(default_factory=dict)


async def _phase(name, servers, event_id, token, count, args, while_open=None) -> Phase:
    generators = Generators(servers, event_id, count, args.procs if count > args.baseline else 1)
    try:
        began = time.perf_counter()
        answers = await generators.ask("connect")
        took = time.perf_counter() - began
        connected_on = sum((on for on, _ in answers), Counter())
        connected = connected_on.total()
        refused = [r for _, rs in answers for r in rs]
        print(f"  {name}: {connected} of {count} clients connected in {took:.1f} s")
        if refused:
            statuses = sorted({status for status, _ in refused})
            print(f"    refused: {len(refused)} (status {statuses}); e.g. {refused[0][1][:200]!r}")
        await asyncio.sleep(1.0)  # frames from connecting settle
        await generators.ask("mark")
        sent = await _actions(servers[0], event_id, token, args.actions, args.gap)
        frames = [pair for part in await generators.ask("report") for pair in part]
        last, every, missed = _latencies([f for _, f in frames], sent)
        last_on = {n: _latencies([f for on, f in frames if on == n], sent)[0] for n in sorted(connected_on)}
        if while_open is not None:
            await while_open(connected_on)
        return Phase(last, every, missed, connected, connected_on, last_on)
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


def stream_cap(args) -> int:
    """Each started instance's SHOWCALLER_PUBLIC_STREAMS_MAX: --cap, or its round-robin share."""
    return args.cap or math.ceil(args.clients / args.instances)


async def _start_instances(stack: contextlib.AsyncExitStack, args) -> tuple[list[ServiceProcess], str]:
    """--instances `serve` processes on a fresh database holding the event in progress, and a host
    token. Closing `stack` stops every process, then drops the PostgreSQL database (on any exit)."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    receiver = stack.enter_context(ReceiverProcess())
    if args.postgres:
        database_url = await stack.enter_async_context(fresh_postgres("bench_b9", args.postgres))
        print(f"  PostgreSQL database {database_url.rsplit('/', 1)[1]} (dropped at the end)")
    else:
        database_url = f"sqlite+aiosqlite:///{tmp / 'viewers.db'}"
    token = await api_token(database_url, "host")
    schedule = tmp / "viewers.yaml"
    schedule.write_text(_schedule())
    env = {**target_env(receiver.base, ["ops"]), "SHOWCALLER_PUBLIC_STREAMS_MAX": str(stream_cap(args))}
    services: list[ServiceProcess] = []
    for n in range(args.instances):
        # The first loads the schedule file; the others find the event in the shared database.
        service = ServiceProcess(schedule if n == 0 else None, database_url, env, tmp / f"service-{n + 1}.log")
        service.start()
        stack.callback(service.stop)
        services.append(service)
        await service.healthy(limit=60)
        await service.ready(limit=60)
    await asyncio.sleep(1.0)  # the start-up's own changes (the segment's start cue) settle
    return services, token


def _instance(servers: list[str], n: int) -> str:
    """How an output line names instance `n` ("" with one instance: the one-instance lines stay)."""
    if len(servers) == 1:
        return ""
    return f" of instance {n + 1} ({servers[n]}{', the host actions' if n == 0 else ''})"


async def run(args) -> int:
    report = Report("B9 viewers")
    _raise_file_limit()
    # SIGTERM ends the run as Ctrl-C does: cancelled, so the stack below still stops and drops.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with contextlib.AsyncExitStack() as stack:
        services: list[ServiceProcess] = []
        if args.servers:
            servers, event_id, token = args.servers, args.event, args.token
        else:
            services, token = await _start_instances(stack, args)
            servers, event_id = [f"http://127.0.0.1:{s.port}" for s in services], EVENT
            if len(services) > 1:
                print(f"  {len(services)} instances, public-stream cap {stream_cap(args)} each")
        idle = [s.rss_mb() for s in services]

        base = await _phase("baseline", servers, event_id, token, args.baseline, args)
        print(f"    baseline ({args.baseline} clients): {_figures(base.last, base.every)}")

        async def while_open(connected_on: Counter) -> None:
            if services:
                await _past_the_cap(servers, event_id, connected_on, services)

        phase = await _phase("viewers", servers, event_id, token, args.clients, args, while_open)
        last = phase.last
        print(f"    {phase.connected} clients: {_figures(last, phase.every)}")
        print("    each action, last client (ms): " + " ".join(f"{x * 1000:.0f}" for x in last))
        if len(phase.last_on) > 1:
            for n, on in phase.last_on.items():
                print(f"    clients{_instance(servers, n)}: {phase.connected_on[n]}, {_figures(on, [])}")
        if base.last and last:
            ratio = percentile(last, 99) / max(percentile(base.last, 99), 1e-6)
            print(f"    last-client p99 against the baseline: x{ratio:.1f}")
        for n, service in enumerate(services):
            after = service.rss_mb()
            print(f"  RSS{_instance(servers, n)}: {idle[n]:.0f} MB before the clients; {after:.0f} MB after they left")
        connected = phase.connected
        report.check(connected == args.clients, f"{connected}/{args.clients} clients connected")
        report.check(phase.missed == 0 and base.missed == 0, f"frames missed: {phase.missed} (baseline {base.missed})")
        if last:
            p99 = percentile(last, 99)
            report.check(p99 <= P99_MAX, f"last client p99 {p99 * 1000:.0f} ms (target <= {P99_MAX * 1000:.0f})")
    return report.finish()


async def _past_the_cap(
    servers: list[str], event_id: str, connected_on: Counter, services: list[ServiceProcess]
) -> None:
    """With every client still connected: each instance's RSS, and what one more client of the
    first instance gets (its cap is its share of --clients)."""
    for n, service in enumerate(services):
        print(f"  RSS{_instance(servers, n)} with {connected_on[n]} streams open: {service.rss_mb():.0f} MB")
    async with httpx.AsyncClient(base_url=servers[0], timeout=10) as client:
        answer = await client.get(f"/api/public/events/{event_id}/stream")
    print(f"  past the cap, one more client gets: {answer.status_code} {answer.text[:200]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "B9").splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000, help="concurrent SSE clients (default 10000)")
    parser.add_argument("--baseline", type=int, default=20, help="clients in the baseline fan-out (default 20)")
    parser.add_argument("--actions", type=int, default=10, help="host actions measured (default 10)")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between host actions (default 2)")
    parser.add_argument("--procs", type=int, default=4, help="load-generator processes (default 4)")
    parser.add_argument(
        "--cap", type=int, default=0, help="each started instance's stream cap (default: its share of --clients)"
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="`serve` processes to start (more than 1 needs --postgres)"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=POSTGRES_ADMIN_URL,
        default="",
        metavar="URL",
        help="start the instances on a fresh database made on this PostgreSQL server and dropped at the end "
        f"(URL of a database to connect to; without one: SHOWCALLER_BENCH_POSTGRES_URL, else {POSTGRES_ADMIN_URL})",
    )
    parser.add_argument("--servers", default="", help="comma-separated base URLs of running instances")
    parser.add_argument("--event", default=EVENT, help="the event to watch on --servers")
    parser.add_argument("--token", default="", help="a host token for --servers")
    parser.add_argument("--limit", type=float, default=900, help="give up after this many seconds (default 900)")
    args = parser.parse_args(argv)
    args.servers = [s.strip().rstrip("/") for s in args.servers.split(",") if s.strip()]
    if args.servers and not args.token:
        parser.error("--servers needs --token (a host token) and --event")
    if args.servers and (args.instances != 1 or args.postgres):
        parser.error("--servers measures instances already running; --instances and --postgres start their own")
    if args.instances < 1 or args.clients < 1:
        parser.error("--instances and --clients must be at least 1")
    if args.instances > 1 and not args.postgres:
        parser.error(
            f"--instances {args.instances} needs --postgres [URL]: instances share one PostgreSQL database "
            "(a SQLite file has one `serve`)"
        )
    if args.postgres and not args.postgres.startswith("postgresql+asyncpg://"):
        parser.error(f"--postgres {args.postgres!r}: expected postgresql+asyncpg://USER@HOST:PORT/DATABASE")
    return args


def main() -> int:
    args = parse_args()
    banner = f"B9 viewers: {args.clients} SSE clients on the public agenda stream, {args.actions} host actions"
    if args.postgres:
        banner += f", {args.instances} instance{'s' if args.instances > 1 else ''} on PostgreSQL"
    try:
        return run_bounded(banner, lambda: run(args), args.limit)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("B9 viewers: interrupted (every process it started is stopped, its database dropped)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
