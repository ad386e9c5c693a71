"""Delivery under receiver faults, on a manual clock (no real waiting), on SQLite and PostgreSQL.

Real pieces: the engine, the store, the delivery worker, HTTP over loopback to the local
receivers (dedupe by webhook-id, fault injection through POST /_faults) and the REST API.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.engine.clock import ManualClock
from app.store import outbox_repo
from tests.engine.helpers import Drill, ReceiverServer, free_port
from tests.fixtures import Service, asgi_client
from tests.fixtures.service import Runtime

EVENT = "fault-drill"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Rig:
    """A runtime on a manual clock, its receiver, and every request it sent."""

    runtime: Runtime
    clock: ManualClock
    receiver: ReceiverServer
    drill: Drill
    service: Service
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def api(self) -> httpx.AsyncClient:
        """A host's API client on the rig's app."""
        token = await self.service.token("host")
        return asgi_client(self.service.app, "http://showcaller", headers={"authorization": f"Bearer {token}"})

    async def fire(self, seconds: float) -> dict[str, str]:
        """Move the clock to `seconds` after the start and fire what is due: {cue id: outcome}."""
        self.clock.set(self.drill.at(seconds))
        return {f.cue.cue_id: f.outcome for f in await self.runtime.engine.tick()}

    async def later(self, **delta: float) -> int:
        """Advance the clock and run one delivery pass; returns the attempts made."""
        self.clock.advance(**delta)
        return await self.runtime.worker.drain()

    async def deliveries(self, target: str | None = None) -> list:
        """Stored deliveries in creation order."""
        async with self.runtime.db.begin() as conn:
            rows = await outbox_repo.list_deliveries(conn, EVENT)
        return sorted((r for r in rows if target in (None, r.target_id)), key=lambda r: r.seq)

    async def fault(self, **body) -> None:
        """Install a fault on the receiver through its HTTP interface."""
        async with httpx.AsyncClient(base_url=self.receiver.base, timeout=30) as client:
            (await client.post("/_faults", json=body)).raise_for_status()

    def sent_ids(self, target: str) -> list[str]:
        """webhook-id of every request sent to a target, including refused ones."""
        return [wid for path, wid in self.sent if path == f"/webhook/{target}"]


@pytest.fixture
async def make_rig(database_url, service_for):
    """Build a Rig; `up=False` leaves the receiver's port closed (connections are refused)."""
    made: list[Rig] = []

    async def make(up: bool = True) -> Rig:
        clock = ManualClock(START - timedelta(minutes=1))
        receiver = ReceiverServer(free_port(), clock=clock.now)
        if up:
            await receiver.start()
        drill = Drill(
            EVENT,
            START,
            segments=[("first", 600), ("second", 600)],
            reminders=[1, 2, 3],
            targets=["ops", "team"],
            ending_soon="1m",
        )
        service = await service_for(
            database_url,
            clock,
            targets_at=None,
            schedule=(drill.yaml(), "fault-drill.yaml"),
            env_overrides=drill.env(receiver.base),
        )
        runtime = service.runtime
        rig = Rig(runtime, clock, receiver, drill, service)

        async def record(request: httpx.Request) -> None:
            rig.sent.append((request.url.path, request.headers["webhook-id"]))

        runtime.http.event_hooks["request"].append(record)
        made.append(rig)
        return rig

    yield make
    for rig in made:  # the runtimes are stopped by service_for
        with contextlib.suppress(Exception):
            await rig.receiver.stop()


async def test_refused_port_then_back_loses_nothing_and_keeps_order(make_rig):
    rig = await make_rig(up=False)
    fired = await rig.fire(3)
    assert list(fired) == ["segment_start/first", "reminder/r001", "reminder/r002", "reminder/r003"]
    assert await rig.runtime.worker.drain() == 2  # one refused head per lane; the rest wait
    for _ in range(3):
        assert await rig.later(seconds=130) == 2
    ops = await rig.deliveries("ops")
    assert [d.attempts for d in ops] == [4, 0, 0, 0]
    assert ops[0].status == "pending" and "cannot connect" in ops[0].last_error

    await rig.receiver.start()  # the receiver comes back on the same port
    assert await rig.later(seconds=130) == 8
    for target in ("ops", "team"):
        rows = await rig.deliveries(target)
        assert {d.status for d in rows} == {"sent"}
        # In creation order, each id once, and every retry carried the same id.
        assert rig.receiver.ids(f"/webhook/{target}") == [d.id for d in rows]
        assert rig.sent_ids(target) == [rows[0].id] * 5 + [d.id for d in rows[1:]]
    assert rig.receiver.inbox.duplicates == 0
    assert await rig.later(seconds=130) == 0  # nothing left to send


async def test_one_target_down_for_a_while_does_not_hold_back_the_other(make_rig):
    rig = await make_rig()
    await rig.fault(path="/webhook/ops", status=503, seconds=300)
    await rig.fire(3)
    await rig.runtime.worker.drain()
    team = await rig.deliveries("team")
    assert rig.receiver.ids("/webhook/team") == [d.id for d in team] and len(team) == 4
    assert rig.receiver.ids("/webhook/ops") == []
    # Down for 300 s of event time; retries back off up to 2 minutes.
    while rig.receiver.ids("/webhook/ops") == [] and rig.clock.now() < START + timedelta(minutes=15):
        await rig.later(seconds=30)
    assert rig.clock.now() > START + timedelta(seconds=240)
    ops = await rig.deliveries("ops")
    assert {d.status for d in ops} == {"sent"} and ops[0].attempts > 1
    assert rig.receiver.ids("/webhook/ops") == [d.id for d in ops]
    assert set(rig.sent_ids("ops")[: ops[0].attempts]) == {ops[0].id}
    assert rig.receiver.inbox.duplicates == 0


@pytest.mark.parametrize("status", [400, 404, 410])
async def test_permanent_refusal_parks_with_the_answer_and_resend_delivers(make_rig, status):
    rig = await make_rig()
    await rig.fault(path="/webhook/ops", status=status, count=1, body=f"hook says no ({status})")
    await rig.fire(3)
    await rig.runtime.worker.drain()
    ops = await rig.deliveries("ops")
    # Parked at once (no retries), and the lane moves on to the next messages.
    assert [d.status for d in ops] == ["parked", "sent", "sent", "sent"]
    assert ops[0].attempts == 1 and ops[0].last_status == status
    assert rig.receiver.ids("/webhook/ops") == [d.id for d in ops[1:]]

    async with await rig.api() as api:
        failed = (await api.get(f"/api/events/{EVENT}/deliveries", params={"status": "failed"})).json()
        assert [(f["id"], f["status"], f["last_status"]) for f in failed] == [(ops[0].id, "parked", status)]
        assert f"hook says no ({status})" in failed[0]["error"]
        answer = await api.post(f"/api/deliveries/{ops[0].id}/resend")
        assert answer.status_code == 200 and answer.json()["status"] == "pending"
        assert (await api.post(f"/api/deliveries/{ops[0].id}/resend")).status_code == 409
        assert await rig.runtime.worker.drain() == 1
        assert (await api.get(f"/api/events/{EVENT}/deliveries", params={"status": "failed"})).json() == []
    assert rig.receiver.ids("/webhook/ops")[-1] == ops[0].id
    assert rig.sent_ids("ops").count(ops[0].id) == 2  # the refused try and the resend: one id


async def test_429_retry_after_is_honoured(make_rig):
    rig = await make_rig()
    await rig.fault(path="/webhook/ops", status=429, count=1, retry_after=7)
    await rig.fire(3)
    await rig.runtime.worker.drain()
    head = (await rig.deliveries("ops"))[0]
    assert head.status == "pending" and head.last_status == 429
    assert head.next_attempt_at == rig.clock.now() + timedelta(seconds=7)
    assert await rig.later(seconds=6.9) == 0  # not before the receiver said
    assert rig.receiver.ids("/webhook/ops") == []
    assert await rig.later(seconds=0.2) == 4
    ops = await rig.deliveries("ops")
    assert rig.receiver.ids("/webhook/ops") == [d.id for d in ops] and ops[0].attempts == 2


async def test_a_delivery_whose_cue_no_longer_matters_expires(make_rig):
    rig = await make_rig()
    await rig.fire(3)
    await rig.runtime.worker.drain()
    await rig.fault(path="/webhook/*", status=503, seconds=3600)
    # "1 min left" of the first segment is only worth posting until that segment ends (600 s).
    fired = await rig.fire(540)
    assert fired == {"segment_ending_soon/first": "fired"}
    await rig.runtime.worker.drain()
    while rig.clock.now() < START + timedelta(seconds=700):
        await rig.later(seconds=20)
        await rig.fire((rig.clock.now() - START).total_seconds())
    rows = {(d.cue_id, d.target_id): d for d in await rig.deliveries()}
    warning = rows[("segment_ending_soon/first", "ops")]
    assert warning.status == "expired" and "gave up" in warning.last_error
    assert warning.expires_at == START + timedelta(seconds=600)
    # Expired means no more attempts, while a segment start (always news) keeps being retried.
    start = rows[("segment_start/second", "ops")]
    assert start.status == "pending" and start.expires_at == START + timedelta(seconds=600 + 900)
    for _ in range(3):
        await rig.later(seconds=130)
    rows = {(d.cue_id, d.target_id): d for d in await rig.deliveries()}
    assert rows[("segment_ending_soon/first", "ops")].attempts == warning.attempts
    assert rows[("segment_start/second", "ops")].attempts >= start.attempts + 3
    async with httpx.AsyncClient(base_url=rig.receiver.base, timeout=30) as client:
        await client.delete("/_faults")
    await rig.later(seconds=130)
    assert rig.receiver.ids("/webhook/ops")[-1] == start.id
    assert warning.id not in rig.receiver.ids("/webhook/ops")
    assert {d.status for d in await rig.deliveries()} == {"sent", "expired"}


async def test_resend_refuses_a_sent_delivery_and_again_makes_a_new_one(make_rig):
    rig = await make_rig()
    await rig.fire(3)
    await rig.runtime.worker.drain()
    ops = await rig.deliveries("ops")
    assert {d.status for d in ops} == {"sent"}
    async with await rig.api() as api:
        refused = await api.post(f"/api/deliveries/{ops[0].id}/resend")
        assert refused.status_code == 409 and "already sent" in refused.json()["reason"]
        assert "again=true" in refused.json()["reason"]
        assert (await api.post("/api/deliveries/msg_nope/resend")).status_code == 404
        assert await rig.runtime.worker.drain() == 0  # nothing was queued
        again = await api.post(f"/api/deliveries/{ops[0].id}/resend", params={"again": "true"})
        assert again.status_code == 200, again.text
        new_id = again.json()["id"]
        assert new_id != ops[0].id and again.json()["resend_of"] == ops[0].id
        assert await rig.runtime.worker.drain() == 1
        listed = {d["id"]: d for d in (await api.get(f"/api/events/{EVENT}/deliveries")).json()}
    assert listed[new_id]["status"] == "sent" and listed[new_id]["resend_of"] == ops[0].id
    assert listed[ops[0].id]["resend_of"] is None
    assert rig.receiver.ids("/webhook/ops")[-1] == new_id
    assert rig.sent_ids("ops").count(ops[0].id) == 1  # the original went out once, never again


async def test_webhook_ids_are_new_for_each_run_of_an_event(make_rig):
    rig = await make_rig()
    await rig.fire(3)
    first_run = {(d.cue_id, d.target_id): d.id for d in await rig.deliveries()}
    # A rehearsal re-run: the event is forgotten and loaded again, then the same cues fire.
    await rig.runtime.engine.forget(EVENT)
    rig.clock.set(START - timedelta(minutes=1))
    await rig.runtime.engine.load_schedule(rig.drill.yaml(), "drill.yaml")
    await rig.fire(3)
    second_run = {(d.cue_id, d.target_id): d.id for d in await rig.deliveries()}
    assert set(first_run) == set(second_run) and first_run
    assert not set(first_run.values()) & set(second_run.values())
    assert len(set(second_run.values())) == len(second_run)
