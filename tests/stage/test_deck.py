"""The deck surface: the deck role's reach, the relative verbs (each acts once on a double press),
and the flat deck object (values, ETag/304, ?field=)."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest

from app.store import tokens_repo
from app.views.deck import clock
from tests.conftest import bangkok
from tests.fixtures import LoopbackServer, Service
from tests.stage.conftest import EVENT, mekong_named

URL = f"/api/events/{EVENT}/deck"
PRESETS = {"wrap_up": "Please wrap up", "time_up": "Time is up"}


@pytest.fixture
async def deck(tmp_path, database_url, service_for) -> Service:
    """Session 1 at 14:36 Bangkok (9 minutes left), stage messages by id, a token of every role."""
    return await service_for(
        database_url,
        bangkok(14, 36),
        settings={"sandbox_state_path": str(tmp_path / "zoom.json")},
        targets_at=None,
        schedule=(mekong_named(messages=PRESETS), "mekong-deck.yaml"),
        tokens={role: f"{role} token" for role in tokens_repo.ROLES},
    )


async def _state(deck: Service, role: str = "deck") -> dict:
    answer = await deck.client.get(URL, headers=deck.auth(role))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _press(deck: Service, path: str, role: str = "deck", **params) -> tuple[int, dict]:
    """One key press: a POST with no body and no Idempotency-Key."""
    answer = await deck.client.post(f"{URL}/{path}", headers=deck.auth(role), params=params)
    return answer.status_code, answer.json()


def _routes_with_tokens(app) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]


async def test_deck_token_gets_403_on_every_route_outside_the_deck(deck):
    routes = _routes_with_tokens(deck.app)
    ours = [r for r in routes if r[1].startswith("/api/events/{event_id}/deck")]
    others = [r for r in routes if r not in ours]
    assert len(ours) == 10 and len(others) >= 20, routes
    for method, path in others:
        url = re.sub(r"\{(\w+)\}", lambda m: EVENT if m.group(1) == "event_id" else "x1", path)
        answer = await deck.client.request(method, url, headers=deck.auth("deck"), json={})
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
        assert answer.json()["error"] == "forbidden" and "'deck'" in answer.json()["reason"]
    # Viewers read the deck but press nothing; a stage token opens neither; no token is a 401.
    assert (await deck.client.get(URL, headers=deck.auth("viewer"))).status_code == 200
    assert (await deck.client.get(URL, headers=deck.auth("stage"))).status_code == 403
    assert (await deck.client.get(URL)).status_code == 401
    for role in ("viewer", "stage"):
        status, body = await _press(deck, "hold/toggle", role, seq=0)
        assert status == 403 and f"'{role}'" in body["reason"], body
    # A deck token made for another event opens nothing here.
    await deck.token("deck", "other-deck", event_id="another-event")
    assert (await deck.client.get(URL, headers=deck.auth("other-deck"))).status_code == 403


async def test_advance_needs_from_and_acts_once(deck):
    status, body = await _press(deck, "advance")
    assert status == 422 and "current_id" in body["reason"]
    shown = (await _state(deck))["current_id"]
    assert shown == "session-1"
    assert (await _press(deck, "advance", **{"from": shown}))[0] == 200
    status, body = await _press(deck, "advance", **{"from": shown})  # the double press
    assert status == 409 and "already moved from 'session-1' to 'discussion-1'" in body["reason"]
    assert (await _state(deck))["current_id"] == "discussion-1"
    log = (await deck.client.get(f"/api/events/{EVENT}/log", headers=deck.auth("viewer"))).json()
    assert [(e["kind"], e["actor"]) for e in log] == [("advance", "deck token")]


async def test_every_seq_guarded_verb_acts_once_on_a_double_press(deck):
    async def twice(path: str, expect: int = 200, **params) -> dict:
        seq = int((await _state(deck))["seq"])
        status, body = await _press(deck, path, seq=seq, **params)
        assert status == expect, body
        again, refused = await _press(deck, path, seq=seq, **params)
        assert again == 409 and f"seq {seq}, now {seq + 1}" in refused["reason"], refused
        return await _state(deck)

    status, body = await _press(deck, "hold/toggle")
    assert status == 422 and "seq" in body["reason"]
    assert (await twice("hold/toggle"))["held"] == "true"
    assert (await twice("hold/toggle"))["held"] == "false"
    started = await twice("timers/slot/1", 201)
    assert (started["timer_label"], started["timer_remaining"], started["timer_status"]) == (
        "Respondent 1 (Respondent Person 1 (Lao PDR))",
        "03:00",
        "running",
    )
    deck.clock.advance(seconds=10)
    assert (await twice("timers/current/pause"))["timer_status"] == "paused"
    assert (await twice("timers/current/resume"))["timer_status"] == "running"
    assert (await twice("timers/current/add", seconds=60))["timer_remaining"] == "03:50"
    stopped = await twice("timers/current/stop")
    assert stopped["timer_id"] == "" and stopped["timer_remaining"] == ""
    assert (await twice("stage/messages/wrap_up", 201))["message"] == "Please wrap up"
    assert (await twice("stage/clear"))["message"] == ""
    assert (await twice("delay/5"))["delay"] == "+05:00"
    undone = await twice("undo")
    assert undone["delay"] == "+00:00"
    # One entry per press that acted, each by the deck's token.
    log = (await deck.client.get(f"/api/events/{EVENT}/log", headers=deck.auth("viewer"))).json()
    assert len(log) == 11 and {e["actor"] for e in log} == {"deck token"}


async def test_a_stage_message_by_id_may_black_out_the_presenter_view(deck):
    """The deck's Blackout key: a schedule message alone on a black screen, cleared like any other."""
    status, _ = await _press(deck, "stage/messages/time_up", seq=0, blackout="true")
    assert status == 201
    shown = (await deck.client.get(f"/api/events/{EVENT}/stage", headers=deck.auth("stage"))).json()["message"]
    assert (shown["text"], shown["blackout"]) == ("Time is up", True)
    assert (await _state(deck))["message"] == "Time is up"
    assert (await _press(deck, "stage/clear", seq=1))[0] == 200
    status, _ = await _press(deck, "stage/messages/wrap_up", seq=2)  # without: no blackout
    shown = (await deck.client.get(f"/api/events/{EVENT}/stage", headers=deck.auth("stage"))).json()["message"]
    assert (shown["text"], shown["blackout"]) == ("Please wrap up", False)


async def test_relative_verbs_refuse_clearly(deck):
    seq = 0
    status, body = await _press(deck, "timers/current/pause", seq=seq)
    assert status == 409 and "no timer is running" in body["reason"]
    status, body = await _press(deck, "stage/messages/nope", seq=seq)
    assert status == 404 and "wrap_up, time_up" in body["reason"]
    status, body = await _press(deck, "timers/slot/3", seq=seq)
    assert status == 404 and "2 respondent slots" in body["reason"]
    status, body = await _press(deck, "timers/current/explode", seq=seq)
    assert status == 422
    # A host presses deck keys too (same rules, same log).
    status, body = await _press(deck, "delay/-2", "host", seq=seq)
    assert status == 200 and body["kind"] == "delay"
    assert (await _state(deck))["delay"] == "-02:00"


async def test_deck_object_values_etag_and_single_field(deck):
    state = await _state(deck)
    shown = ("status", "held", "current_id", "remaining", "phase", "next_title", "next_start")
    assert {k: state[k] for k in shown} == {
        "status": "live",
        "held": "false",
        "current_id": "session-1",
        "remaining": "09:00",
        "phase": "normal",
        "next_title": "Open discussion (Session 1)",
        "next_start": "14:45",
    }
    assert state["current_title"] == "Session 1: Preparing for safe migration"
    assert (state["now"], state["delay"], state["seq"], state["timer_label"]) == ("14:36:00", "+00:00", "0", "")
    assert state["server_time_ms"] == int(bangkok(14, 36).timestamp() * 1000)
    assert state["segment_ends_ms"] == state["next_starts_ms"] == int(bangkok(14, 45).timestamp() * 1000)
    assert all(isinstance(v, str) for k, v in state.items() if not k.endswith("_ms")), state

    # Unchanged: 304 on If-None-Match; a second later the remaining time moved: a new ETag.
    first = await deck.client.get(URL, headers=deck.auth("deck"))
    tag = first.headers["ETag"]
    same = await deck.client.get(URL, headers={**deck.auth("deck"), "If-None-Match": tag})
    assert same.status_code == 304 and same.headers["ETag"] == tag and not same.content
    deck.clock.advance(seconds=1)
    moved = await deck.client.get(URL, headers={**deck.auth("deck"), "If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["ETag"] != tag and moved.json()["remaining"] == "08:59"

    # The phase follows the schedule's thresholds: ending_soon (5 min) warns, timers.danger (30 s).
    deck.clock.set(bangkok(14, 40, 30))
    assert ((await _state(deck))["remaining"], (await _state(deck))["phase"]) == ("04:30", "warning")
    deck.clock.set(bangkok(14, 44, 45))
    assert (await _state(deck))["phase"] == "danger"
    assert (await _press(deck, "hold/toggle", seq=0))[0] == 200
    deck.clock.set(bangkok(14, 46, 5))
    held = await _state(deck)
    # A held segment runs on past its end: the timeline counts it as at its end (00:00, over).
    assert (held["held"], held["remaining"], held["phase"]) == ("true", "00:00", "over")

    # One field as text for a Companion variable, with its own ETag.
    one = await deck.client.get(URL, headers=deck.auth("deck"), params={"field": "remaining"})
    assert one.status_code == 200 and one.headers["content-type"].startswith("text/plain")
    assert one.text == "00:00"
    again = await deck.client.get(
        URL, headers={**deck.auth("deck"), "If-None-Match": one.headers["ETag"]}, params={"field": "remaining"}
    )
    assert again.status_code == 304
    unknown = await deck.client.get(URL, headers=deck.auth("deck"), params={"field": "nope"})
    assert unknown.status_code == 422 and "current_id" in unknown.json()["reason"]


def test_clock_text():
    assert [clock(s) for s in (299.2, 300, 0, -0.5, -65, 3899, None)] == [
        "05:00",
        "05:00",
        "00:00",
        "-00:01",
        "-01:05",
        "1:04:59",
        "",
    ]
    assert (clock(180, signed=True), clock(-120, signed=True), clock(0, signed=True)) == ("+03:00", "-02:00", "+00:00")


async def _frame(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=20))


async def test_deck_websocket_pushes_the_object_on_every_change(deck):
    """Over a real server: the object on connect and after a change; a bearer header or a single-use
    ticket; refusals say why in a frame and a 44xx close code."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from app.api.sse import StreamClosing
    from app.main import create_app

    closing = StreamClosing()  # what `serve` switches on SIGTERM
    server = LoopbackServer(create_app(deck.settings, services=deck.runtime, stream_closing=closing), lifespan="on")
    await server.start()
    ws_url = f"ws://127.0.0.1:{server.port}{URL}/ws"
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=20) as http:
            async with connect(ws_url, additional_headers=deck.auth("deck"), open_timeout=20) as ws:
                first = await _frame(ws)
                assert (first["current_id"], first["held"], first["seq"]) == ("session-1", "false", "0")
                pressed = await http.post(f"{URL}/hold/toggle", headers=deck.auth("deck"), params={"seq": 0})
                assert pressed.status_code == 200
                pushed = await _frame(ws)
                assert (pushed["held"], pushed["seq"]) == ("true", "1")

            ticket = (await http.post(f"{URL}/ticket", headers=deck.auth("deck"))).json()["ticket"]
            async with connect(f"{ws_url}?ticket={ticket}", open_timeout=20) as ws:
                assert (await _frame(ws))["held"] == "true"
            async with connect(f"{ws_url}?ticket={ticket}", open_timeout=20) as ws:  # used up
                refused = await _frame(ws)
                assert refused["error"] == "unauthorized" and "ticket" in refused["reason"]
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), timeout=20)
                assert ws.close_code == 4401
            async with connect(ws_url, additional_headers=deck.auth("stage"), open_timeout=20) as ws:
                assert (await _frame(ws))["error"] == "forbidden"
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), timeout=20)
                assert ws.close_code == 4403
            # A revoked deck token's socket, or one whose token became a stage token, closes (4403)
            # as soon as the stream guard checks it.
            for change in ("revoke", "role"):
                token = await deck.token("deck", f"deck-{change}")
                async with connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
                    await _frame(ws)
                    async with deck.runtime.db.begin() as conn:
                        row = await tokens_repo.find_token(conn, token)
                        if change == "role":
                            assert await tokens_repo.change_role(conn, row.id, "stage")
                        else:
                            await tokens_repo.revoke_token(conn, row.id, deck.clock.now())
                    deck.runtime.streams.kick()  # what the change notice does
                    with pytest.raises(ConnectionClosed):
                        await asyncio.wait_for(ws.recv(), timeout=20)
                    assert ws.close_code == 4403, change
            # A stopping service closes the socket with 1012 (service restart): clients reconnect.
            async with connect(ws_url, additional_headers=deck.auth("deck")) as ws:
                await _frame(ws)
                closing.close_all()
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), timeout=20)
                assert ws.close_code == 1012
        assert deck.runtime.streams.streams() == []
        assert deck.runtime.broadcaster.total("deck") == 0
    finally:
        await server.stop()


async def test_the_deck_shows_a_segment_inserted_live(deck):
    # The timeline's rows index the rundown (live edits applied), not the file's list of segments.
    insert = {"title": "Extra", "kind": "session", "minutes": 10, "after": "closing"}
    answer = await deck.client.post(f"/api/events/{EVENT}/rundown/insert", json=insert, headers=deck.auth("host"))
    assert answer.status_code == 201, answer.text
    state = await _state(deck)
    assert state["next_title"] or state["current_title"]
