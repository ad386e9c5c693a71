"""The rehearsal's clock runs fast but never past what the service still owes (app/rehearsal/clock.py).

Real time is a hand-moved monotonic counter here: nothing sleeps and a busy machine changes nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from app.rehearsal.clock import RehearsalClock

T0 = datetime(2022, 5, 30, 6, 28, tzinfo=UTC)


class Real:
    """time.monotonic, moved by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def real(monkeypatch) -> Real:
    real = Real()
    monkeypatch.setattr(time, "monotonic", real)
    return real


def _minutes(clock: RehearsalClock) -> float:
    return (clock.now() - T0).total_seconds() / 60


def test_it_stands_at_the_start_until_go_then_runs_at_speed(real) -> None:
    clock = RehearsalClock(T0, speed=2400)
    real.t += 5
    assert clock.now() == T0 and clock.real_delay(T0 + timedelta(minutes=1)) == 3600.0
    clock.go()
    real.t += 0.5
    assert _minutes(clock) == 20  # half a real second is twenty minutes at 2400x


def test_it_waits_at_an_owed_moment_and_runs_on_from_there_without_a_jump(real) -> None:
    clock = RehearsalClock(T0, speed=2400)
    clock.owe("timer", T0 + timedelta(minutes=10))
    clock.go()
    real.t += 2.0  # a stalled machine: eighty minutes of the agenda unpaced
    assert _minutes(clock) == 10
    real.t += 3.0  # still owed (nobody looks at the clock meanwhile)
    clock.owe("timer", T0 + timedelta(minutes=30))  # the cues fired; the next wake is armed
    assert _minutes(clock) == 10  # the time it stood still is not made up
    real.t += 0.25
    assert _minutes(clock) == 20
    real.t += 1.0
    assert _minutes(clock) == 30
    clock.owe("timer", None)
    real.t += 0.25
    assert _minutes(clock) == 40


def test_the_earliest_of_several_debts_holds_it_and_an_owed_past_moment_never_moves_it_back(real) -> None:
    clock = RehearsalClock(T0, speed=2400)
    clock.go()
    clock.owe("timer", T0 + timedelta(minutes=30))
    clock.owe("meeting", T0 + timedelta(minutes=5))
    real.t += 1.0
    assert _minutes(clock) == 5
    clock.owe("sends", T0)  # a send owed "now" (taken a moment ago) holds it where it stands
    clock.owe("meeting", None)
    real.t += 1.0
    assert _minutes(clock) == 5
    clock.owe("sends", None)  # sent: on to the timer's wake
    real.t += 1.0
    assert _minutes(clock) == 30


def test_a_debt_never_paid_slows_the_rehearsal_for_the_valve_then_it_runs_on(real) -> None:
    clock = RehearsalClock(T0, speed=60, valve=10.0)
    clock.go()
    clock.owe("sends", T0 + timedelta(minutes=1))
    real.t += 5
    assert _minutes(clock) == 1
    real.t += 9.0  # standing since 5 s in, 9 s ago: within the valve
    assert _minutes(clock) == 1
    real.t += 2.0  # 11 s standing: past the valve, it runs on at speed from where it stood
    assert _minutes(clock) > 1
    real.t += 60
    assert _minutes(clock) > 2
    clock.owe("sends", clock.now() + timedelta(minutes=1))  # a new debt engages it again
    before = clock.now()
    real.t += 120
    assert clock.now() == before + timedelta(minutes=1)


def test_hold_and_go_keep_the_moment_and_real_delay_follows_the_speed(real) -> None:
    clock = RehearsalClock(T0, speed=180)
    clock.go()
    real.t += 1
    clock.hold()
    real.t += 30  # a button press takes real seconds; the agenda stands still
    assert _minutes(clock) == 3
    assert clock.real_delay(T0 + timedelta(minutes=6)) == 1.0  # whoever waits wakes as if it ran on
    clock.go()
    real.t += 1
    assert _minutes(clock) == 6
