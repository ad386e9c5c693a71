"""B4 fire lateness: 200 cues 50 ms apart through the real engine vs raw `loop.call_at`.

Whole path: the run engine on a SQLite file (WAL, synchronous=FULL) with the APScheduler timer
and the delivery worker running, one signed webhook target at a local receiver (a bare ASGI app
in its own process). A cue counts as fired when the engine's fire listener sees it: the cue is
marked fired and its delivery row committed. Lateness = that moment - the cue's due time.
Baseline, same process, same run: 200 `loop.call_at` callbacks 50 ms apart; lateness = when the
callback ran - when it was asked for. Also shown (not judged): the engine's own stored lateness
(wake-up only).

Arrival: when the receiver got each cue's message - the cue's due time (fire, commit, hand-off to
the delivery worker, signing, POST). Its baseline, same run, same receiver: 200 bare POSTs (one
keep-alive httpx client, a webhook-sized JSON body) started by `loop.call_at` 50 ms apart;
lateness = arrival at the receiver - the planned moment.

Targets (exit 1 if missed): 200/200 fired, p50 <= 5 ms, p99 <= 50 ms, p99 - baseline p99 <= 50 ms;
arrival p99 <= bare-POST arrival p99 + 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ReceiverProcess, Report, run_bounded, schedule_yaml, spread, target_env  # noqa: E402

N = 200
SPACING = 0.05
LEAD = 1.5  # seconds between loading the schedule and the first cue
P50_MAX, P99_MAX, P99_OVER_BASELINE_MAX = 5.0, 50.0, 50.0
ARRIVAL_OVER_POST_MAX = 5.0
LIMIT_SECONDS = 90  # at the default size; larger runs get proportionally more
EVENT = "bench-fire"


async def baseline() -> list[float]:
    """Lateness (ms) of N raw event-loop timers SPACING apart."""
    loop = asyncio.get_running_loop()
    samples: list[float] = []
    done = asyncio.Event()

    def ring(planned: float) -> None:
        samples.append((loop.time() - planned) * 1000)
        if len(samples) == N:
            done.set()

    first = loop.time() + LEAD
    for i in range(N):
        loop.call_at(first + i * SPACING, ring, first + i * SPACING)
    await done.wait()
    return samples


async def post_baseline(receiver: ReceiverProcess) -> list[float]:
    """Arrival lateness (ms) at the receiver of N bare POSTs started by loop.call_at SPACING apart."""
    import time

    import httpx

    loop = asyncio.get_running_loop()
    body = json.dumps({"type": "cue", "text": "x" * 400}).encode()
    sent: list[asyncio.Task] = []
    async with httpx.AsyncClient(timeout=10) as client:
        url = f"{receiver.base}/webhook/bare"
        await client.post(url, content=body, headers={"webhook-id": "bare_warm-up"})  # connect first
        first = time.time() + LEAD
        planned = {f"bare_{i}": first + i * SPACING for i in range(N)}

        def post(wid: str) -> None:
            headers = {"webhook-id": wid, "content-type": "application/json"}
            sent.append(loop.create_task(client.post(url, content=body, headers=headers)))

        for wid, at in planned.items():
            loop.call_at(loop.time() + (at - time.time()), post, wid)
        await asyncio.sleep(LEAD + N * SPACING + 0.5)
        await asyncio.gather(*sent)
    arrived = (await receiver.count(full=True))["arrived"]
    await receiver.reset()
    return [(arrived[wid] - at) * 1000 for wid, at in planned.items() if wid in arrived]


async def engine(receiver: ReceiverProcess, tmp: Path) -> tuple[list[float], int, list[float], list[float]]:
    """Fire lateness (ms) through the engine, how many fired, wake and arrival lateness (ms)."""
    from app import bootstrap
    from app.core.config import Settings
    from app.engine.clock import SystemClock
    from app.store import outbox_repo

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}", slack_pacing=False)
    samples: list[float] = []
    due_at: dict[str, datetime] = {}
    done = asyncio.Event()

    def fired(_event_id: str, row, outcome: str) -> None:
        if row.kind != "reminder":
            return
        samples.append((datetime.now(UTC) - row.due_at).total_seconds() * 1000)
        due_at[row.cue_id] = row.due_at
        if outcome == "skipped":
            samples.pop()
        if len(due_at) == N:
            done.set()

    stack = contextlib.AsyncExitStack()
    runtime = await stack.enter_async_context(
        bootstrap.started(
            settings,
            clock=SystemClock(),
            env_overrides=target_env(receiver.base, ["ops"]),
            observers=bootstrap.Observers(on_fire=(fired,)),
        )
    )
    try:
        now = datetime.now(UTC)
        first = now + timedelta(seconds=LEAD)
        reminders = [(first + timedelta(seconds=i * SPACING), None) for i in range(N)]
        end = first + timedelta(seconds=N * SPACING + 60)
        await runtime.engine.load_schedule(
            schedule_yaml(EVENT, end - timedelta(seconds=30), end, reminders, ["ops"]), "bench.yaml"
        )
        runtime.forget_targets(EVENT)
        try:
            await asyncio.wait_for(done.wait(), timeout=LEAD + N * SPACING + 10)
        except TimeoutError:
            pass
        await asyncio.sleep(0.5)  # let the last deliveries arrive
        async with runtime.db.begin() as conn:
            cues = [c for c in await outbox_repo.list_cues(conn, EVENT) if c.kind == "reminder"]
            deliveries = {d.cue_id: d.id for d in await outbox_repo.list_deliveries(conn, EVENT)}
    finally:
        await stack.aclose()
    stored = [float(c.late_ms) for c in cues if c.status == "fired"]
    arrived = (await receiver.count(full=True))["arrived"]
    arrival = [
        (datetime.fromtimestamp(arrived[deliveries[cue]], UTC) - due).total_seconds() * 1000
        for cue, due in due_at.items()
        if deliveries.get(cue) in arrived
    ]
    return samples, len(samples), stored, arrival


def _line(name: str, figures: dict[str, float]) -> str:
    return f"  {name:<34} " + "  ".join(f"{k} {v:7.2f}" for k, v in figures.items()) + "  (ms)"


async def run() -> int:
    report = Report("B4 fire lateness")
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
        base = spread(await baseline())
        bare = await post_baseline(receiver)
        samples, count, stored, arrival = await engine(receiver, Path(tmp))
    print(_line("baseline loop.call_at", base))
    if not samples:
        report.check(False, "no cue fired")
        return report.finish()
    fire = spread(samples)
    print(_line("engine: fired and committed", fire))
    print(_line("engine: wake-up (stored late_ms)", spread(stored)))
    print(_line("difference (engine - baseline)", {k: fire[k] - base[k] for k in fire}))
    if bare:
        print(_line("baseline: bare timed POST arrival", spread(bare)))
    if arrival:
        print(_line("engine: arrival at the receiver", spread(arrival)))
    if bare and arrival:
        print(_line("difference (arrival - bare POST)", {k: spread(arrival)[k] - spread(bare)[k] for k in fire}))
    report.check(count == N, f"{count}/{N} fired", measured=count / N, target="1.0", key="fired / due")
    report.check(
        fire["p50"] <= P50_MAX,
        f"p50 {fire['p50']:.2f} ms (target <= {P50_MAX:g})",
        measured=fire["p50"] / max(base["p50"], 0.01),
        target=f"p50 <= {P50_MAX:g} ms",
        key="fired p50 / call_at p50",
    )
    report.check(
        fire["p99"] <= P99_MAX,
        f"p99 {fire['p99']:.2f} ms (target <= {P99_MAX:g})",
        measured=fire["p99"] / max(base["p99"], 0.01),
        target=f"p99 <= {P99_MAX:g} ms",
        key="fired p99 / call_at p99",
    )
    over = fire["p99"] - base["p99"]
    report.check(
        over <= P99_OVER_BASELINE_MAX,
        f"p99 - baseline p99 {over:.2f} ms (target <= {P99_OVER_BASELINE_MAX:g})",
        measured=over,
        target=f"<= {P99_OVER_BASELINE_MAX:g} ms",
        key="fired p99 - call_at p99 (ms)",
    )
    if not bare or not arrival:
        report.check(False, f"arrival measured for {len(arrival)} cues and {len(bare)} bare POSTs")
        return report.finish()
    gap = spread(arrival)["p99"] - spread(bare)["p99"]
    report.check(
        gap <= ARRIVAL_OVER_POST_MAX,
        f"arrival p99 - bare POST p99 {gap:.2f} ms (target <= {ARRIVAL_OVER_POST_MAX:g})",
        measured=gap,
        target=f"<= {ARRIVAL_OVER_POST_MAX:g} ms",
        key="arrival p99 - bare POST p99 (ms)",
    )
    return report.finish()


def main() -> int:
    global N, SPACING
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=N, help=f"cues (and baseline samples) (default {N})")
    parser.add_argument("--spacing", type=float, default=SPACING, help=f"seconds between cues (default {SPACING:g})")
    args = parser.parse_args()
    N, SPACING = args.cues, args.spacing
    limit = max(LIMIT_SECONDS, 3 * (LEAD + N * SPACING) + 30)
    return run_bounded(f"B4 fire lateness: {N} cues {SPACING * 1000:g} ms apart", run, limit)


if __name__ == "__main__":
    sys.exit(main())
