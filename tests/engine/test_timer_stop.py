"""Stopping the timer while a wake is under way: the wake finishes its database work, it is not
cancelled. (APScheduler's shutdown cancels the coroutine jobs it runs; a tick or re-arm cut in half
mid SQLite call made SQLAlchemy close the connection under a cancel, a hang at the loop's close.)"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from app.engine.clock import ManualClock
from app.engine.timer import CueTimer

NOW = datetime(2026, 12, 8, 8, tzinfo=UTC)


class _Engine:
    """A tick that holds until `go`; it records whether it finished or was cancelled."""

    def __init__(self) -> None:
        self.ticking, self.go = asyncio.Event(), asyncio.Event()
        self.ticks_done = 0
        self.cancelled = False
        self.reads = 0

    def fire_lead(self) -> float:
        return 0.0

    async def tick(self, at):
        self.ticking.set()
        try:
            await self.go.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.ticks_done += 1
        return []

    async def next_wake(self):
        self.reads += 1
        return None


async def test_stop_waits_for_the_wake_under_way_and_reports_no_failure(caplog):
    engine = _Engine()
    timer = CueTimer(engine, None, ManualClock(NOW))  # type: ignore[arg-type]  # tick, next_wake and fire_lead are used
    timer.start()
    timer.scheduler.add_job(timer._wake, "date", run_date=datetime.now(UTC) - timedelta(seconds=1), args=(NOW,))
    await asyncio.wait_for(engine.ticking.wait(), timeout=60)

    with caplog.at_level(logging.ERROR, logger="showcaller.timer"):
        stopping = asyncio.create_task(timer.stop())
        for _ in range(20):  # the scheduler's shutdown has run and its cancel has been delivered
            await asyncio.sleep(0)
        assert not stopping.done()  # waiting for the tick, which runs on
        engine.go.set()
        await asyncio.wait_for(stopping, timeout=60)

    assert engine.ticks_done == 1 and not engine.cancelled
    assert engine.reads == 1  # the wake's own re-arm ran; the cancelled job asked for no other
    assert not caplog.records
    timer.request_rearm()  # after the stop: nothing more reads the database
    await asyncio.sleep(0)
    assert engine.reads == 1
