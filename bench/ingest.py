"""Benchmark: signed Zoom webhook ingestion (durable inbox insert) vs a no-op GET /healthz.

Starts the real app with uvicorn on 127.0.0.1 (one worker, SQLite file in a temp dir, uvloop and
httptools when installed), warms both endpoints up, then drives both with the same load generator
(32 keep-alive connections) against the same server: `wrk` when installed (its Lua script sends
pre-signed, all-distinct webhooks), else a pure-Python asyncio generator. It prints which one ran
and the CPU each side used, so a generator-bound figure is visible as such, and the disk's fsync
time before each phase (every acknowledged webhook waits for one). Checks:

- ingestion throughput >= 0.8 x healthz throughput (issue 27; 0.5 before),
- ingestion p99 latency < 20 ms at 32 connections (issue 27; 50 ms before),
- every accepted response is a stored row (exactly, with the Python generator; with wrk, requests
  it cuts off at its deadline may be stored unanswered: at most one per connection), a duplicate
  is stored once, and the background processor catches up with the inbox afterwards.

Bounded in time: each phase stops after REQUESTS requests (Python) or SECONDS (wrk), and never
runs past PHASE_SECONDS. Exit status 1 if a target is missed.
Usage: python bench/ingest.py [--requests N] [--seconds S] [--generator auto|wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import record  # noqa: E402
from integrations.zoom.webhooks import sign  # noqa: E402

SECRET = "bench-webhook-secret"
CONCURRENCY = 32
PHASE_SECONDS = 20.0
CATCH_UP_SECONDS = 60.0
WARM_UP = 300
TARGET_RATIO, TARGET_P99_MS = 0.8, 20.0  # issue 27's targets (see docs/reliability.md, B1)
FSYNC_PROBES = 30
ROUNDS = 3  # Python generator: healthz and ingest alternate this many times
WRK_LUA = r"""
local counter, threads = 0, {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  reqs, i, accepted, duplicate, other, wrapped = {}, 0, 0, 0, 0, 0
  local n, line_no = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if line_no % n == id then
      local stamp, sig, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/webhooks/zoom", {
        ["content-type"] = "application/json",
        ["x-zm-request-timestamp"] = stamp, ["x-zm-signature"] = sig }, body)
    end
    line_no = line_no + 1
  end
end
function request()
  i = i + 1
  if i > #reqs then i, wrapped = 1, wrapped + 1 end
  return reqs[i]
end
function response(status, headers, body)
  if status ~= 200 then other = other + 1
  elseif body:find('"accepted"', 1, true) then accepted = accepted + 1
  else duplicate = duplicate + 1 end
end
function done(summary, latency, requests)
  local a, d, o, w = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a, d, o, w = a + t:get("accepted"), d + t:get("duplicate"), o + t:get("other"),
      w + t:get("wrapped")
  end
  io.write(string.format('\n{"accepted":%d,"duplicate":%d,"other":%d,"wrapped":%d}\n',
    a, d, o, w))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _payload(i: int, now: datetime) -> bytes:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "event": "meeting.participant_joined",
            "event_ts": int(now.timestamp() * 1000) + i,
            "payload": {
                "account_id": "bench",
                "object": {
                    "id": "81234567890",
                    "uuid": "Xk3pQ9sYT0uYbq1yQm1zRw==",
                    "host_id": "h",
                    "topic": "Bench",
                    "type": 2,
                    "start_time": stamp,
                    "timezone": "UTC",
                    "duration": 60,
                    "participant": {
                        "user_id": str(16_000_000 + i),
                        "user_name": f"Participant {i}",
                        "participant_uuid": f"GUID-{i:08d}",
                        "email": f"p{i}@example.org",
                        "join_time": stamp,
                    },
                },
            },
        },
        separators=(",", ":"),
    ).encode()


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "content-type": "application/json",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": sign(SECRET, stamp, body),
    }


class Connection:
    """A minimal keep-alive HTTP/1.1 client: far cheaper per request than a full client library,
    so on a small machine the figures measure the server, not the load generator."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
        if body is not None:
            head += "".join(f"{k}: {v}\r\n" for k, v in _signed(body).items())
            head += f"content-length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _phase(port: int, requests: list[tuple[str, str, bytes | None]]):
    """Run requests over CONCURRENCY connections; returns (latencies in s, statuses, elapsed s)."""
    latencies: list[float] = []
    statuses: list[int] = []
    queue = list(reversed(requests))
    deadline = time.perf_counter() + PHASE_SECONDS

    async def worker() -> None:
        conn = Connection("127.0.0.1", port)
        try:
            while queue and time.perf_counter() < deadline:
                method, path, body = queue.pop()
                t0 = time.perf_counter()
                status, _ = await conn.request(method, path, body)
                latencies.append(time.perf_counter() - t0)
                statuses.append(status)
        finally:
            await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latencies, statuses, time.perf_counter() - start


def _fsync_ms(directory: Path) -> tuple[float, float]:
    """p50 and max of FSYNC_PROBES 4 KiB append + fsync on the database's disk, in ms.

    Every webhook's 200 waits for a commit, and a commit for an fsync: when other processes keep the
    disk busy, ingestion slows while /healthz does not. Probed before each phase, so a low ratio
    can be told apart from a slow path."""
    path = directory / "fsync-probe"
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(FSYNC_PROBES):
            os.write(fd, b"x" * 4096)
            t0 = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    return statistics.median(times), max(times)


def _server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) the server has used so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Phase:
    """One measured phase: throughput, latency, and the CPU each side burned meanwhile."""

    def __init__(self, name: str, rps: float, p50: float, p99: float, gen: float, srv) -> None:
        self.name, self.rps, self.p50, self.p99 = name, rps, p50, p99
        self.generator_cpu, self.server_cpu = gen, srv  # cores busy on average
        self.accepted = self.duplicate = self.other = self.wrapped = 0


async def _python_part(pid: int, port: int, requests) -> tuple[list[float], list[int], float, float, float | None]:
    """One stretch of a phase: (latencies, statuses, elapsed s, generator CPU s, server CPU s)."""
    cpu, srv = time.process_time(), _server_cpu(pid)
    latencies, statuses, elapsed = await _phase(port, requests)
    gen, srv_after = time.process_time() - cpu, _server_cpu(pid)
    return latencies, statuses, elapsed, gen, None if srv is None or srv_after is None else srv_after - srv


def _python_phase(name: str, parts) -> Phase:
    """A phase measured in several stretches (rounds interleaved with the other endpoint's)."""
    latencies = sorted(x for part in parts for x in part[0])
    statuses = [x for part in parts for x in part[1]]
    elapsed = sum(part[2] for part in parts)
    srv = None if any(part[4] is None for part in parts) else sum(part[4] for part in parts) / elapsed
    phase = Phase(
        name,
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000,
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        sum(part[3] for part in parts) / elapsed,
        srv,
    )
    phase.accepted = sum(1 for s in statuses if s == 200)
    phase.other = len(statuses) - phase.accepted
    return phase


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(f"wrk latency {text!r}")


def _wrk_phase(name: str, pid: int, url: str, seconds: float, script: list[str]) -> Phase:
    cmd = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    cpu, srv, t0 = _children_cpu(), _server_cpu(pid), time.perf_counter()
    out = subprocess.run(
        [*cmd, *script[:2], url, *script[2:]],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    elapsed = time.perf_counter() - t0
    srv_after = _server_cpu(pid)
    found = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    phase = Phase(
        name,
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        _ms(found["50"]),
        _ms(found["99"]),
        (_children_cpu() - cpu) / elapsed,
        None if srv is None or srv_after is None else (srv_after - srv) / elapsed,
    )
    counts = [line for line in out.splitlines() if line.startswith('{"accepted"')]
    if counts:
        for key, value in json.loads(counts[-1]).items():
            setattr(phase, key, value)
    else:  # healthz: no script, count the answers from wrk's summary
        total = int(re.search(r"(\d+) requests in", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        phase.other = int(bad.group(1)) if bad else 0
        phase.accepted = total - phase.other
    return phase


async def _wait_up(base: str, proc: subprocess.Popen) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("server did not come up within 10 s")


def _server(port: int, db_file: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "SHOWCALLER_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}",
        "SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN": SECRET,
        "SHOWCALLER_LOG_LEVEL": "WARNING",
    }
    cmd = [
        sys.executable,
        *os.environ.get("BENCH_PY_ARGS", "").split(),
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if importlib.util.find_spec("uvloop"):
        cmd += ["--loop", "uvloop"]
    if importlib.util.find_spec("httptools"):
        cmd += ["--http", "httptools"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def _count(db_file: Path, where: str = "", args: tuple = ()) -> int:
    conn = sqlite3.connect(db_file, timeout=30)
    try:
        return conn.execute(f"select count(*) from inbox {where}", args).fetchone()[0]
    finally:
        conn.close()


async def _caught_up(db_file: Path) -> float | None:
    """Seconds until the background processor has handled every stored webhook (None: never)."""
    start = time.perf_counter()
    while time.perf_counter() - start < CATCH_UP_SECONDS:
        if _count(db_file, "where processed_at is null") == 0:
            return time.perf_counter() - start
        await asyncio.sleep(0.1)
    return None


async def _measure(generator: str, proc, port: int, tmp: Path, total: int, seconds: float):
    """Warm both endpoints up, then measure healthz and ingestion with the same generator."""
    now = datetime.now(UTC)
    warm = [_payload(50_000_000 + i, now) for i in range(WARM_UP)]
    await _phase(port, [("GET", "/healthz", None)] * WARM_UP)
    _, statuses, _ = await _phase(port, [("POST", "/webhooks/zoom", b) for b in warm])
    if statuses != [200] * WARM_UP:
        raise SystemExit(f"warm-up webhooks refused: {sorted(set(statuses))}")
    if generator == "python":
        # Rounds, healthz then ingest in each, so that both endpoints see the same machine load
        # (other processes come and go on a shared VM); the median of the rounds' ratios is judged.
        per = max(1, total // ROUNDS)
        disk, health_parts, ingest_parts, ratios = [], [], [], []
        for r in range(ROUNDS):
            disk.append((f"healthz {r + 1}", _fsync_ms(tmp)))
            health_parts.append(await _python_part(proc.pid, port, [("GET", "/healthz", None)] * per))
            bodies = [_payload(r * per + i, now) for i in range(per)]
            disk.append((f"ingest {r + 1}", _fsync_ms(tmp)))
            ingest_parts.append(await _python_part(proc.pid, port, [("POST", "/webhooks/zoom", b) for b in bodies]))
            ratios.append(
                (len(ingest_parts[-1][0]) / ingest_parts[-1][2]) / (len(health_parts[-1][0]) / health_parts[-1][2])
            )
        health = _python_phase("GET /healthz", health_parts)
        ingest = _python_phase("POST /webhooks/zoom", ingest_parts)
        return health, ingest, warm[0], WARM_UP, disk, ratios
    url = f"http://127.0.0.1:{port}"
    disk = [("healthz", _fsync_ms(tmp))]
    health = _wrk_phase("GET /healthz", proc.pid, f"{url}/healthz", seconds, [])
    # Enough distinct signed bodies for the whole phase even at twice the healthz rate.
    bodies = [_payload(i, now) for i in range(int(health.rps * seconds * 2) + 1000)]
    lines, script = tmp / "bodies.tsv", tmp / "ingest.lua"
    with lines.open("w") as out:
        for body in bodies:
            head = _signed(body)
            out.write(f"{head['x-zm-request-timestamp']}\t{head['x-zm-signature']}\t")
            out.write(body.decode() + "\n")
    script.write_text(WRK_LUA)
    disk.append(("ingest", _fsync_ms(tmp)))
    ingest = _wrk_phase(
        "POST /webhooks/zoom",
        proc.pid,
        f"{url}/webhooks/zoom",
        seconds,
        ["-s", str(script), "--", str(lines), "1"],
    )
    # The duplicate probe re-sends a warm-up body: it was certainly sent and stored, whereas wrk
    # calls request() once to inspect it, so the first line of the file may never go out.
    return health, ingest, warm[0], WARM_UP, disk, [ingest.rps / health.rps]


def _bound(phase: Phase) -> str:
    """Who limited this phase, judged by CPU: a side near one full core is the bottleneck."""
    if phase.generator_cpu >= 0.9 and (phase.server_cpu or 0) < 0.9:
        return "GENERATOR-BOUND: the figure is a floor of what the server can do"
    if (phase.server_cpu or 0) >= 0.9:
        return "server-bound"
    return "neither side saturated a core"


async def run(total: int, seconds: float, generator: str) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="showcaller-bench-"))
    db_file = tmp / "bench.db"
    port = _free_port()
    proc = _server(port, db_file)
    try:
        await _wait_up(f"http://127.0.0.1:{port}", proc)
        health, ingest, first_body, warm, disk, ratios = await _measure(generator, proc, port, tmp, total, seconds)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            dup = [
                (await client.post("/webhooks/zoom", content=first_body, headers=_signed(first_body))).json()
                for _ in range(2)
            ]
        catch_up = await _caught_up(db_file)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    try:
        stored = _count(db_file) - warm
        first = _count(db_file, "where body = ?", (first_body.decode(),))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if generator == "wrk":
        print(f"load generator: wrk -t1 -c{CONCURRENCY} -d{seconds:g}s (same for both endpoints)")
    else:
        print(f"load generator: pure-Python asyncio, {CONCURRENCY} connections, {total} requests")
    print(
        f"machine: {os.cpu_count()} CPUs shared by server and generator; both endpoints warmed "
        f"up with {WARM_UP} requests"
    )
    print(
        f"{'endpoint':<22}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'server CPU':>12}{'us/req':>8}{'gen CPU':>9}"
    )
    for p in (health, ingest):
        srv = "?" if p.server_cpu is None else f"{p.server_cpu:.0%}"
        # Server CPU per request: what the path costs, whatever else the machine is doing.
        per = "?" if p.server_cpu is None else f"{p.server_cpu / p.rps * 1e6:.0f}"
        print(
            f"{p.name:<22}{p.rps:>12.0f}{p.p50:>10.1f}{p.p99:>10.1f}{srv:>12}{per:>8}"
            f"{p.generator_cpu:>9.0%}   {_bound(p)}"
        )
    print(
        "disk fsync (4 KiB) before each phase, p50 / max: "
        + ", ".join(f"{n} {a:.1f} / {b:.1f} ms" for n, (a, b) in disk)
    )
    ratio = statistics.median(ratios)
    if len(ratios) > 1:
        print(f"ratio by round: {', '.join(f'{r:.2f}' for r in ratios)} (median judged)")
    if generator == "wrk":  # wrk stops at its deadline with requests in flight
        cut = stored - ingest.accepted
        stored_ok = 0 <= cut <= CONCURRENCY and ingest.wrapped == 0 and ingest.duplicate == 0
        stored_text = (
            f"accepted <= stored <= accepted + {CONCURRENCY} cut at wrk's deadline "
            f"({ingest.accepted} <= {stored}; all distinct: {ingest.wrapped == 0})"
        )
    else:
        stored_ok = ingest.accepted == stored
        stored_text = f"accepted == stored rows ({ingest.accepted} == {stored})"
    caught = "never" if catch_up is None else f"{catch_up:.1f} s"
    checks = [
        (f"ingest/healthz throughput ratio {ratio:.2f} >= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        (f"ingest p99 {ingest.p99:.1f} ms < {TARGET_P99_MS:.0f} ms", ingest.p99 < TARGET_P99_MS),
        (
            f"all ingest answers 200 ({ingest.accepted + ingest.duplicate} ok, {ingest.other} not)",
            ingest.other == 0,
        ),
        (stored_text, stored_ok),
        (
            f"duplicate answered {dup[1].get('status')!r} and stored once ({first})",
            dup == [{"status": "duplicate"}] * 2 and first == 1,
        ),
        (
            f"background processor caught up with the inbox after the load ({caught})",
            catch_up is not None,
        ),
    ]
    measured = {
        0: (ratio, f">= {TARGET_RATIO}", "ingest / healthz throughput ratio"),
        1: (ingest.p99, f"< {TARGET_P99_MS:.0f} ms", "ingest p99 (ms)"),
    }
    for number, (text, ok) in enumerate(checks):
        print(f"{'ok  ' if ok else 'MISS'} {text}")
        value, target, key = measured.get(number, (None, "", ""))
        record("B1 webhook ingestion", text, ok, value, target, key)
    return 0 if all(ok for _, ok in checks) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=10_000,
        help="requests per phase with the Python generator (default 10000)",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per phase with wrk (default 5)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    elif generator == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    seconds = min(args.seconds, PHASE_SECONDS)
    raise SystemExit(asyncio.run(run(args.requests, seconds, generator)))


if __name__ == "__main__":
    main()
