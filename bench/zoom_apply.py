"""Benchmark B6b: `apply` of 100 schedule files in one run, paced under Zoom's rate limits (extends B6).

Setup (B6 conventions): the Zoom emulator runs under uvicorn on 127.0.0.1 (a free port), here
with Zoom's Pro per-category limits (LIGHT 30/s, MEDIUM 20/s; 429/4001 beyond). A temporary
folder holds 100 copies of the Mekong schedule (own event id and topic each); they are expanded
from the folder as `showcaller apply FOLDER` does, and applied by the Zoom set-up service over one
client whose pacer keeps to the same limits (doctor first, then create; SQLite store).

Targets (exit status 1 if one is missed):
- 0 HTTP 429 answers in the whole run.
- elapsed / limits' minimum <= 1.2, where the limits' minimum is, over the categories used,
  max((calls in the category - 1) / its per-second limit): the least time the limits allow for
  the calls this very run made (categories are limited independently, so they overlap).
- a second run with a per-host daily cap of 40 creates stops cleanly: 40 applied, 60 listed as
  left to do, nothing failed.

The emulator runs in its own process (as Zoom is remote), so its work does not share the
client's event loop. Real sleeping is used here on purpose (benchmark, not a test). Bounded by a
300 s timeout (loading the 100 schedules into the store is most of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import bootstrap  # noqa: E402
from app.cli.zoom_cmds import schedule_files  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.engine.clock import SystemClock  # noqa: E402
from app.services import Services  # noqa: E402
from app.store.tables import zoom_creates, zoom_objects  # noqa: E402
from app.zoom.service import ZoomSetup  # noqa: E402
from integrations.zoom import ZoomClient  # noqa: E402
from integrations.zoom.pacing import LIGHT, MEDIUM, Pacer, RateLimits  # noqa: E402

FILES = 100
DAILY_CAP = 40
MAX_RATIO = 1.2
LIMITS = {LIGHT: 30.0, MEDIUM: 20.0}  # Zoom Pro, per second ([RL] in docs/zoom-api-notes.md)
CREDS = {"account_id": "bench-acct", "client_id": "bench-id", "client_secret": "bench-secret"}
MEKONG = Path(__file__).resolve().parent.parent / "schedules" / "events" / "mekong-dialogue-2022.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_files(folder: Path) -> list[Path]:
    text = MEKONG.read_text(encoding="utf-8")
    for i in range(FILES):
        copy = text.replace("id: mekong-dialogue-2022", f"id: mekong-bench-{i:03d}", 1)
        copy = copy.replace("topic: Mekong Dialogue on Labour Mobility", f"topic: Mekong Dialogue bench {i:03d}", 1)
        (folder / f"event-{i:03d}.yaml").write_text(copy, encoding="utf-8")
    return schedule_files([folder])


def _serve(port: int, daily_cap: int) -> None:
    from integrations.zoom_emulator.server import run

    run(port=port, rate_limits=LIMITS, daily_cap=daily_cap, log_level="warning", **CREDS)


async def _emulator(daily_cap: int) -> tuple[multiprocessing.Process, str]:
    """The emulator in its own process (as Zoom is), so its work does not slow the client's loop."""
    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, daily_cap), daemon=True)
    proc.start()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                await http.get(f"{base}/_emulator/state")
                return proc, base
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the emulator did not start")


async def one_run(runtime: Services, schedules: list, daily_cap: int) -> tuple[object, float, int, dict[str, int]]:
    proc, base = await _emulator(daily_cap)
    try:
        pacer = Pacer(RateLimits(LIMITS))
        async with httpx.AsyncClient(timeout=10.0) as http:
            client = ZoomClient(http, api_base=f"{base}/v2", oauth_base=base, pacer=pacer, **CREDS)
            service = ZoomSetup(runtime.db, runtime.settings, SystemClock().now, client_factory=lambda: client)
            began = time.perf_counter()
            outcome = await service.apply_many(schedules, concurrency=8)
            elapsed = time.perf_counter() - began
            limited = (await http.get(f"{base}/_emulator/state")).json()["rate_limited"]
    finally:
        proc.terminate()
        proc.join(5)
    async with runtime.db.begin() as conn:  # the next run starts from an empty Zoom
        await conn.execute(delete(zoom_objects))
        await conn.execute(delete(zoom_creates))
    return outcome, elapsed, limited, dict(pacer.calls)


async def run() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}")
        stack = contextlib.AsyncExitStack()
        runtime = await stack.enter_async_context(
            bootstrap.started(settings, clock=SystemClock(), run_timer=False, run_worker=False)
        )
        try:
            schedules = [
                await runtime.engine.load_schedule(p.read_text(encoding="utf-8"), str(p)) for p in write_files(folder)
            ]
            outcome, elapsed, limited, calls = await one_run(runtime, schedules, daily_cap=1000)
            minimum = max((calls.get(c, 0) - 1) / rate for c, rate in LIMITS.items())
            ratio = elapsed / minimum if minimum else float("inf")
            print(
                f"files: {FILES}, applied: {len(outcome.done)}, failed: {len(outcome.failed)}, "
                f"calls per category: {calls}"
            )
            print(f"HTTP 429 answers: {limited} (target 0)")
            print(
                f"elapsed: {elapsed:.2f}s, limits' minimum: {minimum:.2f}s, ratio: {ratio:.3f} (target <= {MAX_RATIO})"
            )
            capped, _, _, _ = await one_run(runtime, schedules, daily_cap=DAILY_CAP)
            print(
                f"daily cap {DAILY_CAP}: applied {len(capped.done)}, failed {len(capped.failed)}, "
                f"left {len(capped.left)}; stopped: {capped.stopped}"
            )
        finally:
            await stack.aclose()
    ok = (
        limited == 0
        and len(outcome.done) == FILES
        and not outcome.failed
        and ratio <= MAX_RATIO
        and len(capped.done) == DAILY_CAP
        and len(capped.left) == FILES - DAILY_CAP
        and not capped.failed
        and capped.stopped is not None
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    try:
        return asyncio.run(asyncio.wait_for(run(), timeout=300))
    except TimeoutError:
        print("FAIL: benchmark exceeded 300 s")
        return 1


if __name__ == "__main__":
    sys.exit(main())
