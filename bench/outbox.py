"""B3 outbox dispatch: 1,000 deliveries through the whole path vs a bare httpx POST loop.

Whole path: the real delivery worker on a SQLite file (WAL, synchronous=FULL) claims each
delivery, renders and signs the webhook, POSTs it and marks it sent. Cues are fired before the
clock starts; only dispatch is timed. Baseline: a plain `httpx.AsyncClient.post` loop sending the
same body and headers (a fresh webhook-id each) to the same receiver. Both send to one target,
one message after another (a target's messages keep their order).

Both run in the same process and the same run, interleaved in blocks of 200 so that both see the
same machine load; a round is 5 blocks (1,000 messages each way); 3 rounds after a warm-up and
the median round is judged. The receiver is a bare ASGI app counting webhook ids, in its own
process (uvloop + httptools). Slack pacing is off.

Targets (exit 1 if missed): median ratio (whole-path throughput / baseline throughput) >= 0.8
(issue 27; 0.5 before),
and in every round 1,000 of 1,000 received exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ReceiverProcess, Report, median, run_bounded, schedule_yaml, target_env  # noqa: E402

N = 1000
BLOCK = 200
ROUNDS = 3
MIN_RATIO = 0.8
LIMIT_SECONDS = 180


async def _fire(runtime, event_id: str, count: int) -> None:
    """Load an event whose `count` reminders are all due, and fire them (not timed)."""
    now = runtime.clock.now()
    start = now - timedelta(minutes=1)
    # The segment starts a minute later than the reminders: only the reminders are due.
    reminders = [(start + timedelta(milliseconds=i), None) for i in range(count)]
    text = schedule_yaml(event_id, now + timedelta(minutes=1), now + timedelta(hours=1), reminders, ["ops"])
    await runtime.engine.load_schedule(text, f"{event_id}.yaml")
    runtime.forget_targets(event_id)
    fired = await runtime.engine.tick()
    reminders = sum(1 for f in fired if f.cue.kind == "reminder" and f.outcome != "skipped")
    assert reminders == count, f"{reminders} of {count} reminders fired"


async def _whole_path(runtime) -> float:
    """Seconds for the worker to send everything claimable (each pass is one drain)."""
    began = time.perf_counter()
    while await runtime.worker.drain():
        pass
    return time.perf_counter() - began


async def _bare(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], tag: str) -> float:
    began = time.perf_counter()
    for i in range(BLOCK):
        answer = await http.post(url, content=body, headers={**headers, "webhook-id": f"{tag}-{i}"})
        answer.raise_for_status()
    return time.perf_counter() - began


async def _round(runtime, receiver: ReceiverProcess, body: bytes, headers: dict, n: int, report: Report) -> float:
    await receiver.reset()
    bare = whole = 0.0
    async with httpx.AsyncClient(timeout=10) as http:
        for block in range(N // BLOCK):
            await _fire(runtime, f"bench-{n}-{block}", BLOCK)
            bare += await _bare(http, f"{receiver.base}/webhook/bare", body, headers, f"bare-{n}-{block}")
            whole += await _whole_path(runtime)
    count = await receiver.count()
    ratio = bare / whole  # same message count: throughput ratio = time ratio inverted
    received = count["paths"].get("/webhook/ops", 0)
    print(
        f"round {n}: bare POST loop {N / bare:,.0f} msg/s, whole path {N / whole:,.0f} msg/s, "
        f"ratio {ratio:.2f}; whole path: {received} of {N} received"
    )
    report.check(
        count["paths"].get("/webhook/bare") == N,
        f"round {n}: baseline {N} of {N} received",
        key=f"round {n}: baseline all received",
    )
    report.check(
        received == N and count["redelivered"] == 0,
        f"round {n}: {received} of {N} received, {count['redelivered']} more than once (target: {N} exactly once)",
        measured=received / N,
        target="1.0, none twice",
        key=f"round {n}: whole path received / sent, exactly once",
    )
    return ratio


async def run() -> int:
    from app import bootstrap
    from app.core.config import Settings
    from app.engine.clock import SystemClock

    report = Report("B3 outbox dispatch")
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            slack_pacing=False,
        )
        stack = contextlib.AsyncExitStack()
        runtime = await stack.enter_async_context(
            bootstrap.started(
                settings,
                clock=SystemClock(),
                env_overrides=target_env(receiver.base, ["ops"]),
                run_timer=False,
                run_worker=False,
            )
        )
        sample: list[httpx.Request] = []

        async def keep(request: httpx.Request) -> None:
            if not sample:
                sample.append(request)

        runtime.http.event_hooks["request"].append(keep)
        try:
            await _fire(runtime, "bench-warm-up", BLOCK)
            await _whole_path(runtime)  # warm-up; also gives the baseline its body and headers
            body = sample[0].content
            headers = {k: v for k, v in sample[0].headers.items() if k not in ("content-length", "host")}
            print(f"body {len(body)} bytes, signed ({', '.join(sorted(k for k in headers if 'webhook' in k))})")
            ratios = [await _round(runtime, receiver, body, headers, n, report) for n in range(1, ROUNDS + 1)]
            report.check(
                median(ratios) >= MIN_RATIO,
                f"median ratio {median(ratios):.2f} (target >= {MIN_RATIO})",
                measured=median(ratios),
                target=f">= {MIN_RATIO}",
                key="worker / bare POST loop, median ratio",
            )
        finally:
            await stack.aclose()
    return report.finish()


def main() -> int:
    # Its cues are fired before the clock starts, so each is late by design: the service's warning per
    # cue (3,000 lines a run) would bury the figures.
    logging.disable(logging.WARNING)
    return run_bounded(f"B3 outbox dispatch: {N} deliveries x {ROUNDS} rounds", run, LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
