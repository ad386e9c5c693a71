"""B7 failover: three `serve` instances on PostgreSQL, a stream of 20 cues/s across 50 events, and
`kill -9` of the dispatching instance 5 times at random moments.

Each event has its own signed webhook target at one counting receiver (a bare ASGI app in its own
process), so there are 50 lanes whose order is checked. One cue comes due every 50 ms, in turn
over the events. After a calm stretch (the baseline), the instance that dispatches (`/readyz`
says which) gets SIGKILL at a random moment; a standby takes over; the killed one is started
again, as a supervisor would, and the next kill follows a few random seconds later.

Figures: the resume gap of each kill, that is the longest silence at the receiver around it (last
message before the kill -> first one after), against the baseline, the longest silence between
two messages over the calm stretch of the same run (the ratio is printed); the time until
`/readyz` names the new dispatcher; then, over the whole stream: cues lost (due, never fired),
messages lost (fired, never received), duplicates (one cue's message to one target under two
webhook ids: a copy a signed-webhook receiver cannot drop; copies under the same id, which it
drops, are shown as "re-sent"), and each target's order at the receiver against creation order.

Targets (exit 1 if missed): every resume gap <= 5 s, 0 lost, 0 duplicated, order kept on all 50
targets. Needs PostgreSQL: SHOWCALLER_TEST_POSTGRES_URL (a database it may create others from),
else SHOWCALLER_BENCH_POSTGRES_URL's default, the machine's 127.0.0.1:5432/test; one that does not
answer is a failed figure. `--kills N` for a shorter run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench._common import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    ReceiverProcess,
    Report,
    ServiceProcess,
    postgres_reachable,
    run_bounded,
    schedule_yaml,
    target_env,
)

EVENTS = 50
RATE = 20.0  # cues per second over all events
CALM = 6.0  # seconds of stream before the first kill: the baseline
BETWEEN = (4.0, 7.0)  # seconds between kills, drawn at random
TAIL = 5.0  # seconds of stream after the last kill
GAP_MAX = 5.0
LIMIT_SECONDS = 300


class Instance(ServiceProcess):
    """`showcaller serve --port N` with no schedule file (events are loaded over REST)."""

    def __init__(self, database_url: str, env: dict[str, str], log: Path):
        super().__init__(Path("unused"), database_url, env, log)

    def start(self) -> None:
        script = Path(sys.executable).with_name("showcaller")
        command = [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [*command, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.log.parent,
            )

    async def role(self, client: httpx.AsyncClient) -> str | None:
        try:
            answer = await client.get(f"http://127.0.0.1:{self.port}/readyz")
        except httpx.HTTPError:
            return None
        return answer.json().get("instance", {}).get("role") if answer.status_code == 200 else None


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _token(database_url: str) -> str:
    from app.store import tokens_repo
    from app.store.db import create_engine, migrate

    await migrate(database_url)
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "bench", "organiser", datetime.now(UTC))
    finally:
        await db.dispose()
    return token


async def _dispatcher(instances: list[Instance], client: httpx.AsyncClient, limit: float = 60.0) -> Instance:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for instance in instances:
            alive = instance.proc is not None and instance.proc.poll() is None
            if alive and await instance.role(client) == "dispatcher":
                return instance
        await asyncio.sleep(0.05)
    raise TimeoutError("no instance became the dispatcher")


async def _stored(database_url: str, event_ids: list[str]):
    from app.store import outbox_repo
    from app.store.db import create_engine

    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            cues = [c for e in event_ids for c in await outbox_repo.list_cues(conn, e)]
            deliveries = [d for e in event_ids for d in await outbox_repo.list_deliveries(conn, e)]
    finally:
        await db.dispose()
    return cues, deliveries


def _longest_silence(arrivals: list[float], start: float, end: float) -> float:
    """The longest time between consecutive arrivals that overlaps [start, end] (seconds)."""
    longest, previous = 0.0, None
    for moment in arrivals:
        if previous is not None and moment >= start and previous <= end:
            longest = max(longest, moment - previous)
        previous = moment
    return longest


async def run_failover(admin_url: str, kills: int, seed: int) -> int:
    report = Report("B7 failover")
    rng = random.Random(seed)
    name = f"showcaller_b7_{uuid.uuid4().hex[:10]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    database_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    targets = [f"t{i:02d}" for i in range(EVENTS)]
    event_ids = [f"b7-{i:02d}" for i in range(EVENTS)]
    instances: list[Instance] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
            token = await _token(database_url)
            env = target_env(receiver.base, targets)
            instances = [Instance(database_url, env, Path(tmp) / f"instance-{n}.log") for n in (1, 2, 3)]
            for instance in instances:
                instance.start()
            for instance in instances:
                await instance.healthy(90)
            # The stream: one cue every 1/RATE s, in turn over the events, long enough for every kill.
            length = CALM + kills * BETWEEN[1] + TAIL
            per_event = int(length * RATE / EVENTS) + 1
            step = 1.0 / RATE
            t0 = datetime.now(UTC) + timedelta(seconds=5 + EVENTS * 0.25)  # after loading the schedules
            last_due = t0 + timedelta(seconds=(per_event * EVENTS - 1) * step)
            auth = {"authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(timeout=30, headers=auth) as client:
                for i, (event_id, target) in enumerate(zip(event_ids, targets, strict=True)):
                    cues = [(t0 + timedelta(seconds=(k * EVENTS + i) * step), None) for k in range(per_event)]
                    # The segment starts a little before its first reminder and ends well after the stream.
                    start = t0 + timedelta(seconds=i * step - step / 2)
                    text = schedule_yaml(event_id, start, last_due + timedelta(minutes=10), cues, [target])
                    answer = await client.post(
                        f"http://127.0.0.1:{instances[i % 3].port}/api/events",
                        content=text,
                        headers={"x-schedule-name": f"{event_id}.yaml"},
                    )
                    answer.raise_for_status()
                if datetime.now(UTC) > t0:
                    print(f"  warning: loading took longer than planned; the stream began {datetime.now(UTC) - t0} ago")
                stream_start = t0.timestamp()
                calm_from = max(stream_start, time.time()) + 1.0  # the baseline starts once loading is over
                kill_times: list[float] = []
                takeovers: list[float] = []
                moment = calm_from + CALM
                for _ in range(kills):
                    moment += rng.uniform(*BETWEEN) if kill_times else rng.uniform(0, 1.0)
                    dispatcher = await _dispatcher(instances, client)
                    await asyncio.sleep(max(0.0, moment - time.time()))
                    dispatcher.kill9()
                    killed = time.time()
                    kill_times.append(killed)
                    survivor = await _dispatcher([i for i in instances if i is not dispatcher], client)
                    takeovers.append(time.time() - killed)
                    print(f"  kill at +{killed - stream_start:5.1f} s: port {dispatcher.port} -> {survivor.port}")
                    dispatcher.start()  # a supervisor restarts it; it comes back as a standby
                    await dispatcher.healthy(90)
                await asyncio.sleep(max(0.0, last_due.timestamp() - time.time()) + 1.0)
            # Settle: every delivery of a fired cue received (bounded).
            deadline = time.monotonic() + 60
            while True:
                cues, deliveries = await _stored(database_url, event_ids)
                busy = [d for d in deliveries if d.status in ("pending", "sending")]
                if not busy or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            seen = await receiver.count(full=True)
    finally:
        for instance in instances:
            instance.stop()
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    arrived = seen["arrived"]
    arrivals = sorted(arrived.values())
    baseline = _longest_silence(arrivals, calm_from, kill_times[0] - 0.5) if kill_times else 0.0
    gaps = [_longest_silence(arrivals, k - 0.5, k + 0.5) for k in kill_times]
    due = [c for c in cues if c.due_at <= last_due]
    lost_cues = [c for c in due if c.status not in ("fired", "skipped")]
    skipped = [c for c in due if c.status == "skipped"]
    lost_messages = [d for d in deliveries if d.id not in arrived]
    per_message: dict[tuple, int] = defaultdict(int)
    for d in deliveries:
        per_message[(d.event_id, d.cue_id, d.target_id)] += 1
    duplicated = sum(n - 1 for n in per_message.values() if n > 1) + len(set(arrived) - {d.id for d in deliveries})
    by_target: dict[str, list[str]] = defaultdict(list)
    for d in sorted(deliveries, key=lambda d: d.seq):
        by_target[f"/webhook/{d.target_id}"].append(d.id)
    in_order = sum(seen["order"].get(path, []) == ids for path, ids in by_target.items())

    print(f"  stream: {len(due)} cues due over {last_due.timestamp() - stream_start:.1f} s across {EVENTS} events")
    print(f"  baseline: longest silence between two messages without a kill {baseline * 1000:.0f} ms")
    for n, (gap, takeover) in enumerate(zip(gaps, takeovers, strict=True), 1):
        ratio = gap / baseline if baseline else float("inf")
        print(
            f"  kill {n}: resume gap {gap * 1000:6.0f} ms ({ratio:5.1f} x baseline), new dispatcher named by "
            f"/readyz after {takeover * 1000:.0f} ms"
        )
    print(
        f"  fired {sum(c.status == 'fired' for c in due)}, skipped by the lateness policy {len(skipped)}, "
        f"messages {len(deliveries)}, received {seen['unique']}, re-sent under the same id {seen['redelivered']}"
    )
    report.check(len(gaps) == kills, f"{len(gaps)}/{kills} kills done")
    worst = max(gaps, default=0.0)
    report.check(worst <= GAP_MAX, f"worst resume gap {worst:.2f} s (target <= {GAP_MAX:g} s)")
    report.check(not lost_cues, f"{len(lost_cues)} cues lost (due, never fired)")
    report.check(not lost_messages, f"{len(lost_messages)} messages lost (fired, never received)")
    report.check(duplicated == 0, f"{duplicated} duplicated (a second webhook id for one message)")
    report.check(in_order == len(by_target) == EVENTS, f"order kept on {in_order}/{EVENTS} targets")
    return report.finish()


def main() -> int:
    parser = argparse.ArgumentParser(description="B7 failover benchmark")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    args = parser.parse_args()
    # The machine's PostgreSQL by default (as B4, B8 and B9 use it), so `make bench` runs B7 too.
    admin = os.environ.get("SHOWCALLER_TEST_POSTGRES_URL") or POSTGRES_ADMIN_URL
    banner = f"B7 failover: 3 instances, {RATE:g} cues/s across {EVENTS} events, {args.kills} x kill -9"
    banner += f" (seed {args.seed})"
    if not asyncio.run(postgres_reachable(admin)):
        print(banner)
        report = Report("B7 failover")
        report.check(False, f"PostgreSQL not reachable at {admin} (set SHOWCALLER_TEST_POSTGRES_URL)")
        return report.finish()
    return run_bounded(banner, lambda: run_failover(admin, args.kills, args.seed), LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
