"""Live simulation: signed webhook delivery, CRC handshake, Zoom-like retries, crowds, past rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from integrations.zoom.webhooks import parse_event, url_validation_response, verify
from integrations.zoom_emulator import WebhookValidationFailed, create_emulator, simulate_crowd
from tests.zoom.conftest import API, CREDS, OAUTH

SECRET = "emulator-secret-token"
START = datetime(2030, 1, 1, 10, tzinfo=UTC)


class Receiver:
    """A webhook endpoint that verifies like production code would, with scriptable failures."""

    def __init__(self, clock, *, secret: str = SECRET) -> None:
        self.clock = clock
        self.secret = secret
        self.received: list[tuple[dict, dict]] = []
        self.script: list[int] = []
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> Response:
        raw = await request.body()
        verify(self.secret, dict(request.headers), raw, now=self.clock())
        payload = json.loads(raw)
        self.received.append((dict(request.headers), payload))
        if payload["event"] == "endpoint.url_validation":
            answer = url_validation_response(self.secret, payload["payload"]["plainToken"])
            return Response(json.dumps(answer), media_type="application/json")
        status = self.script.pop(0) if self.script else 200
        return Response(status_code=status)

    @property
    def events(self) -> list[dict]:
        return [p for _, p in self.received if p["event"] != "endpoint.url_validation"]


@pytest.fixture
def receiver(clock) -> Receiver:
    return Receiver(clock)


@pytest.fixture
async def live_env(clock, fake_sleep, receiver):
    hook_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    emu = create_emulator(
        webhook_url="http://receiver.test/hook",
        http=hook_http,
        clock=clock,
        sleep=fake_sleep,
        retry_scale=0.001,
        seed=3,
        **CREDS,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as api:
        from integrations.zoom import ZoomClient

        zc = ZoomClient(api, api_base=API, oauth_base=OAUTH, sleep=fake_sleep, clock=clock, **CREDS)
        m = await zc.create_meeting("host@example.org", {"topic": "Live", "type": 2, "duration": 60})
        yield emu, zc, m
    await hook_http.aclose()


async def test_handshake_first_then_signed_events(live_env, receiver, clock) -> None:
    emu, _, m = live_env
    await emu.live.start(m.id)
    headers, first = receiver.received[0]
    assert first["event"] == "endpoint.url_validation" and emu.sender.validated
    h, started = receiver.received[1]
    assert started["event"] == "meeting.started" and started["payload"]["object"]["id"] == str(m.id)
    assert h["content-type"] == "application/json; charset=utf-8"
    assert h["user-agent"] == "Zoom Marketplace/1.0a"
    assert h["x-zm-request-timestamp"] == str(int(clock().timestamp()))
    assert started["event_ts"] == int(clock().timestamp() * 1000)
    await emu.live.end(m.id)
    assert sum(p["event"] == "endpoint.url_validation" for _, p in receiver.received) == 1


async def test_wrong_challenge_answer_blocks_delivery(clock, fake_sleep) -> None:
    bad = Receiver(clock, secret="not-the-secret")
    bad.app.router.routes.clear()

    @bad.app.post("/hook")
    async def hook(request: Request) -> dict:
        payload = json.loads(await request.body())
        return url_validation_response("not-the-secret", payload["payload"]["plainToken"])

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bad.app)) as hook_http:
        emu = create_emulator(webhook_url="http://r/hook", http=hook_http, clock=clock, sleep=fake_sleep, seed=1)
        meeting = emu.state.meetings  # no REST needed: start a meeting created via the API below
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as api:
            from integrations.zoom import ZoomClient

            zc = ZoomClient(
                api,
                api_base=API,
                oauth_base=OAUTH,
                account_id="emulated-account",
                client_id="emulated-client",
                client_secret="emulated-secret",
            )
            m = await zc.create_meeting("host@example.org", {"topic": "x"})
        with pytest.raises(WebhookValidationFailed):
            await emu.live.start(m.id)
        assert m.id in meeting and not emu.sender.validated


async def test_5xx_retried_on_zoom_schedule_4xx_never(live_env, receiver, fake_sleep) -> None:
    emu, _, m = live_env
    receiver.script = [500, 503]
    [record] = await emu.live.start(m.id)
    assert record.attempts == [500, 503, 200] and record.delivered
    assert fake_sleep.calls == pytest.approx([0.3, 1.2])
    receiver.script = [404]
    ana = emu.live.person("Ana", "ana@example.org")
    [record] = await emu.live.join(m.id, ana)
    assert record.attempts == [404] and not record.delivered
    assert len(fake_sleep.calls) == 2


async def test_network_failures_retried_three_times_then_dropped(clock, fake_sleep) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    emu = create_emulator(
        webhook_url="http://r/hook",
        http=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
        clock=clock,
        sleep=fake_sleep,
        retry_scale=1.0,
        seed=2,
    )
    emu.sender.validated = True  # skip the handshake to look at event retries only
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as api:
        from integrations.zoom import ZoomClient

        zc = ZoomClient(
            api,
            api_base=API,
            oauth_base=OAUTH,
            account_id="emulated-account",
            client_id="emulated-client",
            client_secret="emulated-secret",
        )
        m = await zc.create_meeting("host@example.org", {"topic": "x"})
    [record] = await emu.live.start(m.id)
    assert record.attempts == ["ConnectError"] * 4 and not record.delivered
    assert fake_sleep.calls == [300.0, 1200.0, 3600.0]


async def test_manual_session_produces_past_rows(live_env, receiver, clock) -> None:
    emu, zc, m = live_env
    ana = emu.live.person("Ana", "ana@example.org", registrant_id="reg-1")
    bo = emu.live.person("Bo", "bo@example.org")
    await emu.live.start(m.id)
    await emu.live.join(m.id, ana)
    clock.advance(minutes=5)
    await emu.live.join(m.id, bo)
    await emu.live.join_breakout(m.id, bo, "Room A")
    clock.advance(minutes=5)
    await emu.live.leave(m.id, ana)
    clock.advance(minutes=1)
    await emu.live.join(m.id, ana)
    clock.advance(minutes=4)
    await emu.live.end(m.id)
    rows = await zc.list_past_participants(m.id)
    by_name = sorted((r.name, r.duration) for r in rows)
    assert by_name == [("Ana", 240), ("Ana", 600), ("Bo", 600)]
    ana_rows = [r for r in rows if r.name == "Ana"]
    assert len({r.user_id for r in ana_rows}) == 2 and all(r.registrant_id == "reg-1" for r in ana_rows)
    report = await zc.list_past_participants(m.id, report=True)
    assert [r.duration for r in report if r.bo_mtg_id] == [600]  # Bo stayed in Room A until the end
    events = [p["event"] for p in receiver.events]
    assert events[-1] == "meeting.ended"
    assert events.count("meeting.participant_left_breakout_room") == 1
    ended_leaves = [
        p
        for p in receiver.events
        if p["event"] == "meeting.participant_left"
        and p["payload"]["object"]["participant"]["leave_reason"] == "Host ended the meeting."
    ]
    assert len(ended_leaves) == 2
    # A new instance gets a new UUID; the first one is still addressable by its UUID.
    first_uuid = emu.state.instance_order[m.id][0]
    await emu.live.start(m.id)
    assert emu.state.meetings[m.id].live_instance != first_uuid
    assert len(await zc.list_past_participants(first_uuid)) == 3


async def test_waiting_room_and_admission_flow(live_env, receiver) -> None:
    emu, _, m = live_env
    cy = emu.live.person("Cy", "cy@example.org")
    await emu.live.start(m.id)
    await emu.live.join_waiting_room(m.id, cy)
    await emu.live.admit(m.id, cy)
    events = [p["event"] for p in receiver.events]
    assert events == [
        "meeting.started",
        "meeting.participant_joined_waiting_room",
        "meeting.participant_admitted",
        "meeting.participant_joined",
    ]
    part = receiver.events[1]["payload"]["object"]["participant"]
    assert "date_time" in part and "join_time" not in part


def reduce_attendance(stream: list[dict]) -> tuple[dict[str, list], dict[str, list]]:
    """A reference consumer: dedupe, order by payload times, pair join/leave by user_id."""
    seen, events = set(), []
    for payload in stream:
        ev = parse_event(payload)
        if ev.dedupe_key not in seen and ev.user_id:
            seen.add(ev.dedupe_key)
            events.append(ev)
    events.sort(key=lambda e: (e.occurred_at, "left" not in e.event))
    opened, sessions, rooms = {}, {}, {}
    for ev in events:
        key = (ev.email or "").lower()
        slot = (ev.event.endswith("breakout_room"), ev.user_id)
        if ev.event.endswith(("joined", "joined_breakout_room")):
            opened[slot] = ev.join_time
        elif ev.event.endswith(("left", "left_breakout_room")):
            begin = opened.pop(slot)
            if slot[0]:
                rooms.setdefault(key, []).append((ev.breakout_room_uuid, begin, ev.leave_time))
            else:
                sessions.setdefault(key, []).append((begin, ev.leave_time))
    return sessions, rooms


def test_crowd_stream_matches_ground_truth() -> None:
    crowd = simulate_crowd(
        40,
        START,
        START + timedelta(hours=2),
        seed=42,
        duplicate_rate=0.2,
        reorder_rate=0.3,
        rejoin_rate=0.4,
        breakout_rate=0.5,
    )
    assert crowd.duplicates > 0 and crowd.reordered > 0
    assert len(crowd.events) == len(crowd.canonical) + crowd.duplicates
    assert crowd.events != crowd.canonical
    assert crowd.events[0]["event"] == "meeting.started" and crowd.canonical[-1]["event"] == "meeting.ended"
    sessions, rooms = reduce_attendance(crowd.events)
    for key, truth in crowd.truth.items():
        assert sorted(sessions[key]) == sorted(truth.intervals)
        want_rooms = sorted((crowd.room_uuids[r], a, b) for r, spans in truth.rooms.items() for a, b in spans)
        assert sorted(rooms.get(key, [])) == want_rooms
    assert any(len(t.sessions) > 1 for t in crowd.truth.values())
    assert sum(len(v) for v in crowd.room_truth().values()) == sum(len(v) for v in rooms.values()) > 0


def test_crowd_is_deterministic_per_seed_and_validates_rates() -> None:
    a = simulate_crowd(10, START, START + timedelta(hours=1), seed=5, duplicate_rate=0.3, reorder_rate=0.3)
    b = simulate_crowd(10, START, START + timedelta(hours=1), seed=5, duplicate_rate=0.3, reorder_rate=0.3)
    c = simulate_crowd(10, START, START + timedelta(hours=1), seed=6, duplicate_rate=0.3, reorder_rate=0.3)
    assert a.events == b.events and a.events != c.events
    with pytest.raises(ValueError):
        simulate_crowd(1, START, START + timedelta(hours=1), seed=1, duplicate_rate=1.5)
    with pytest.raises(ValueError):
        simulate_crowd(1, START.replace(tzinfo=None), START + timedelta(hours=1), seed=1)


async def test_crowd_played_through_emulator_gives_truth_rows(live_env, receiver) -> None:
    emu, zc, m = live_env
    ref = emu.live.meeting_ref(m.id)
    crowd = simulate_crowd(
        25,
        START,
        START + timedelta(hours=1),
        seed=9,
        duplicate_rate=0.1,
        reorder_rate=0.2,
        rejoin_rate=0.5,
        breakout_rate=0.3,
        meeting=ref,
    )
    records = await emu.live.play(crowd)
    assert all(r.delivered for r in records) and len(receiver.events) == len(crowd.events)
    rows = await zc.list_past_participants(ref.uuid)
    expected = sorted((k, a, b) for k, t in crowd.truth.items() for a, b in t.intervals)
    got = sorted((r.user_email, r.join_time, r.leave_time) for r in rows)
    assert got == expected
    assert len({r.user_id for r in rows}) == len(rows)
    report = await zc.list_past_participants(m.id, report=True)
    assert len([r for r in report if r.bo_mtg_id]) == sum(len(v) for v in crowd.room_truth().values())


async def test_admin_routes_drive_a_meeting(live_env, receiver) -> None:
    emu, zc, m = live_env
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as admin:
        assert (await admin.post(f"/_emulator/meetings/{m.id}/start")).status_code == 200
        ana = {"name": "Ana", "email": "ana@example.org"}
        r = await admin.post(f"/_emulator/meetings/{m.id}/participants/join", json=ana)
        assert r.json()["deliveries"][0]["event"] == "meeting.participant_joined"
        await admin.post(f"/_emulator/meetings/{m.id}/breakout", json={**ana, "room": "R1"})
        await admin.post(f"/_emulator/meetings/{m.id}/participants/leave_breakout", json=ana)
        await admin.post(f"/_emulator/meetings/{m.id}/participants/leave", json=ana)
        bad = await admin.post(f"/_emulator/meetings/{m.id}/participants/leave", json=ana)
        assert bad.status_code == 400
        await admin.post(f"/_emulator/meetings/{m.id}/end")
        crowd = await admin.post(
            f"/_emulator/meetings/{m.id}/crowd",
            json={"n_participants": 5, "start": "2030-01-02T10:00:00Z", "end": "2030-01-02T11:00:00Z", "seed": 1},
        )
        assert crowd.status_code == 200 and len(crowd.json()["truth_seconds"]) == 5
        state = (await admin.get("/_emulator/state")).json()
        assert str(m.id) in state["meetings"] and state["events"] == len(receiver.events)
    assert len(await zc.list_past_participants(crowd.json()["uuid"])) >= 5
