"""Restart safety: `kill -9` the real service mid-event, start it again, and lose or repeat nothing.

The service runs as a subprocess (`showcaller serve`) on a file SQLite database (and PostgreSQL
when configured) with a schedule generated to happen now, in real time. A host starts a timer and
reports a delay through the REST API; the process is killed while cues keep coming due, and is
restarted a couple of seconds later. Then:
- the run state (segment, delay, timers) is what the schedule plus the stored run log give;
- every cue due before the end fired (flagged late when the lateness policy says so) or was
  skipped exactly when the policy says it no longer matters;
- the receiver saw each webhook id once, in order; a retry after the crash reused the id.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.engine.lateness import decide
from schedules.adjustments import from_dict
from schedules.load import load_text
from schedules.timeline import build_timeline
from tests.engine.helpers import (
    Drill,
    ServiceProcess,
    assert_received_once_in_order,
    holding_receiver,
    organiser_token,
    settled,
)

pytestmark = pytest.mark.slow

EVENT = "crash-drill"
GIVE_UP = timedelta(minutes=15)  # Settings.delivery_give_up_minutes default
JITTER = timedelta(seconds=0.5)  # the engine's wake-up grace at real speed


async def _until(moment: datetime) -> None:
    """Sleep (really) until `moment`: this test is about real time."""
    delay = (moment - datetime.now(UTC)).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


async def _wait_for(condition, what: str, limit: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"no {what} within {limit} s")
        await asyncio.sleep(0.01)


def _drill() -> Drill:
    # Made once the service answers, so however long a loaded machine takes to start a process,
    # the kill lands while cues are still coming due.
    start = datetime.now(UTC) + timedelta(seconds=1.5)
    # Reminders every 150 ms for the whole event: some come due while the service is dead.
    reminders = [round(0.2 + 0.15 * i, 2) for i in range(52)]
    return Drill(
        EVENT,
        start,
        segments=[("opening", 2.5), ("talk", 3.5), ("closing", 2.0)],
        reminders=reminders,
        respondents={"talk": (2, 0.02)},
    )


def _current_id(state: dict) -> str | None:
    return (state.get("current") or {}).get("id")


def _segment_id(expected) -> str | None:
    return expected.current.id if expected.current is not None else None


def _possible_segments(schedule, log: list[dict], shown_now: str) -> set[str | None]:
    """The segments the schedule and the log give while the server's clock read `shown_now`: the
    state shows its moment to the second, so its real moment lies in [shown_now, shown_now + 1 s)."""
    start = datetime.fromisoformat(shown_now)
    return {
        _segment_id(_expected_state(schedule, log, start + timedelta(milliseconds=ms))[0]) for ms in range(0, 1000, 50)
    }


def _expected_state(schedule, log: list[dict], now: datetime):
    actions = [from_dict(entry["data"]) for entry in log]
    return build_timeline(schedule, actions, now).state_at(now), actions


async def test_kill_9_mid_event_loses_nothing_and_repeats_nothing(database_url, tmp_path):
    receiver, stall, release, held = holding_receiver()  # holds one answer around the kill
    await receiver.start()
    token = await organiser_token(database_url, "drill")
    # The service starts empty and the drill is loaded over REST once it answers (it is stored,
    # so the restart below brings it back from the database alone).
    service = ServiceProcess(None, database_url, _drill().env(receiver.base), tmp_path / "service.log")
    auth = {"authorization": f"Bearer {token}"}
    try:
        await service.start()
        await service.wait_healthy()
        async with httpx.AsyncClient(base_url=service.base, headers=auth, timeout=5) as api:
            drill = _drill()
            loaded = await api.post("/api/events", content=drill.yaml(), headers={"x-schedule-name": "drill.yaml"})
            assert loaded.status_code == 201, loaded.text
            schedule = load_text(drill.yaml(), "drill.yaml")
            await _until(drill.at(0.3))
            answer = await api.post(f"/api/events/{EVENT}/timers", json={"label": "Panel", "seconds": 4})
            assert answer.status_code == 201, answer.text
            timer_id = answer.json()["timer_id"]
            await _until(drill.at(0.6))
            answer = await api.post(f"/api/events/{EVENT}/delay", json={"seconds": 1, "mode": "shift"})
            assert answer.status_code == 200, answer.text
            await _until(drill.at(1.8))
            before = (await api.get(f"/api/events/{EVENT}/state")).json()
            log_before = (await api.get(f"/api/events/{EVENT}/log")).json()
        # Everything about the state is computed from the log at the moment the server answered,
        # never pinned to a segment: on a loaded machine the answer may come a segment later.
        assert _current_id(before) in _possible_segments(schedule, log_before, before["now"]), (before, log_before)
        assert before["delay"] == 1.0
        stall.set()
        await _wait_for(lambda: held, "a delivery in flight")
        await service.kill9()
        killed_at = datetime.now(UTC)
        release.set()
        await asyncio.sleep(2.5)  # cues come due while nothing runs
        await service.start()
        await service.wait_healthy()
        restarted_at = datetime.now(UTC)

        async with httpx.AsyncClient(base_url=service.base, headers=auth, timeout=5) as api:
            after = (await api.get(f"/api/events/{EVENT}/state")).json()
            log_after = (await api.get(f"/api/events/{EVENT}/log")).json()
        # The run state comes back from the schedule and the stored log, not from memory.
        assert log_after == log_before and [e["kind"] for e in log_after] == [
            "timer_start",
            "delay",
        ]
        now = datetime.fromisoformat(after["now"])
        expected, actions = _expected_state(schedule, log_after, now)
        assert _current_id(after) in _possible_segments(schedule, log_after, after["now"]), (after, log_after)
        assert after["delay"] == expected.delay.total_seconds() == before["delay"]
        assert [(t["id"], t["ends_at"], t["status"]) for t in after["timers"]] == [
            (t["id"], t["ends_at"], t["status"]) for t in before["timers"]
        ]
        assert [t["id"] for t in after["timers"]] == [t.id for t in expected.timers] == [timer_id]

        await _until(drill.end + timedelta(seconds=1.5))  # the delay moved the end by 1 s
        cues, deliveries = await settled(database_url, EVENT, limit=30.0)
    finally:
        await service.stop()
        await receiver.stop()

    planned = {c.id for c in build_timeline(schedule, actions, drill.end).cues}
    by_id = {c.cue_id: c for c in cues}
    assert set(by_id) == planned
    # No cue lost: each one fired or was skipped, exactly as the lateness policy decides.
    for cue in cues:
        assert cue.status in ("fired", "skipped"), (cue.cue_id, cue.status, service.tail())
        decision = decide(cue.kind, cue.due_at, cue.fired_at, cue.data, GIVE_UP, JITTER)
        assert (cue.status == "fired") == decision.fire, (cue.cue_id, cue.due_at, cue.fired_at)
        if cue.status == "fired":
            assert ("late by" in (cue.note or "")) == decision.late, (cue.cue_id, cue.note)
    in_outage = [c for c in cues if killed_at <= c.due_at <= restarted_at]
    # The outage lasts at least 2.5 s while a reminder comes due every 150 ms, so cues did come
    # due while nothing ran (how many depends on when the kill landed, so only a floor is checked).
    assert len(in_outage) >= 5
    assert all(c.fired_at >= killed_at + timedelta(seconds=2.5) for c in in_outage)
    # A "1 s left" warning whose segment ended while the service was down is noise by then.
    ending = by_id["segment_ending_soon/opening"]
    if killed_at <= ending.due_at and ending.due_at + timedelta(seconds=1) <= restarted_at:
        assert ending.status == "skipped"
    assert any("late by" in (c.note or "") for c in in_outage if c.status == "fired")
    assert by_id[f"timer_up/{timer_id}"].status == "fired"

    # Nothing delivered twice: one delivery per fired cue, sent, seen once, in creation order.
    fired = [c.cue_id for c in cues if c.status == "fired"]
    assert sorted(d.cue_id for d in deliveries) == sorted(fired)
    assert_received_once_in_order(receiver.ids("/webhook/ops"), deliveries)
    assert all(m.verified for m in receiver.inbox.messages)
    # The message in flight at the kill is sent again after the restart under the same id; the
    # receiver counts it as a redelivery instead of showing it twice.
    attempts = {d.id: d.attempts for d in deliveries}
    # (Outcomes are stored a few milliseconds behind the sends, so a message sent just before
    # the kill may also go again; whatever was redelivered was claimed again after the restart.)
    redelivered = [m.message_id for m in receiver.inbox.messages if m.duplicates]
    status = {d.id: d.status for d in deliveries}
    assert (held[0] in redelivered or status[held[0]] == "expired") and receiver.inbox.duplicates == len(redelivered)
    assert all(attempts[wid] >= 2 for wid in redelivered)
