"""B11 restart with streams open: how long `showcaller serve` takes to stop on SIGTERM while consoles,
presenter views and agenda pages are connected, and how soon they are back after the restart.

The service is `showcaller serve` on a SQLite file with one event in progress. Each round:
- baseline: SIGTERM with no stream open -> process exit (stop-to-exit, nothing to close);
- SIGTERM with `--streams` streams open (console, presenter view and public agenda in turn, each
  on its own connection, each with its first frame) -> process exit; and -> every stream got its
  last `event: reconnect` frame;
- restart: spawn -> first /healthz 200 (the baseline), and spawn -> every stream open again with
  its first frame (the clients try every 100 ms, as fast as a browser at its shortest `retry`).

Targets (exit 1 if missed): every stream got `event: reconnect`, exit status 0 every time, and
the median stop-to-exit with streams open < 3 s (the goal of issue 26; before, `serve` waited for
the browsers to leave: 30-70 s and more). Ratios to the baselines are printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Report, ServiceProcess, api_token, run_bounded, schedule_yaml, target_env  # noqa: E402

EVENT = "bench-restart"
KINDS = ("console", "presenter", "agenda")
GOAL_SECONDS = 3.0
LIMIT_SECONDS = 300


def _path(kind: str) -> str:
    return {
        "console": f"/api/events/{EVENT}/stream",
        "presenter": f"/api/events/{EVENT}/stage/stream",
        "agenda": f"/api/public/events/{EVENT}/stream",
    }[kind]


class Stream:
    """One client: opens its stream, notes its first frame and whether the last was `reconnect`."""

    def __init__(self, client: httpx.AsyncClient, kind: str, token: str):
        self.client, self.kind, self.token = client, kind, token
        self.opened = asyncio.Event()
        self.told_at: float | None = None  # perf_counter() of its `event: reconnect`

    async def follow(self) -> None:
        headers = {"authorization": f"Bearer {self.token}"} if self.kind != "agenda" else {}
        async with self.client.stream("GET", _path(self.kind), headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line == "":
                    self.opened.set()
                elif line == "event: reconnect":
                    self.told_at = time.perf_counter()

    async def follow_until_open(self) -> None:
        """Try every 100 ms until the stream answers (the service is restarting), then follow it."""
        while True:
            try:
                await self.follow()
                return
            except (httpx.HTTPError, OSError):
                if self.opened.is_set():
                    return
                await asyncio.sleep(0.1)


async def _open(base: str, token: str, count: int, *, retrying: bool = False):
    client = httpx.AsyncClient(
        base_url=base, timeout=httpx.Timeout(30.0), limits=httpx.Limits(max_connections=count + 5)
    )
    streams = [Stream(client, KINDS[i % len(KINDS)], token) for i in range(count)]
    tasks = [asyncio.create_task(s.follow_until_open() if retrying else s.follow()) for s in streams]
    await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in streams)), timeout=60)
    return client, streams, tasks


async def _stop(service: ServiceProcess) -> tuple[float, int]:
    """SIGTERM -> exit: (seconds, exit status)."""
    assert service.proc is not None
    began = time.perf_counter()
    service.proc.send_signal(signal.SIGTERM)
    while service.proc.poll() is None:
        if time.perf_counter() - began > 60:
            service.proc.kill()
            service.proc.wait()
            return float("inf"), -9
        await asyncio.sleep(0.005)
    return time.perf_counter() - began, service.proc.returncode


async def _round(service: ServiceProcess, token: str, count: int) -> dict[str, float | int]:
    figures: dict[str, float | int] = {}
    service.start()
    await service.healthy()
    figures["baseline_stop"], status_a = await _stop(service)

    service.start()
    await service.healthy()
    client, streams, tasks = await _open(f"http://127.0.0.1:{service.port}", token, count)
    began = time.perf_counter()
    figures["stop"], status_b = await _stop(service)
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
    await client.aclose()
    told = [s.told_at for s in streams if s.told_at is not None]
    figures["told"] = len(told)
    figures["all_told"] = max(told) - began if told else float("inf")

    spawned = time.perf_counter()
    service.start()
    healthy = asyncio.create_task(_first_healthy(service.port, spawned))  # polled alongside the clients
    client, streams, tasks = await _open(f"http://127.0.0.1:{service.port}", token, count, retrying=True)
    figures["reconnected"] = time.perf_counter() - spawned
    figures["healthy"] = await asyncio.wait_for(healthy, timeout=60)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.aclose()
    _, status_c = await _stop(service)
    figures["bad_exits"] = sum(1 for s in (status_a, status_b, status_c) if s != 0)
    return figures


async def _first_healthy(port: int, spawned: float) -> float:
    """Seconds from the spawn to the first /healthz 200."""
    async with httpx.AsyncClient(timeout=1.0) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return time.perf_counter() - spawned
            await asyncio.sleep(0.005)


async def run(count: int, rounds: int) -> int:
    report = Report("B11 restart with streams open")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
        now = datetime.now(UTC)
        schedule = tmp_path / "restart.yaml"
        schedule.write_text(schedule_yaml(EVENT, now - timedelta(minutes=5), now + timedelta(hours=2), [], ["t1"]))
        token = await api_token(database_url)
        service = ServiceProcess(schedule, database_url, target_env("http://127.0.0.1:9", ["t1"]), tmp_path / "log")
        try:
            for number in range(1, rounds + 1):
                figures = await _round(service, token, count)
                results.append(figures)
                print(
                    f"  round {number}: stop-to-exit {figures['stop']:.3f} s with {count} streams "
                    f"(every reconnect sent after {figures['all_told']:.3f} s), {figures['baseline_stop']:.3f} s "
                    f"with none; restart -> /healthz {figures['healthy']:.3f} s, -> {count} streams back "
                    f"{figures['reconnected']:.3f} s"
                )
        except BaseException:
            print((tmp_path / "log").read_text(errors="replace")[-3000:])
            raise
        finally:
            service.stop()

    def med(key: str) -> float:
        return statistics.median(float(r[key]) for r in results)

    stop, baseline = med("stop"), med("baseline_stop")
    back, healthy = med("reconnected"), med("healthy")
    print(f"stop-to-exit, {count} streams open: median {stop:.3f} s; no stream (baseline): {baseline:.3f} s")
    print(f"  ratio to the baseline: {stop / baseline:.2f}x; difference {stop - baseline:+.3f} s")
    print(f"restart -> {count} streams back: median {back:.3f} s; restart -> first /healthz 200: {healthy:.3f} s")
    print(f"  ratio to the baseline: {back / healthy:.2f}x; difference {back - healthy:+.3f} s")
    report.check(
        all(r["told"] == count for r in results),
        f"every stream got event: reconnect ({[r['told'] for r in results]} of {count})",
    )
    report.check(all(r["bad_exits"] == 0 for r in results), "exit status 0 after every SIGTERM")
    report.check(stop < GOAL_SECONDS, f"median stop-to-exit, {count} streams: {stop:.3f} s (goal < {GOAL_SECONDS:g} s)")
    return report.finish()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=50, help="streams open at the SIGTERM (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are judged (default 3)")
    args = parser.parse_args()
    banner = f"B11 restart with streams open: {args.streams} streams, {args.rounds} rounds"
    return run_bounded(banner, lambda: run(args.streams, args.rounds), LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
