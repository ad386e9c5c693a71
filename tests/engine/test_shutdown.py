"""Stopping the runtime right after a change: the timer's re-arm finishes before the database closes.

`serve` loads its files in a short-lived runtime; the load asks the timer to re-arm, and stopping
at once used to cut that re-arm's SQLite call in half (a traceback on some starts).
"""

from __future__ import annotations

import logging

from app.engine.clock import ManualClock
from tests.conftest import MEKONG, bangkok
from tests.fixtures.service import Runtime


async def test_stop_lets_a_requested_rearm_finish(database_url, settings_for, caplog):
    runtime = Runtime(settings_for(database_url), clock=ManualClock(bangkok(13, 0)))
    await runtime.start(run_timer=False, run_worker=False)
    await runtime.engine.load_schedule(MEKONG.read_text(), str(MEKONG))  # requests a re-arm
    pending = runtime.timer._pending
    assert pending is not None
    with caplog.at_level(logging.ERROR):
        await runtime.stop()
    assert pending.done() and not pending.cancelled()
    assert pending.exception() is None
    assert runtime.timer.armed_for == bangkok(13, 30)  # the first cue: the readiness check
    assert not [r for r in caplog.records if "reset" in r.getMessage()]
