"""B8 many events: 1,000 events x 20 cues on one `showcaller serve`: load rate over REST, fire
lateness of a 20 cues/s stream while they are all loaded, restart time to /healthz and /readyz, RSS.

Per database (a fresh SQLite file, and a fresh PostgreSQL database when one answers at
SHOWCALLER_BENCH_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/test):
1. baseline restart: `serve` on the empty (migrated) database, spawn -> first /healthz 200 and
   -> first /readyz 200;
2. load: N events of C reminders each (plus their segment's cues) POSTed to /api/events by a few
   concurrent clients: events/s and POST latency p50/p99;
3. stream: the last events loaded carry reminders due RATE per second for S seconds, to one signed
   webhook target at a local receiver (its own process). Fire lateness = the engine's stored
   fired_at - due_at; baseline = `loop.call_at` callbacks at the same rate, in this process, at
   the same time. Arrival at the receiver (fire + commit + delivery) is shown, not judged;
4. restart with the N events stored: spawn -> /healthz, -> /readyz (every outbox known up to
   date), -> every event in memory (background catch-up); RSS after loading and after catch-up.

Targets (exit 1 if missed): loading >= 100 events/s with POST p99 < 100 ms; every stream cue
fired; fire p99 <= baseline p99 + 5 ms; restart /healthz <= 2 s; restart /readyz <= empty-database
/readyz + 2 s.

    python bench/many_events.py                      # 1,000 x 20, 10 s stream, SQLite and PostgreSQL
    python bench/many_events.py --events 200 --stream-seconds 5 --databases sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    ReceiverProcess,
    Report,
    ServiceProcess,
    api_token,
    fresh_postgres,
    percentile,
    postgres_reachable,
    run_bounded,
    schedule_yaml,
    spread,
    target_env,
)

FIRE_OVER_BASELINE_MAX = 5.0  # ms
LOAD_RATE_MIN = 100.0  # events/s (issue 27)
LOAD_P99_MAX = 100.0  # ms
HEALTHZ_MAX = 2.0  # s
READYZ_OVER_BASELINE_MAX = 2.0  # s
LEAD = 3.0  # s from the last POST to the first stream cue
TARGETS = ["ops"]


def _background(index: int, cues: int, day: datetime) -> str:
    """An event tomorrow with `cues` reminders a minute apart (none fires during the bench)."""
    start = day + timedelta(minutes=index % 600)
    reminders = [(start + timedelta(minutes=j), None) for j in range(cues)]
    return schedule_yaml(f"b8-{index:05d}", start, start + timedelta(hours=2), reminders, TARGETS)


def _stream(count: int, first: datetime, rate: float, total: int) -> list[tuple[str, str]]:
    """`count` events sharing `total` reminders due `rate` per second from `first`, round-robin."""
    moments: list[list[datetime]] = [[] for _ in range(count)]
    for i in range(total):
        moments[i % count].append(first + timedelta(seconds=i / rate))
    later = first + timedelta(hours=6)  # their segment (and its cues) after the bench
    return [
        (
            f"b8-stream-{k:03d}",
            schedule_yaml(f"b8-stream-{k:03d}", later, later + timedelta(hours=1), [(m, None) for m in ms], TARGETS),
        )
        for k, ms in enumerate(moments)
    ]


async def _post_all(base: str, token: str, texts: list[str], concurrency: int) -> list[float]:
    """POST every schedule with `concurrency` clients; each POST's latency (ms)."""
    latencies: list[float] = []
    queue = list(reversed(texts))
    headers = {"authorization": f"Bearer {token}", "content-type": "application/yaml"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            while queue:
                text = queue.pop()
                began = time.perf_counter()
                answer = await http.post("/api/events", content=text)
                latencies.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 201:
                    raise RuntimeError(f"POST /api/events answered {answer.status_code}: {answer.text[:300]}")

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


async def _call_at_baseline(first: datetime, rate: float, total: int) -> list[float]:
    """Lateness (ms) of `total` loop.call_at callbacks `rate` per second from `first`."""
    loop = asyncio.get_running_loop()
    samples: list[float] = []
    done = asyncio.Event()
    start = loop.time() + (first - datetime.now(UTC)).total_seconds()

    def ring(planned: float) -> None:
        samples.append((loop.time() - planned) * 1000)
        if len(samples) == total:
            done.set()

    for i in range(total):
        loop.call_at(start + i / rate, ring, start + i / rate)
    await done.wait()
    return samples


async def _stored(database_url: str, prefix: str):
    """The stream's cues and their deliveries, read from the database."""
    from sqlalchemy import select

    from app.store.db import create_engine
    from app.store.tables import cues, deliveries

    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            rows = (await conn.execute(select(cues).where(cues.c.event_id.like(f"{prefix}%")))).all()
            sent = (await conn.execute(select(deliveries).where(deliveries.c.event_id.like(f"{prefix}%")))).all()
            planned = (await conn.execute(select(cues.c.event_id))).all()
    finally:
        await db.dispose()
    return rows, sent, len(planned)


async def _in_memory(service: ServiceProcess, total: int, limit: float) -> float | None:
    """perf_counter() when /readyz reports every stored event in memory (None past `limit`)."""
    deadline = time.perf_counter() + limit
    async with httpx.AsyncClient(timeout=2) as client:
        while time.perf_counter() < deadline:
            body = (await client.get(f"http://127.0.0.1:{service.port}/readyz")).json()
            if body["checks"]["events"].get("in_memory", 0) >= total:
                return time.perf_counter()
            await asyncio.sleep(0.02)
    return None


async def _one_database(name: str, database_url: str, args, tmp: Path, receiver: ReceiverProcess, report: Report):
    print(f"\n-- {name}")
    env = target_env(receiver.base, TARGETS)
    token = await api_token(database_url)
    service = ServiceProcess(None, database_url, env, tmp / f"{name}.log")
    try:
        # 1. Empty-database baseline (migrated above, so this is a plain restart).
        began = time.perf_counter()
        service.start()
        healthz0 = await service.healthy(limit=60) - began
        readyz0 = (await service.ready(limit=60))[0] - began
        print(f"  empty database: spawn -> /healthz {healthz0:.3f} s, -> /readyz {readyz0:.3f} s")

        # 2. Load N events over REST.
        streaming = max(1, math.ceil(args.rate * args.stream_seconds / args.cues))
        background = max(0, args.events - streaming)
        day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        texts = [_background(i, args.cues, day) for i in range(background)]
        cpu_before = service.cpu_seconds()
        began = time.perf_counter()
        latencies = await _post_all(f"http://127.0.0.1:{service.port}", token, texts, args.concurrency)
        total = args.stream_seconds * args.rate
        first = datetime.now(UTC) + timedelta(seconds=LEAD + streaming * 0.2)
        stream = _stream(streaming, first, args.rate, int(total))
        latencies += await _post_all(
            f"http://127.0.0.1:{service.port}", token, [t for _, t in stream], args.concurrency
        )
        took = time.perf_counter() - began
        cpu = (service.cpu_seconds() - cpu_before) * 1000 / (background + streaming)
        rate = (background + streaming) / took
        print(
            f"  load: {background + streaming} events in {took:.1f} s = {rate:.1f} events/s; "
            f"POST p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
            f"max {max(latencies):.1f} ms ({args.concurrency} clients); service CPU {cpu:.1f} ms per event"
        )
        loaded_rss = service.rss_mb()
        report.check(
            rate >= LOAD_RATE_MIN,
            f"{name}: load {rate:.1f} events/s (target >= {LOAD_RATE_MIN:g})",
            measured=rate / LOAD_RATE_MIN,
            target=f">= 1 ({LOAD_RATE_MIN:g} events/s)",
            key=f"{name}: load rate / target",
        )
        p99 = percentile(latencies, 99)
        report.check(
            p99 < LOAD_P99_MAX,
            f"{name}: load POST p99 {p99:.1f} ms (target < {LOAD_P99_MAX:g})",
            measured=p99,
            target=f"< {LOAD_P99_MAX:g} ms",
            key=f"{name}: load POST p99 (ms)",
        )

        # 3. The stream, with the call_at baseline at the same moments in this process.
        if first < datetime.now(UTC) + timedelta(seconds=0.5):
            report.check(False, f"{name}: loading the stream events overran the lead; raise LEAD")
            return
        await receiver.reset()
        base = spread(await _call_at_baseline(first, args.rate, int(total)))
        await asyncio.sleep(1.5)  # the last cues' deliveries
        rows, sent, planned = await _stored(database_url, "b8-stream-")
        reminders = [r for r in rows if r.kind == "reminder"]
        fired = [r for r in reminders if r.status == "fired"]
        fire = spread([(r.fired_at - r.due_at).total_seconds() * 1000 for r in fired]) if fired else None
        arrived = (await receiver.count(full=True))["arrived"]
        due = {(r.event_id, r.cue_id): r.due_at for r in fired}
        arrival = [
            (datetime.fromtimestamp(arrived[d.id], UTC) - due[(d.event_id, d.cue_id)]).total_seconds() * 1000
            for d in sent
            if d.id in arrived and (d.event_id, d.cue_id) in due
        ]
        print(
            f"  stream: {len(reminders)} reminders over {streaming} events, {args.rate:g}/s for {args.stream_seconds} s"
        )
        print(_line("baseline loop.call_at", base))
        if fire:
            print(_line("engine: fired (stored fired_at)", fire))
            print(_line("difference (engine - baseline)", {k: fire[k] - base[k] for k in fire}))
        if arrival:
            print(_line("arrival at the receiver (shown)", spread(arrival)))
        report.check(len(fired) == len(reminders) == int(total), f"{name}: {len(fired)}/{int(total)} stream cues fired")
        if fire:
            over = fire["p99"] - base["p99"]
            report.check(
                over <= FIRE_OVER_BASELINE_MAX,
                f"{name}: fire p99 {fire['p99']:.2f} ms - baseline p99 {base['p99']:.2f} ms = {over:.2f} ms "
                f"(target <= {FIRE_OVER_BASELINE_MAX:g})",
                measured=over,
                target=f"<= {FIRE_OVER_BASELINE_MAX:g} ms",
                key=f"{name}: stream fire p99 - call_at p99 (ms)",
            )

        # 4. Restart with everything stored.
        service.stop()
        began = time.perf_counter()
        service.start()
        healthz = await service.healthy(limit=60) - began
        ready_at, body = await service.ready(limit=120)
        readyz = ready_at - began
        memory_at = await _in_memory(service, background + streaming, limit=300)
        events = body["checks"]["events"]
        print(
            f"  restart with {background + streaming} events ({planned} cues stored): spawn -> /healthz "
            f"{healthz:.3f} s, -> /readyz {readyz:.3f} s ({events['in_memory']} in memory then), -> all in "
            + (f"memory {memory_at - began:.3f} s" if memory_at else "memory: not within 300 s")
        )
        print(f"  RSS: {loaded_rss:.0f} MB after loading, {service.rss_mb():.0f} MB after the restart's catch-up")
        report.check(
            healthz <= HEALTHZ_MAX,
            f"{name}: restart -> /healthz {healthz:.3f} s (target <= {HEALTHZ_MAX:g})",
            measured=healthz,
            target=f"<= {HEALTHZ_MAX:g} s",
            key=f"{name}: restart -> /healthz (s)",
        )
        report.check(
            readyz <= readyz0 + READYZ_OVER_BASELINE_MAX,
            f"{name}: restart -> /readyz {readyz:.3f} s (target <= empty {readyz0:.3f} + "
            f"{READYZ_OVER_BASELINE_MAX:g} s)",
        )
    finally:
        service.stop()


def _line(name: str, figures: dict[str, float]) -> str:
    return f"    {name:<34} " + "  ".join(f"{k} {v:7.2f}" for k, v in figures.items()) + "  (ms)"


async def run(args) -> int:
    report = Report("B8 many events")
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
        tmp_path = Path(tmp)
        if "sqlite" in args.databases:
            url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
            await _one_database("sqlite", url, args, tmp_path, receiver, report)
        if "postgres" in args.databases:
            if await postgres_reachable():
                async with fresh_postgres("bench_b8") as url:
                    await _one_database("postgres", url, args, tmp_path, receiver, report)
            else:
                print("\n-- postgres: not reachable (SHOWCALLER_BENCH_POSTGRES_URL); skipped")
    return report.finish()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events to load (default 1000)")
    parser.add_argument("--cues", type=int, default=20, help="reminders per event (default 20)")
    parser.add_argument("--rate", type=float, default=20.0, help="stream cues per second (default 20)")
    parser.add_argument("--stream-seconds", type=int, default=10, help="length of the stream (default 10)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent POST clients (default 4)")
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres (default both)"
    )
    parser.add_argument("--limit", type=float, default=900, help="give up after this many seconds (default 900)")
    args = parser.parse_args()
    args.databases = {d.strip() for d in args.databases.split(",")}
    banner = (
        f"B8 many events: {args.events} events x {args.cues} cues, a {args.rate:g} cues/s stream for "
        f"{args.stream_seconds} s, restart"
    )
    return run_bounded(banner, lambda: run(args), args.limit)


if __name__ == "__main__":
    sys.exit(main())
