"""B4 fire lateness: 200 cues 50 ms apart through the real engine vs raw `loop.call_at`.

Whole path: the run engine (SQLite file with WAL and synchronous=FULL, or PostgreSQL) with the
APScheduler timer and the delivery worker running, one signed webhook target at a local receiver
(a bare ASGI app in its own process), and 20,000 other cues pending in other events (B8's set-up:
100 events of 200 cues, due after the run), so that the firing path works against a full outbox.
A cue counts as fired when the engine's fire listener sees it: the cue is marked fired and its
delivery row committed. Lateness = that moment - the cue's due time. Baseline, same process, same
run: 200 `loop.call_at` callbacks 50 ms apart; lateness = when the callback ran - when it was asked
for. Also shown (not judged): the engine's own stored lateness (wake-up only).

Arrival: when the receiver got each cue's message - the cue's due time (fire, commit, hand-off to
the delivery worker, signing, POST). Its baseline, same run, same receiver: 200 bare POSTs (one
keep-alive httpx client, a webhook-sized JSON body) started by `loop.call_at` 50 ms apart;
lateness = arrival at the receiver - the planned moment.

Targets (issue 27; exit 1 if missed), per database: 200/200 fired; fired p50 <= call_at p50 + 1 ms
and fired p99 <= call_at p99 + 3 ms; arrival p99 <= bare-POST arrival p99 + 3 ms.

    .venv/bin/python bench/fire_lateness.py [--databases sqlite,postgres] [--pending 20000]
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

from bench._common import (  # noqa: E402
    ReceiverProcess,
    Report,
    fresh_postgres,
    postgres_reachable,
    run_bounded,
    schedule_yaml,
    spread,
    target_env,
)

N = 200
SPACING = 0.05
LEAD = 1.5  # seconds between loading the schedule and the first cue
P50_OVER_BASELINE_MAX, P99_OVER_BASELINE_MAX = 1.0, 3.0  # ms over loop.call_at's own, same run
ARRIVAL_OVER_POST_MAX = 3.0  # ms over a bare timed POST's arrival p99, same run
PENDING = 20_000  # other events' cues, pending after the run (B8's set-up)
PENDING_PER_EVENT = 200
LIMIT_SECONDS = 240  # at the default size, for both databases; larger runs get proportionally more
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


async def load_pending(runtime, pending: int) -> None:
    """Load `pending` other cues (events of PENDING_PER_EVENT reminders), all due a day after the run."""
    later = datetime.now(UTC) + timedelta(days=1)
    for n in range(pending // PENDING_PER_EVENT):
        many = [(later + timedelta(seconds=i), None) for i in range(PENDING_PER_EVENT)]
        text = schedule_yaml(f"b4-pending-{n:03d}", later, later + timedelta(hours=1), many, ["ops"])
        await runtime.engine.load_schedule(text, f"pending-{n}.yaml")
        runtime.forget_targets(f"b4-pending-{n:03d}")


async def engine(
    receiver: ReceiverProcess, database_url: str, pending: int
) -> tuple[list[float], int, list[float], list[float]]:
    """Fire lateness (ms) through the engine, how many fired, wake and arrival lateness (ms)."""
    from app import bootstrap
    from app.cli.run_cmds import tune_collector
    from app.core.config import Settings
    from app.engine.clock import SystemClock
    from app.store import outbox_repo

    settings = Settings(_env_file=None, database_url=database_url, slack_pacing=False)
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

    # As `serve` runs it: its collector thresholds, and what is loaded frozen out of the full passes.
    tune_collector()
    stack = contextlib.AsyncExitStack()
    runtime = await stack.enter_async_context(
        bootstrap.started(
            settings,
            clock=SystemClock(),
            env_overrides=target_env(receiver.base, ["ops"]),
            observers=bootstrap.Observers(on_fire=(fired,)),
            freeze_loaded=True,
        )
    )
    try:
        await load_pending(runtime, pending)
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


async def run_one(report: Report, name: str, receiver: ReceiverProcess, database_url: str, pending: int) -> None:
    """One database: the baselines and the engine in the same sitting, judged against them."""
    base = spread(await baseline())
    bare = await post_baseline(receiver)
    samples, count, stored, arrival = await engine(receiver, database_url, pending)
    print(f" {name}: {pending:,} other cues pending")
    print(_line("baseline loop.call_at", base))
    if not samples:
        report.check(False, f"{name}: no cue fired", key=f"{name}: fired / due")
        return
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
    report.check(count == N, f"{name}: {count}/{N} fired", measured=count / N, target="1.0", key=f"{name}: fired / due")
    for pct, limit in (("p50", P50_OVER_BASELINE_MAX), ("p99", P99_OVER_BASELINE_MAX)):
        over = fire[pct] - base[pct]
        report.check(
            over <= limit,
            f"{name}: fired {pct} {fire[pct]:.2f} - call_at {pct} {base[pct]:.2f} = {over:.2f} ms "
            f"(target <= {limit:g})",
            measured=over,
            target=f"<= {limit:g} ms",
            key=f"{name}: fired {pct} - call_at {pct} (ms)",
        )
    if not bare or not arrival:
        report.check(
            False,
            f"{name}: arrival measured for {len(arrival)} cues and {len(bare)} bare POSTs",
            key=f"{name}: arrival p99 - bare POST p99 (ms)",
        )
        return
    gap = spread(arrival)["p99"] - spread(bare)["p99"]
    report.check(
        gap <= ARRIVAL_OVER_POST_MAX,
        f"{name}: arrival p99 - bare POST p99 {gap:.2f} ms (target <= {ARRIVAL_OVER_POST_MAX:g})",
        measured=gap,
        target=f"<= {ARRIVAL_OVER_POST_MAX:g} ms",
        key=f"{name}: arrival p99 - bare POST p99 (ms)",
    )


async def run(databases: list[str], pending: int) -> int:
    report = Report("B4 fire lateness")
    with ReceiverProcess() as receiver:
        for name in databases:
            if name == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
                    await run_one(report, name, receiver, url, pending)
            elif await postgres_reachable():
                async with fresh_postgres("bench_b4") as url:
                    await run_one(report, name, receiver, url, pending)
            else:
                report.check(False, f"{name}: PostgreSQL not reachable", key=f"{name}: fired / due")
            await receiver.reset()
    return report.finish()


def main() -> int:
    global N, SPACING
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=N, help=f"cues (and baseline samples) (default {N})")
    parser.add_argument("--spacing", type=float, default=SPACING, help=f"seconds between cues (default {SPACING:g})")
    parser.add_argument(
        "--pending", type=int, default=PENDING, help=f"other events' pending cues (default {PENDING:,})"
    )
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres (default both)"
    )
    args = parser.parse_args()
    N, SPACING = args.cues, args.spacing
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))} (sqlite, postgres)")
    per_database = 3 * (LEAD + N * SPACING) + 30 + args.pending / 100  # loading runs at >= 100 cues/s
    limit = max(LIMIT_SECONDS, len(databases) * per_database)
    return run_bounded(
        f"B4 fire lateness: {N} cues {SPACING * 1000:g} ms apart, {args.pending:,} pending",
        lambda: run(databases, args.pending),
        limit,
    )


if __name__ == "__main__":
    sys.exit(main())
