"""B12 start-up (issue 27): how soon `showcaller --version` and a remote command start, and how soon
`showcaller serve` answers /healthz on an empty SQLite database. On loopback, bounded in time.

Each repetition alternates the figure with its baseline, spawned the same way in the same run, so
both see the same machine load:
- (a) `showcaller --version`, spawn -> exit; baseline `python -c pass` (the interpreter alone).
- (b) a remote command's own start-up: `showcaller --server URL --token T state EVENT` against a
  stub server in this process that answers at once; spawn -> its request arrives at the stub (the
  command's own start-up: imports, settings, the HTTP client), and spawn -> exit. Baseline
  `python -c pass`.
- (c) `showcaller serve` on an empty SQLite database, spawn -> first `/healthz` 200 (polled every
  5 ms): on a new file (the first start: the schema is created) and again on the same file, now
  migrated and still empty (a restart). Baseline: a bare ASGI app under uvicorn that answers
  /healthz, spawned the same way. The process's own CPU time until that answer is printed too: on a
  loaded machine it moves far less than the wall time. Spawn -> first `/readyz` 200 (the service
  started: `serve` answers /healthz before that, app/cli/starting.py) is shown, not judged.

Medians and maxima over `--reps` repetitions are printed with their ratios to the baselines.
Targets (issue 27; exit 1 if a median misses): (a) and (b) <= 0.3 s; (c) <= 1 s, on both files. On
a shared machine the wall times measure the load as much as the code: read them with the ratios and
the load average printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Report, ServiceProcess, free_port, run_bounded  # noqa: E402

COMMAND_MAX = 0.3  # s, (a) and (b)
SERVE_MAX = 1.0  # s, (c)
LIMIT_SECONDS = 300
EVENT = "bench-startup"

# A bare app under uvicorn that answers /healthz: what any Python web service costs to start here.
BARE_SERVER = """
import sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b'{"status":"ok"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

# What `state` needs to print its lines: the stub answers it to every request.
STATE = {
    "event": {"id": EVENT, "title": "Start-up benchmark", "timezone": "UTC"},
    "status": "running",
    "current": None,
    "next": None,
    "delay": 0,
    "projected_end": None,
    "planned_end": None,
    "timers": [],
}


def _showcaller() -> list[str]:
    script = Path(sys.executable).with_name("showcaller")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


def _environment(**extra: str) -> dict[str, str]:
    """This environment without any SHOWCALLER_ setting of the person running it, plus `extra`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SHOWCALLER_")}, **extra}


async def _spawn_to_exit(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds from the spawn to the exit; the command must succeed."""
    began = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    took = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(f"{command[-3:]} exited {proc.returncode}: {(out + err).decode(errors='replace')[-800:]}")
    return took


class Stub:
    """A raw HTTP server in this process: notes when each request arrives and answers STATE at once."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrived: list[float] = []
        self.server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> Stub:
        self.server = await asyncio.start_server(self._answer, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n")  # the request line: the command has started its call
            self.arrived.append(time.perf_counter())
            await reader.readuntil(b"\r\n\r\n")
            body = json.dumps(STATE).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
                + b"content-length: %d\r\n\r\n" % len(body)
                + body
            )
            await writer.drain()
        writer.close()


async def _remote(stub: Stub, cwd: Path) -> tuple[float, float]:
    """(spawn -> the request arrives, spawn -> exit) of `showcaller state` against the stub."""
    command = [*_showcaller(), "--server", f"http://127.0.0.1:{stub.port}", "--token", "t", "state", EVENT]
    stub.arrived.clear()
    began = time.perf_counter()
    await _spawn_to_exit(command, cwd, _environment())
    ended = time.perf_counter()
    if len(stub.arrived) != 1:
        raise RuntimeError(f"the stub saw {len(stub.arrived)} requests from `state`, expected 1")
    return stub.arrived[0] - began, ended - began


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def _bare_server(tmp: Path) -> tuple[float, float | None]:
    """A bare uvicorn app, spawn -> /healthz 200: (seconds, CPU seconds)."""
    service = ServiceProcess(None, "sqlite://", {}, tmp / "bare.log")  # (for its port, polling and stop)
    with (tmp / "bare.log").open("a") as out:
        began = time.perf_counter()
        service.proc = subprocess.Popen(
            [sys.executable, "-c", BARE_SERVER, str(service.port)], stdout=out, stderr=out, cwd=tmp
        )
    try:
        answered = await service.healthy(limit=30)
        return answered - began, _cpu_seconds(service.proc.pid)
    finally:
        service.stop()


async def _serve(database: Path, tmp: Path) -> tuple[float, float | None, float]:
    """`showcaller serve` on `database`, spawn -> /healthz 200: (seconds, CPU seconds until then,
    spawn -> /readyz 200 seconds)."""
    service = ServiceProcess(None, f"sqlite:///{database}", {}, tmp / "serve.log")
    service.env = _environment(  # (ServiceProcess's own settings, none of the person running it)
        SHOWCALLER_DATABASE_URL=f"sqlite:///{database}", SHOWCALLER_SLACK_PACING="false", SHOWCALLER_LOG_LEVEL="WARNING"
    )
    began = time.perf_counter()
    service.start()
    try:
        answered = await service.healthy(limit=30)
        assert service.proc is not None
        cpu = _cpu_seconds(service.proc.pid)
        ready, _ = await service.ready(limit=60)
        return answered - began, cpu, ready - began
    finally:
        service.stop()


def _figures(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s, max {max(values):.3f} s"


async def run(reps: int) -> int:
    report = Report("B12 start-up")
    python = [sys.executable, "-c", "pass"]
    samples: dict[str, list[float]] = {
        k: []
        for k in ("pass", "version", "arrived", "remote", "bare", "new", "restart", "bare_cpu", "serve_cpu")
        + ("new_ready", "restart_ready")
    }
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        async with Stub() as stub:
            await _spawn_to_exit([*_showcaller(), "--version"], tmp, _environment())  # warm the disk cache
            await _remote(stub, tmp)
            for number in range(1, reps + 1):
                samples["pass"].append(await _spawn_to_exit(python, tmp, _environment()))
                samples["version"].append(await _spawn_to_exit([*_showcaller(), "--version"], tmp, _environment()))
                arrived, exited = await _remote(stub, tmp)
                samples["arrived"].append(arrived)
                samples["remote"].append(exited)
                print(
                    f"  rep {number}: python -c pass {samples['pass'][-1]:.3f} s, --version "
                    f"{samples['version'][-1]:.3f} s, state: request {arrived:.3f} s, exit {exited:.3f} s"
                )
        for number in range(1, reps + 1):
            bare, bare_cpu = await _bare_server(tmp)
            database = tmp / f"empty-{number}.db"
            new, new_cpu, new_ready = await _serve(database, tmp)
            restart, restart_cpu, restart_ready = await _serve(database, tmp)
            samples["bare"].append(bare)
            samples["new"].append(new)
            samples["restart"].append(restart)
            samples["new_ready"].append(new_ready)
            samples["restart_ready"].append(restart_ready)
            if None not in (bare_cpu, restart_cpu):
                samples["bare_cpu"].append(bare_cpu)  # type: ignore[arg-type]
                samples["serve_cpu"].append(restart_cpu)  # type: ignore[arg-type]
            cpu = f" (CPU {bare_cpu} / {new_cpu} / {restart_cpu} s)" if bare_cpu is not None else ""
            print(
                f"  rep {number}: -> /healthz: bare uvicorn {bare:.3f} s, serve on a new file {new:.3f} s, "
                f"restart on it (migrated, empty) {restart:.3f} s{cpu}; "
                f"-> /readyz {new_ready:.3f} / {restart_ready:.3f} s"
            )

    def med(key: str) -> float:
        return statistics.median(samples[key])

    base, bare = med("pass"), med("bare")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {reps} repetitions")
    print(f"baseline python -c pass:           {_figures(samples['pass'])}")
    print(f"(a) showcaller --version:          {_figures(samples['version'])}  ({med('version') / base:.2f}x)")
    print(f"(b) state, spawn -> request:       {_figures(samples['arrived'])}  ({med('arrived') / base:.2f}x)")
    print(f"    state, spawn -> exit:          {_figures(samples['remote'])}  ({med('remote') / base:.2f}x)")
    print(f"baseline bare uvicorn -> /healthz: {_figures(samples['bare'])}")
    print(f"(c) serve, new file -> /healthz:   {_figures(samples['new'])}  ({med('new') / bare:.2f}x)")
    print(f"    serve, restart -> /healthz:    {_figures(samples['restart'])}  ({med('restart') / bare:.2f}x)")
    print(f"    (shown) new file -> /readyz:   {_figures(samples['new_ready'])}")
    print(f"    (shown) restart -> /readyz:    {_figures(samples['restart_ready'])}")
    if samples["serve_cpu"]:
        print(
            f"    CPU until /healthz, restart: median {med('serve_cpu'):.2f} s "
            f"(bare uvicorn {med('bare_cpu'):.2f} s, {med('serve_cpu') / max(med('bare_cpu'), 0.01):.2f}x)"
        )
    checks = (
        ("version", "(a) showcaller --version", "(a)", COMMAND_MAX, base, "python -c pass"),
        ("arrived", "(b) remote command's own start-up (spawn -> request)", "(b)", COMMAND_MAX, base, "python -c pass"),
        ("new", "(c) serve on a new SQLite file -> /healthz", "(c) new file", SERVE_MAX, bare, "bare uvicorn"),
        (
            "restart",
            "(c) serve restarted on the empty database -> /healthz",
            "(c) restart",
            SERVE_MAX,
            bare,
            "bare uvicorn",
        ),
    )
    verdicts = []
    for key, what, short, limit, baseline, named in checks:
        ok = med(key) <= limit
        verdicts.append(f"{short} {'pass' if ok else 'MISSED'}")
        report.check(
            ok,
            f"{what}: median {med(key):.3f} s (target <= {limit:g} s); {med(key) / baseline:.2f}x {named}",
            measured=med(key) / baseline,
            target=f"median <= {limit:g} s",
            key=f"{what} / {named}",
        )
    print("verdict: " + ", ".join(verdicts))
    return report.finish()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="repetitions; medians are judged (default 7)")
    args = parser.parse_args()
    banner = f"B12 start-up: {args.reps} repetitions"
    return run_bounded(banner, lambda: run(args.reps), LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
