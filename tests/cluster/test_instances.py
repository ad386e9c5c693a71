"""Several `showcaller serve` processes on one PostgreSQL database: any instance serves, one dispatches.

- a host action taken on one instance reaches another instance's server-sent events, and a host
  action on a standby is checked against the state another instance stored;
- a Zoom webhook posted to every instance is stored once;
- a dispatcher whose lease connection is cut exits (status 14) and the standby takes over;
- `kill -9` of the dispatching instance mid-event: a standby takes over, and every cue fires or is
  skipped exactly as the lateness policy says, each delivery reaches the signed-webhook receiver
  once and in order (a message in flight at the kill goes again under its own id).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from app.cluster.lease import LEASE_KEY, asyncpg_dsn
from app.engine.lateness import decide
from app.store.db import create_engine
from app.store.tables import inbox
from integrations.zoom.webhooks import sign
from integrations.zoom_emulator.payloads import MeetingRef, Person, participant_event
from integrations.zoom_emulator.render import zoom_time
from tests.engine.helpers import (
    Drill,
    ServiceProcess,
    assert_received_once_in_order,
    holding_receiver,
    organiser_token,
    settled,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GIVE_UP = timedelta(minutes=15)  # Settings.delivery_give_up_minutes default
JITTER = timedelta(seconds=0.5)  # the engine's wake-up grace at real speed
ZOOM_SECRET = "cluster-webhook-secret"


async def _poll(check, what: str, limit: float = 30.0):
    """Call `check()` until it returns something truthy (bounded by `limit` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"no {what} within {limit} s")
        await asyncio.sleep(0.05)


async def _role(service: ServiceProcess) -> str | None:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            answer = await client.get(f"{service.base}/readyz")
    except httpx.HTTPError:
        return None
    return answer.json().get("instance", {}).get("role") if answer.status_code == 200 else None


async def _start(*services: ServiceProcess) -> None:
    for service in services:
        await service.start()
    for service in services:
        await service.wait_healthy(90)


async def _stop(*services: ServiceProcess) -> None:
    for service in services:
        await service.stop()


def _webhook(now: datetime) -> tuple[bytes, dict[str, str]]:
    ref = MeetingRef(
        kind="meeting",
        id="81234567890",
        uuid="Xk3pQ9sYT0uYbq1yQm1zRw==",
        host_id="hostUser_1",
        host_email="host@example.org",
        topic="Cluster drill",
        type=2,
        start_time=zoom_time(now),
        timezone="UTC",
        duration=60,
        account_id="emulated-account",
    )
    person = Person("Ada Guest", "ada@example.org", "participant-uuid-ada")
    body = json.dumps(participant_event(ref, "participant_joined", person, "16778240", now)).encode()
    stamp = str(int(now.timestamp()))
    headers = {"content-type": "application/json", "x-zm-request-timestamp": stamp}
    return body, {**headers, "x-zm-signature": sign(ZOOM_SECRET, stamp, body)}


async def test_any_instance_serves_hosts_streams_and_webhooks(shared_database, tmp_path):
    token = await organiser_token(shared_database, "cluster")
    auth = {"authorization": f"Bearer {token}"}
    env = {"SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET}
    first = ServiceProcess(None, shared_database, env, tmp_path / "first.log")
    second = ServiceProcess(None, shared_database, env, tmp_path / "second.log")
    # Running already (so it can be held), and for long enough that it still runs at the end.
    drill = Drill("cluster-hosts", datetime.now(UTC) - timedelta(seconds=5), segments=[("opening", 900)])
    try:
        await _start(first, second)
        roles = sorted([await _poll(lambda: _role(first), "role"), await _poll(lambda: _role(second), "role")])
        assert roles == ["dispatcher", "standby"]  # both ready; exactly one dispatches

        async with (
            httpx.AsyncClient(base_url=first.base, headers=auth, timeout=10) as on_first,
            httpx.AsyncClient(base_url=second.base, headers=auth, timeout=10) as on_second,
        ):
            loaded = await on_first.post("/api/events", content=drill.yaml(), headers={"x-schedule-name": "d.yaml"})
            assert loaded.status_code == 201, loaded.text

            async def known_on_second():
                return (await on_second.get(f"/api/events/{drill.event_id}/state")).status_code == 200

            await _poll(known_on_second, "event on the second instance")  # followed from the notice
            async with on_second.stream("GET", f"/api/events/{drill.event_id}/stream") as stream:
                frames = stream.aiter_lines()

                async def next_state() -> dict:
                    async for line in frames:
                        if line.startswith("data: "):
                            return json.loads(line[len("data: ") :])
                    raise AssertionError("the stream ended")

                assert (await asyncio.wait_for(next_state(), 30))["reason"] == "connected"
                answer = await on_first.post(f"/api/events/{drill.event_id}/delay", json={"seconds": 90})
                assert answer.status_code == 200, answer.text

                async def delayed() -> dict:
                    # (Notices of one event coalesce, so the frame's reason may be a later change's.)
                    while (state := await next_state())["delay"] != 90.0:
                        pass
                    return state

                seen = await asyncio.wait_for(delayed(), 30)
                assert seen["undo"]["kind"] == "delay" and seen["undo"]["actor"] == "cluster"

            # The second instance checks its rules against the stored state: the first instance's
            # hold is there even if the second has not heard of it yet, so a second hold is refused.
            held = await on_first.post(f"/api/events/{drill.event_id}/hold")
            again = await on_second.post(f"/api/events/{drill.event_id}/hold")
            assert held.status_code == 200, held.text
            assert again.status_code == 409 and "already on hold" in again.json()["reason"], again.text
            log = (await on_second.get(f"/api/events/{drill.event_id}/log")).json()
            assert [entry["kind"] for entry in log] == ["delay", "hold"]

            # One Zoom webhook, posted to both instances (a retry through a load balancer): stored once.
            body, headers = _webhook(datetime.now(UTC))
            answers = await asyncio.gather(
                on_first.post("/webhooks/zoom", content=body, headers=headers),
                on_second.post("/webhooks/zoom", content=body, headers=headers),
            )
            assert sorted(a.status_code for a in answers) == [200, 200], [a.text for a in answers]
            assert sorted(a.json()["status"] for a in answers) == ["accepted", "duplicate"]
            again = await on_second.post("/webhooks/zoom", content=body, headers=headers)
            assert again.status_code == 200 and again.json()["status"] == "duplicate"
        db = create_engine(shared_database)
        try:
            async with db.begin() as conn:
                assert (await conn.execute(select(func.count()).select_from(inbox))).scalar() == 1

            async def processed():  # by the dispatcher, wherever it was stored
                async with db.begin() as conn:
                    return (await conn.execute(select(inbox.c.processed_at))).scalar_one() is not None

            await _poll(processed, "the webhook processed")
        finally:
            await db.dispose()

        # The dispatcher's lease connection is cut (a network fault, an administrator): it may no
        # longer dispatch, so it exits with one line and status 14, and the standby takes over.
        dispatcher, standby = (first, second) if await _role(first) == "dispatcher" else (second, first)
        conn = await asyncpg.connect(asyncpg_dsn(shared_database))
        try:
            cut = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
                "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                LEASE_KEY,
            )
        finally:
            await conn.close()
        assert cut == 1
        assert await asyncio.wait_for(dispatcher.proc.wait(), 30) == 14
        assert "lost the dispatcher lease" in dispatcher.tail(3) and "Traceback" not in dispatcher.tail(40)

        async def took_over():
            return await _role(standby) == "dispatcher"

        await _poll(took_over, "the standby taking over")
    finally:
        await _stop(first, second)


def _drill() -> Drill:
    start = datetime.now(UTC) + timedelta(seconds=1.5)
    reminders = [round(0.2 + 0.15 * i, 2) for i in range(45)]  # one every 150 ms for ~7 s
    return Drill("cluster-drill", start, segments=[("opening", 3.0), ("talk", 4.0)], reminders=reminders)


async def test_kill_9_of_the_dispatcher_loses_and_repeats_nothing(shared_database, tmp_path):
    receiver, stall, release, held = holding_receiver()  # holds one answer around the kill
    await receiver.start()
    token = await organiser_token(shared_database, "cluster")
    env = _drill().env(receiver.base)
    services = [ServiceProcess(None, shared_database, env, tmp_path / f"instance-{n}.log") for n in (1, 2)]
    try:
        await _start(*services)
        drill = _drill()
        async with httpx.AsyncClient(base_url=services[1].base, timeout=10) as api:
            loaded = await api.post(
                "/api/events",
                content=drill.yaml(),
                headers={"x-schedule-name": "drill.yaml", "authorization": f"Bearer {token}"},
            )
            assert loaded.status_code == 201, loaded.text
        roles = {service: await _poll(lambda s=service: _role(s), "role") for service in services}
        dispatcher = next(s for s, role in roles.items() if role == "dispatcher")
        standby = next(s for s in services if s is not dispatcher)

        async def some_sent():
            return len(receiver.ids("/webhook/ops")) >= 5

        await _poll(some_sent, "deliveries before the kill", 60)
        stall.set()
        await _poll(lambda: _true(held), "a delivery in flight")
        await dispatcher.kill9()
        killed_at = datetime.now(UTC)
        release.set()

        async def took_over():
            return await _role(standby) == "dispatcher"

        await _poll(took_over, "the standby taking over")
        assert killed_at < drill.end, "the kill must land mid-event; the drill starts after the instances answer"
        cues, deliveries = await settled(shared_database, drill.event_id, limit=60.0)
        assert all(c.status in ("fired", "skipped") for c in cues) and len(cues) >= 45 + 2, standby.tail()
    finally:
        for service in services:
            await service.stop()
        await receiver.stop()

    # No cue lost: each fired or was skipped exactly as the lateness policy decides.
    for cue in cues:
        decision = decide(cue.kind, cue.due_at, cue.fired_at, cue.data, GIVE_UP, JITTER)
        assert (cue.status == "fired") == decision.fire, (cue.cue_id, cue.due_at, cue.fired_at, cue.status)
    assert any(c.fired_at > killed_at for c in cues if c.status == "fired")  # the standby fired after the kill
    # Nothing delivered twice: one delivery per fired cue, all sent, seen once each, in creation order.
    fired = [c.cue_id for c in cues if c.status == "fired"]
    assert sorted(d.cue_id for d in deliveries) == sorted(fired)
    assert_received_once_in_order(receiver.ids("/webhook/ops"), deliveries)
    assert all(m.verified for m in receiver.inbox.messages)
    # The message in flight at the kill went again under its own id (the receiver counted it as a
    # redelivery, not a new message); whatever was redelivered was claimed again by the new dispatcher.
    attempts = {d.id: d.attempts for d in deliveries}
    redelivered = [m.message_id for m in receiver.inbox.messages if m.duplicates]
    status = {d.id: d.status for d in deliveries}
    assert (held[0] in redelivered or status[held[0]] == "expired") and receiver.inbox.duplicates == len(redelivered)
    assert all(attempts[wid] >= 2 for wid in redelivered)


async def _true(value) -> bool:
    return bool(value)
