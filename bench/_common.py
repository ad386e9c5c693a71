"""Shared pieces of the engine benchmarks: a minimal counting receiver in its own process,
generated schedules, the service as a subprocess, percentiles and the pass/fail report.

Run `python bench/_common.py receiver PORT` to serve the receiver by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def run_bounded(banner: str, run, limit: float) -> int:
    """Print the banner and run the benchmark coroutine within `limit` seconds; the exit status."""
    print(f"{banner}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    try:
        return asyncio.run(asyncio.wait_for(run(), timeout=limit))
    except TimeoutError:
        print(f"FAIL: benchmark exceeded {limit} s")
        return 1


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a real sample)."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def spread(values_ms: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of lateness samples in milliseconds."""
    return {
        "p50": percentile(values_ms, 50),
        "p95": percentile(values_ms, 95),
        "p99": percentile(values_ms, 99),
        "max": max(values_ms),
    }


# `make bench` sets it: every judged figure of the run is appended there (JSON lines), and
# bench/table.py prints them as one table and saves it for bench/compare.py.
RESULTS_ENV = "SHOWCALLER_BENCH_RESULTS"


def record(
    benchmark: str, figure: str, ok: bool, measured: float | None = None, target: str = "", key: str = ""
) -> None:
    """Append one judged figure to the run's results, when `make bench` asks for them.

    `measured` is the figure judged (a ratio to the baseline taken in the same run where the
    benchmark has one), `target` what it must meet, `key` a name that stays the same from run to
    run (default: the figure's text with its numbers taken out) so that two runs can be compared."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    row = {
        "benchmark": benchmark,
        "key": key or figure_key(figure),
        "figure": figure,
        "measured": measured,
        "target": target,
        "verdict": "pass" if ok else "FAIL",
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def figure_key(text: str) -> str:
    """A figure's text without its numbers: the same figure in two runs has the same key."""
    import re

    return " ".join(re.sub(r"[-+]?\d[\d,]*(\.\d+)?", "#", text).split())


@dataclass
class Report:
    """Collects checks against targets; `finish()` prints PASS/FAIL and gives the exit status."""

    name: str
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str, *, measured: float | None = None, target: str = "", key: str = "") -> None:
        print(f"  [{'ok' if ok else 'MISSED'}] {what}")
        record(self.name, what, ok, measured, target, key)
        if not ok:
            self.failures.append(what)

    def finish(self) -> int:
        print(f"{self.name}: {'PASS' if not self.failures else 'FAIL'}")
        return 0 if not self.failures else 1


# --- the receiver: a bare ASGI app that counts webhook ids (run in its own process) ---------------


class CountingReceiver:
    """Accepts any POST with 204 and counts it by webhook-id; GET /_count reports.

    POST /_hold {"count": n}: the next n messages are counted, then never answered (the sender
    sees them in flight). Arrival times (epoch seconds) are kept for lateness measurements.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.seen: dict[str, int] = defaultdict(int)
        self.order: dict[str, list[str]] = defaultdict(list)
        self.arrived: dict[str, float] = {}
        self.hold = 0
        self.forever = asyncio.Event()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"], scope["method"]
        if path == "/_count":
            if method == "DELETE":
                self.reset()
                return await _answer(send, 204)
            return await _answer(send, 200, json.dumps(self.summary(full=b"full" in scope["query_string"])))
        if path == "/_hold":
            self.hold += int(json.loads(body)["count"])
            return await _answer(send, 204)
        headers = dict(scope["headers"])
        wid = headers.get(b"webhook-id", b"").decode()
        self.seen[wid] += 1
        if self.seen[wid] == 1:
            self.order[path].append(wid)
            self.arrived[wid] = time.time()
        if self.hold > 0 and self.seen[wid] == 1:
            self.hold -= 1
            await self.forever.wait()
        await _answer(send, 204)

    def summary(self, full: bool = False) -> dict[str, Any]:
        total = sum(self.seen.values())
        data: dict[str, Any] = {
            "unique": len(self.seen),
            "total": total,
            "redelivered": total - len(self.seen),
            "paths": {path: len(ids) for path, ids in self.order.items()},
        }
        if full:
            data.update(order=self.order, arrived=self.arrived)
        return data


async def _answer(send, status: int, text: str = "") -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ReceiverProcess:
    """The counting receiver under uvicorn (uvloop + httptools) in a child process."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ReceiverProcess:
        self.proc = subprocess.Popen([sys.executable, __file__, "receiver", str(self.port)], cwd=ROOT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.base}/_count", timeout=0.5).raise_for_status()
                return self
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("the receiver did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
            if self.proc.poll() is None:
                self.proc.kill()

    async def count(self, full: bool = False) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"{self.base}/_count", params={"full": 1} if full else None)).json()

    async def reset(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            await client.delete(f"{self.base}/_count")

    async def hold(self, count: int) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            await client.post(f"{self.base}/_hold", json={"count": count})


# --- schedules and the service -----------------------------------------------------------


def schedule_yaml(
    event_id: str,
    start: datetime,
    end: datetime,
    reminders: list[tuple[datetime, str | None]],
    targets: list[str],
) -> str:
    """One segment `start`-`end`, a reminder per (moment, target or None: all), webhook targets."""
    doc = {
        "version": 1,
        "event": {
            "id": event_id,
            "title": f"Benchmark {event_id}",
            "date": start.date().isoformat(),
            "timezone": "UTC",
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "segments": [{"id": "main", "title": "Main", "start": start.isoformat(), "end": end.isoformat()}],
        "cues": [
            {
                "id": f"r{i:04d}",
                "at": at.isoformat(),
                "message": f"Benchmark reminder {i}",
                **({"targets": [target]} if target else {}),
            }
            for i, (at, target) in enumerate(reminders, 1)
        ],
        "targets": [
            {
                "id": t,
                "kind": "webhook",
                "url_env": f"BENCH_{t.upper()}_URL",
                "secret_env": f"BENCH_{t.upper()}_SECRET",
            }
            for t in targets
        ],
        "readiness": {"enabled": False},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def target_env(base: str, targets: list[str]) -> dict[str, str]:
    """Environment pointing each target at `base`/webhook/<target>."""
    env = {}
    for t in targets:
        env[f"BENCH_{t.upper()}_URL"] = f"{base}/webhook/{t}"
        env[f"BENCH_{t.upper()}_SECRET"] = SECRET
    return env


class ServiceProcess:
    """`showcaller serve [FILE] --port N` as a child process that can be SIGKILLed and restarted."""

    def __init__(self, schedule: Path | None, database_url: str, env: dict[str, str], log: Path):
        self.schedule, self.log, self.port = schedule, log, free_port()
        self.env = {
            **os.environ,
            **env,
            "SHOWCALLER_DATABASE_URL": database_url,
            "SHOWCALLER_SLACK_PACING": "false",
            "SHOWCALLER_LOG_LEVEL": "WARNING",
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        script = Path(sys.executable).with_name("showcaller")
        command = [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [*command, "serve", *([str(self.schedule)] if self.schedule else []), "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.log.parent,
            )

    async def healthy(self, limit: float = 20.0) -> float:
        """Poll GET /healthz every 5 ms; returns the perf_counter() of the first 200."""
        deadline = time.perf_counter() + limit
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.perf_counter() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"service exited with {self.proc.returncode}; see {self.log}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                        return time.perf_counter()
                await asyncio.sleep(0.005)
        raise TimeoutError(f"service not healthy within {limit} s; see {self.log}")

    async def ready(self, limit: float = 60.0) -> tuple[float, dict]:
        """Poll GET /readyz every 5 ms; the perf_counter() of the first 200 and its body."""
        deadline = time.perf_counter() + limit
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"service exited with {self.proc.returncode}; see {self.log}")
                with contextlib.suppress(httpx.HTTPError):
                    answer = await client.get(f"http://127.0.0.1:{self.port}/readyz")
                    if answer.status_code == 200:
                        return time.perf_counter(), answer.json()
                await asyncio.sleep(0.005)
        raise TimeoutError(f"service not ready within {limit} s; see {self.log}")

    def rss_mb(self) -> float:
        """Resident memory of the service and its child processes (schedule parser), in MB."""
        return rss_mb(self.proc.pid) if self.proc is not None else 0.0

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the service and its child processes."""
        return cpu_seconds(self.proc.pid) if self.proc is not None else 0.0

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its live descendants and the children they reaped, in seconds (from
    /proc; 0 where unreadable). On a shared machine this moves far less than wall time does."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / tick  # utime, stime, cutime, cstime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB (from /proc; 0 where unreadable)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return total


POSTGRES_ADMIN_URL = os.environ.get(
    "SHOWCALLER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def postgres_reachable(url: str = POSTGRES_ADMIN_URL) -> bool:
    """Whether PostgreSQL answers at `url` within 2 s."""
    try:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=2)
    except Exception:
        return False
    await conn.close()
    return True


@contextlib.asynccontextmanager
async def fresh_postgres(prefix: str, url: str = POSTGRES_ADMIN_URL):
    """A new, empty PostgreSQL database for one run (dropped afterwards); yields its URL."""
    import secrets

    import asyncpg

    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def api_token(database_url: str, role: str = "organiser") -> str:
    """Migrate the database and make an API token in it (the service need not run)."""
    from app.store import tokens_repo
    from app.store.db import create_engine, migrate

    await migrate(database_url)
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "bench", role, datetime.now(UTC))
    finally:
        await db.dispose()
    return token


def median(values: list[float]) -> float:
    return statistics.median(values)


def _serve_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(
        CountingReceiver(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "receiver":
    _serve_receiver(int(sys.argv[2]))
