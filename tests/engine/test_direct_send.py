"""A fired cue's deliveries are committed already claimed and sent straight after the commit (no
look-up or claim round trip in between), without weakening exactly-once or a target's order: a
lane with an older unfinished message queues the new one, and a claim whose send never happened
(a crash) goes out after the restart under the same id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx

from app.engine.clock import ManualClock
from app.store import outbox_repo
from tests.engine.helpers import Drill
from tests.fixtures.service import Runtime

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DRILL = Drill("direct", START, [("main", 3600)], reminders=[60, 120])


class Receiver:
    """A mock transport that answers `statuses` in turn (then 204) and keeps each webhook-id."""

    def __init__(self, *statuses: int) -> None:
        self.statuses, self.seen = list(statuses), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers.get("webhook-id"))
        # A refusal asks for its retry in 5 minutes (Retry-After is honoured to the second).
        status = self.statuses.pop(0) if self.statuses else 204
        return httpx.Response(status, headers={"retry-after": "300"} if status >= 500 else {})


async def _runtime(database_url: str, settings_for, clock: ManualClock, receiver: Receiver) -> Runtime:
    runtime = Runtime(
        settings_for(database_url),
        clock=clock,
        transport=httpx.MockTransport(receiver),
        env_overrides=DRILL.env("http://127.0.0.1:9"),
    )
    await runtime.start(run_timer=False, run_worker=False)
    await runtime.engine.load_schedule(DRILL.yaml(), "direct.yaml")
    return runtime


async def _deliveries(runtime: Runtime) -> dict[str, object]:
    async with runtime.db.begin() as conn:
        return {d.cue_id: d for d in await outbox_repo.list_deliveries(conn, DRILL.event_id)}


async def _direct_sends_done(runtime: Runtime) -> None:
    for _ in range(500):
        if not runtime.worker._direct:
            return
        await asyncio.gather(*runtime.worker._direct, return_exceptions=True)
    raise AssertionError("direct sends never finished")


async def test_a_fired_cues_delivery_is_committed_claimed_and_sent_without_a_worker_pass(database_url, settings_for):
    receiver = Receiver()
    clock = ManualClock(DRILL.at(60))
    runtime = await _runtime(database_url, settings_for, clock, receiver)
    runtime.engine.dispatch.begin(runtime.worker)  # what `serve` wires when its worker runs
    try:
        fired = await runtime.engine.tick()
        assert {f.cue.cue_id for f in fired} >= {"reminder/r001"}
        await _direct_sends_done(runtime)
        stored = await _deliveries(runtime)
        assert {d.status for d in stored.values()} == {"sent"}
        assert all(d.attempts == 1 and d.lease_until is None for d in stored.values())
        assert sorted(receiver.seen) == sorted(d.id for d in stored.values())  # once each, no drain ran
    finally:
        await runtime.stop()


async def test_a_lane_with_an_unfinished_message_keeps_its_order(database_url, settings_for):
    receiver = Receiver(503)  # the first message fails and waits for its retry
    clock = ManualClock(DRILL.at(60))
    runtime = await _runtime(database_url, settings_for, clock, receiver)
    runtime.engine.dispatch.begin(runtime.worker)
    try:
        await runtime.engine.tick()  # segment start (at 0 s, late) and reminder r001, both to `ops`
        await _direct_sends_done(runtime)
        first = await _deliveries(runtime)
        assert len(first) == 2 and {d.status for d in first.values()} == {"pending"}
        assert receiver.seen == [min(first.values(), key=lambda d: d.seq).id]  # the lane stopped at the 503
        retry_at = max(d.next_attempt_at for d in first.values())
        assert retry_at > clock.now()

        clock.set(DRILL.at(120))
        await runtime.engine.tick()  # reminder r002: its lane is busy, so it queues
        await _direct_sends_done(runtime)
        second = (await _deliveries(runtime))["reminder/r002"]
        assert second.status == "pending" and second.attempts == 0 and second.id not in receiver.seen
        assert await runtime.worker.drain() == 0  # still blocked behind the retry: order kept
        assert len(receiver.seen) == 1

        clock.set(retry_at + timedelta(seconds=1))
        await runtime.worker.drain()
        stored = await _deliveries(runtime)
        assert {d.status for d in stored.values()} == {"sent"}
        assert receiver.seen[1:] == [d.id for d in sorted(stored.values(), key=lambda d: d.seq)]
    finally:
        await runtime.stop()


async def test_a_claim_that_was_never_sent_goes_out_after_a_restart_under_the_same_id(database_url, settings_for):
    receiver = Receiver()
    clock = ManualClock(DRILL.at(60))
    runtime = await _runtime(database_url, settings_for, clock, receiver)
    # The process dies between the firing commit and the send: the hand-off never sends.
    runtime.engine.dispatch.begin(
        SimpleNamespace(lease_until=runtime.worker.lease_until, send_claimed=lambda batch: None)
    )
    try:
        await runtime.engine.tick()
        claimed = await _deliveries(runtime)
        assert claimed and {d.status for d in claimed.values()} == {"sending"} and receiver.seen == []
    finally:
        await runtime.stop()

    restarted = Runtime(
        settings_for(database_url),
        clock=clock,
        transport=httpx.MockTransport(receiver),
        env_overrides=DRILL.env("http://127.0.0.1:9"),
    )
    await restarted.start(run_timer=False, run_worker=False)
    try:
        assert await restarted.worker.recover() == len(claimed)
        await restarted.worker.drain()
        stored = await _deliveries(restarted)
        assert {d.status for d in stored.values()} == {"sent"}
        assert sorted(receiver.seen) == sorted(d.id for d in claimed.values())  # the same ids, once each
    finally:
        await restarted.stop()


async def test_a_pass_kicked_while_a_cue_is_sent_straight_waits_for_the_send_to_end(database_url, settings_for):
    """The fire listener's kick comes while the fired cue's messages are being sent straight from the
    firing: the worker's pass (its queries, on the event loop) waits for them, and they end with it."""
    receiver = Receiver()
    clock = ManualClock(DRILL.at(60))
    runtime = await _runtime(database_url, settings_for, clock, receiver)
    runtime.engine.dispatch.begin(runtime.worker)
    worker = runtime.worker
    try:
        worker._kick.clear()
        await runtime.engine.tick()  # hands the deliveries off, then its listeners kick the worker
        assert worker._direct and not worker._kick.is_set()
        await _direct_sends_done(runtime)
        assert worker._kick.is_set() and len(receiver.seen) == 2  # (segment start and r001)
        worker._kick.clear()
        worker.kick()  # nothing under way: a pass at once
        assert worker._kick.is_set()
    finally:
        await runtime.stop()
