"""B5 crash catch-up: `kill -9` the service with 5 deliveries in flight and 50 cues coming due
during a 5 s outage; restart it; measure how soon everything is delivered.

The service is `showcaller serve` on a SQLite file, with 5 signed webhook targets at a bare
counting receiver (its own process). Just before the kill the receiver accepts one message per
target and never answers, so 5 deliveries are in flight (leased, already seen by the receiver).
The 50 cues (10 per target) are due while nothing runs. After the restart we poll GET /healthz
and the receiver together: baseline = restart -> first /healthz 200; catch-up = restart -> all 55
messages received.

Targets (exit 1 if missed): 0 lost (55 of 55 received, every delivery "sent"), 0 duplicates
visible at the receiver (it dedupes on webhook-id; re-sent in-flight messages are counted as
absorbed redeliveries), each target's order kept, catch-up <= baseline + 2 s.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    ReceiverProcess,
    Report,
    ServiceProcess,
    run_bounded,
    schedule_yaml,
    target_env,
)

TARGETS = [f"t{i}" for i in range(1, 6)]
IN_FLIGHT = len(TARGETS)
DUE_IN_OUTAGE = 50
OUTAGE = 5.0
LEAD = 4.0  # seconds from writing the schedule to the first cue (the service starts meanwhile)
MAX_CATCH_UP_OVER_BASELINE = 2.0
LIMIT_SECONDS = 90
EVENT = "bench-crash"


def _schedule(first: datetime) -> str:
    """5 cues at `first` (one per target), then 50 more 80 ms apart from `first` + 0.5 s."""
    reminders = [(first, target) for target in TARGETS]
    reminders += [(first + timedelta(seconds=0.5 + 0.08 * i), TARGETS[i % len(TARGETS)]) for i in range(DUE_IN_OUTAGE)]
    # The event's only segment comes later: the reminders are the only cues in play.
    return schedule_yaml(EVENT, first + timedelta(seconds=30), first + timedelta(seconds=60), reminders, TARGETS)


async def _until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def _all_received(receiver: ReceiverProcess, count: int, limit: float) -> float | None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if (await receiver.count())["unique"] >= count:
            return time.perf_counter()
        await asyncio.sleep(0.005)
    return None


async def _stored(database_url: str):
    from app.store import outbox_repo
    from app.store.db import create_engine

    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            return await outbox_repo.list_cues(conn, EVENT), await outbox_repo.list_deliveries(conn, EVENT)
    finally:
        await db.dispose()


async def run() -> int:
    report = Report("B5 crash catch-up")
    total = IN_FLIGHT + DUE_IN_OUTAGE
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
        tmp_path = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
        first = datetime.now(UTC) + timedelta(seconds=LEAD)
        schedule = tmp_path / "crash.yaml"
        schedule.write_text(_schedule(first))
        service = ServiceProcess(schedule, database_url, target_env(receiver.base, TARGETS), tmp_path / "service.log")
        try:
            service.start()
            await service.healthy()
            await receiver.hold(IN_FLIGHT)
            await _until(first)
            if await _all_received(receiver, IN_FLIGHT, 2.0) is None:
                report.check(False, "the 5 in-flight messages never reached the receiver")
                return report.finish()
            service.kill9()
            killed = datetime.now(UTC)
            report.check(killed < first + timedelta(seconds=0.5), "killed before the 50 cues came due")
            await _until(killed + timedelta(seconds=OUTAGE))

            began = time.perf_counter()
            service.start()
            healthy, delivered = await asyncio.gather(service.healthy(), _all_received(receiver, total, 20.0))
            count = await receiver.count(full=True)
            cues, deliveries = await _stored(database_url)
        finally:
            service.stop()
            log = (tmp_path / "service.log").read_text(errors="replace")

    baseline = healthy - began
    print(f"restart -> first /healthz 200 (baseline): {baseline:.3f} s")
    if delivered is None:
        report.check(False, f"only {count['unique']} of {total} received within 20 s")
        print(log[-3000:])
        return report.finish()
    catch_up = delivered - began
    print(f"restart -> all {total} delivered: {catch_up:.3f} s; difference {catch_up - baseline:+.3f} s")
    due_in_outage = [c for c in cues if killed <= c.due_at <= killed + timedelta(seconds=OUTAGE)]
    report.check(len(due_in_outage) == DUE_IN_OUTAGE, f"{len(due_in_outage)} cues came due during the outage")
    report.check(
        count["unique"] == total and {d.status for d in deliveries} == {"sent"} and len(deliveries) == total,
        f"lost: {total - count['unique']} (received {count['unique']} of {total}; "
        f"deliveries {sorted({d.status for d in deliveries})})",
    )
    report.check(sum(count["paths"].values()) == count["unique"], "duplicates visible at the receiver: 0")
    print(f"  in-flight messages sent again after the restart and absorbed by dedupe: {count['redelivered']}")
    in_order = all(
        count["order"].get(f"/webhook/{t}")
        == [d.id for d in sorted(deliveries, key=lambda d: d.seq) if d.target_id == t]
        for t in TARGETS
    )
    report.check(in_order, "each target received its messages in creation order")
    report.check(
        catch_up - baseline <= MAX_CATCH_UP_OVER_BASELINE,
        f"catch-up - baseline {catch_up - baseline:+.3f} s (target <= {MAX_CATCH_UP_OVER_BASELINE:g} s)",
    )
    late = sum(1 for c in due_in_outage if c.note and "late" in c.note)
    print(
        f"  cues due in the outage: {late} fired and flagged late, "
        f"{sum(1 for c in due_in_outage if c.status == 'skipped')} skipped by the lateness policy"
    )
    return report.finish()


def main() -> int:
    banner = f"B5 crash catch-up: {IN_FLIGHT} in flight + {DUE_IN_OUTAGE} due during a {OUTAGE:g} s outage"
    return run_bounded(banner, run, LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
