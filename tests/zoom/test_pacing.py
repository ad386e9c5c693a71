"""Client-side pacing per Zoom rate-limit category, and `apply` of many schedules.

Time here is a fake clock that only the pacer's sleeps move, so the numbers are computed, not
measured: sequential applies over a paced client make zero 429s against the emulator's per-category
limits, and take no longer than 1.2x the minimum the limits allow for the calls made.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.engine.clock import ManualClock
from app.zoom.service import ZoomSetup
from integrations.zoom import ZoomClient, ZoomRateLimited
from integrations.zoom.pacing import HEAVY, LIGHT, MEDIUM, Pacer, RateLimits, category_of
from integrations.zoom_emulator import create_emulator
from tests.conftest import MEKONG
from tests.fixtures.service import Runtime

SPEC_DIR = Path(__file__).resolve().parents[1] / "data" / "zoom-spec"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# Every operation ZoomClient sends (see tests/zoom/test_contract.py for the same list in use).
CLIENT_OPERATIONS = [
    ("get", "/users/{userId}"),
    ("get", "/users/{userId}/settings"),
    ("post", "/users/{userId}/meetings"),
    ("get", "/users/{userId}/meetings"),
    ("get", "/meetings/{meetingId}"),
    ("patch", "/meetings/{meetingId}"),
    ("delete", "/meetings/{meetingId}"),
    ("put", "/meetings/{meetingId}/status"),
    ("post", "/users/{userId}/webinars"),
    ("get", "/users/{userId}/webinars"),
    ("get", "/webinars/{webinarId}"),
    ("patch", "/webinars/{webinarId}"),
    ("delete", "/webinars/{webinarId}"),
    ("put", "/webinars/{webinarId}/status"),
    ("get", "/webinars/{webinarId}/panelists"),
    ("post", "/webinars/{webinarId}/panelists"),
    ("delete", "/webinars/{webinarId}/panelists"),
    ("delete", "/webinars/{webinarId}/panelists/{panelistId}"),
    ("post", "/meetings/{meetingId}/registrants"),
    ("get", "/meetings/{meetingId}/registrants"),
    ("post", "/webinars/{webinarId}/registrants"),
    ("get", "/webinars/{webinarId}/registrants"),
    ("get", "/past_meetings/{meetingId}/participants"),
    ("get", "/past_webinars/{webinarId}/participants"),
    ("get", "/report/meetings/{meetingId}/participants"),
    ("get", "/report/webinars/{webinarId}/participants"),
    # issue 29: in-meeting controls, live stream, polls, survey, recordings, results
    ("patch", "/live_meetings/{meetingId}/events"),
    ("get", "/meetings/{meetingId}/livestream"),
    ("patch", "/meetings/{meetingId}/livestream"),
    ("patch", "/meetings/{meetingId}/livestream/status"),
    ("patch", "/webinars/{webinarId}/livestream/status"),
    ("get", "/meetings/{meetingId}/polls"),
    ("post", "/meetings/{meetingId}/polls"),
    ("put", "/meetings/{meetingId}/polls/{pollId}"),
    ("delete", "/meetings/{meetingId}/polls/{pollId}"),
    ("post", "/webinars/{webinarId}/polls"),
    ("patch", "/meetings/{meetingId}/survey"),
    ("patch", "/webinars/{webinarId}/survey"),
    ("get", "/meetings/{meetingId}/recordings"),
    ("get", "/past_meetings/{meetingId}/polls"),
    ("get", "/past_webinars/{webinarId}/polls"),
    ("get", "/report/meetings/{meetingId}/polls"),
    ("get", "/report/webinars/{webinarId}/polls"),
    ("get", "/report/meetings/{meetingId}/survey"),
    ("get", "/report/webinars/{webinarId}/survey"),
]


def test_categories_match_the_specs_rate_limit_labels() -> None:
    labels = {"LIGHT": LIGHT, "MEDIUM": MEDIUM, "HEAVY": HEAVY}
    specs = [
        json.loads((SPEC_DIR / n).read_text())
        for n in ("zoom-users-open-api-spec.json", "zoom-meeting-open-api-spec.json")
    ]
    for method, template in CLIENT_OPERATIONS:
        op = next(s["paths"][template][method] for s in specs if method in s["paths"].get(template, {}))
        # Most labels are upper case; a few report operations write "Heavy".
        label = re.search(r"Rate Limit Label[^`]*`([A-Za-z]+)`", op["description"]).group(1).upper()
        concrete = re.sub(r"\{[^}]+\}", "81234567890", template)
        assert category_of(method, concrete) == labels[label], f"{method.upper()} {template}"


class FakeTime:
    """Monotonic seconds moved only by sleeps; `now()` is the same instant as a UTC datetime."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


async def test_pacer_spaces_each_category_and_keeps_a_daily_budget() -> None:
    ft = FakeTime()
    day = [date(2026, 11, 26)]
    pacer = Pacer(
        RateLimits({LIGHT: 4, MEDIUM: 2}, {MEDIUM: 3}),
        headroom=1.0,
        monotonic=ft.monotonic,
        sleep=ft.sleep,
        today=lambda: day[0],
    )
    for _ in range(5):
        await pacer.acquire(LIGHT)
    assert ft.t == pytest.approx(1.0)  # 5 calls at 4/s: the 5th at 1.0 s
    await pacer.acquire(MEDIUM)  # another category's slot is not held up by LIGHT
    assert ft.t == pytest.approx(1.0)
    await pacer.acquire(MEDIUM)
    await pacer.acquire(MEDIUM)
    with pytest.raises(ZoomRateLimited) as spent:
        await pacer.acquire(MEDIUM)
    assert spent.value.daily and "00:00 UTC" in spent.value.message and pacer.used_today(MEDIUM) == 3
    await pacer.acquire(HEAVY)  # not limited here
    day[0] = date(2026, 11, 27)
    await pacer.acquire(MEDIUM)  # a new UTC day, a new budget


async def test_a_late_wake_pushes_the_next_slot_back_instead_of_bunching_calls() -> None:
    """A sleeper that wakes late (the event loop was busy) is spaced from when it really woke: the
    next call waits a whole interval after it, so late wakes never bunch calls into one second."""
    ft = FakeTime()
    stalls = [0.0, 0.1]  # the second sleep ends 100 ms late

    async def late_sleep(seconds: float) -> None:
        await ft.sleep(seconds + (stalls.pop() if stalls else 0.0))

    pacer = Pacer(RateLimits({LIGHT: 4}), headroom=1.0, monotonic=ft.monotonic, sleep=late_sleep)
    woke = []
    for _ in range(4):
        await pacer.acquire(LIGHT)
        woke.append(ft.t)
    assert woke == pytest.approx([0.0, 0.35, 0.6, 0.85])  # not 0.5 after the late wake at 0.35
    assert min(b - a for a, b in zip(woke, woke[1:], strict=False)) >= 0.25 - 1e-9


async def test_concurrent_callers_of_a_category_take_their_slots_one_after_another() -> None:
    ft = FakeTime()
    pacer = Pacer(RateLimits({LIGHT: 4}), headroom=1.0, monotonic=ft.monotonic, sleep=ft.sleep)
    woke: list[float] = []

    async def call() -> None:
        await pacer.acquire(LIGHT)
        woke.append(ft.t)

    await asyncio.gather(*(call() for _ in range(5)))
    assert woke == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def _variant(i: int) -> str:
    text = MEKONG.read_text()
    text = text.replace("id: mekong-dialogue-2022", f"id: mekong-copy-{i:03d}", 1)
    return text.replace("topic: Mekong Dialogue on Labour Mobility", f"topic: Mekong Dialogue copy {i}", 1)


async def _many(tmp_path, n: int, *, daily_cap: int = 100, paced: bool = True):
    ft = FakeTime()
    limits = {LIGHT: 6, MEDIUM: 3}
    emu = create_emulator(clock=ft.now, seed=3, rate_limits=limits, daily_cap=daily_cap)
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'many.db'}")
    runtime = Runtime(settings, clock=ManualClock(NOW))
    await runtime.start(run_timer=False, run_worker=False)
    pacer = Pacer(RateLimits(limits), monotonic=ft.monotonic, sleep=ft.sleep) if paced else None
    try:
        schedules = [await runtime.engine.load_schedule(_variant(i), f"copy-{i}.yaml") for i in range(n)]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url="http://z") as http:
            client = ZoomClient(
                http,
                api_base="http://z/v2",
                oauth_base="http://z",
                account_id=emu.state.account_id,
                client_id=emu.state.client_id,
                client_secret=emu.state.client_secret,
                sleep=ft.sleep,
                clock=ft.now,
                pacer=pacer,
            )
            service = ZoomSetup(runtime.db, settings, ft.now, client_factory=lambda: client)
            # One at a time: the fake clock adds up sleeps, so concurrent sleepers would overstate time.
            outcome = await service.apply_many(schedules, concurrency=1)
    finally:
        await runtime.stop()
    return outcome, emu, ft, pacer, limits


async def test_apply_of_many_schedules_makes_no_429_within_1_2x_of_the_limits_minimum(tmp_path) -> None:
    outcome, emu, ft, pacer, limits = await _many(tmp_path, 12)
    assert len(outcome.done) == 12 and not outcome.failed and not outcome.stopped
    assert len(emu.state.meetings) == 12
    assert [c for c in emu.state.calls if c.status == 429] == []
    minimum = max((pacer.calls.get(c, 0) - 1) / rate for c, rate in limits.items())
    assert minimum > 0 and ft.t <= 1.2 * minimum, (ft.t, minimum)


async def test_without_pacing_the_same_run_meets_429s(tmp_path) -> None:
    outcome, emu, *_ = await _many(tmp_path, 4, paced=False)
    assert [c for c in emu.state.calls if c.status == 429]  # the client only recovers after Zoom says so


async def test_a_daily_cap_stops_cleanly_with_what_is_left(tmp_path) -> None:
    outcome, emu, *_ = await _many(tmp_path, 5, daily_cap=3)
    assert [e for e, _ in outcome.done] == ["mekong-copy-000", "mekong-copy-001", "mekong-copy-002"]
    assert outcome.left == ["mekong-copy-003", "mekong-copy-004"] and "daily" in outcome.stopped
    assert len(emu.state.meetings) == 3
