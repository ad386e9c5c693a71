"""The timer's re-arm requests are coalesced, but a change that comes while a re-arm is reading
the outbox is not lost: that read may have missed the change's commit, so one more follows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.engine.clock import ManualClock
from app.engine.timer import CueTimer

EARLY, LATE = datetime(2026, 12, 8, 8, tzinfo=UTC), datetime(2026, 12, 8, 9, tzinfo=UTC)


class _Engine:
    """next_wake answers what the outbox held when the read began; each read waits for `go`."""

    def __init__(self) -> None:
        self.outbox = [LATE]
        self.reads = 0
        self.go = asyncio.Event()

    def fire_lead(self) -> float:
        return 0.012

    async def next_wake(self):
        self.reads += 1
        seen = min(self.outbox)
        await self.go.wait()
        return seen


async def test_a_change_during_a_rearm_read_is_read_again():
    engine = _Engine()
    timer = CueTimer(engine, None, ManualClock(EARLY - timedelta(hours=1)))  # type: ignore[arg-type]  # only next_wake is used
    timer.request_rearm()
    await asyncio.sleep(0)  # the re-arm has begun its read
    assert engine.reads == 1
    engine.outbox.append(EARLY)  # a load commits an earlier cue meanwhile
    timer.request_rearm()
    timer.request_rearm()  # a burst: still one more read, not two
    engine.go.set()
    await timer.settle()
    assert engine.reads == 2 and timer.armed_for == EARLY


async def test_requests_before_the_read_begins_share_it():
    engine = _Engine()
    engine.go.set()
    timer = CueTimer(engine, None, ManualClock(EARLY - timedelta(hours=1)))  # type: ignore[arg-type]  # only next_wake is used
    for _ in range(5):
        timer.request_rearm()
    await timer.settle()
    assert engine.reads == 1 and timer.armed_for == LATE
