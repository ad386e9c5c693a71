"""The emulator's REST behaviour: OAuth, auth errors, validation, limits, ids and pagination."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from integrations.zoom import RetryPolicy, ZoomClient, ZoomRateLimited
from integrations.zoom_emulator import Fault, create_emulator
from tests.zoom.conftest import API, CREDS, OAUTH

BASIC = "Basic " + base64.b64encode(b"cid-1:secret-1").decode()


async def token(http: httpx.AsyncClient) -> str:
    resp = await http.post(
        "/oauth/token",
        data={"grant_type": "account_credentials", "account_id": "acct-1"},
        headers={"Authorization": BASIC},
    )
    assert resp.status_code == 200
    return resp.json()["access_token"]


@pytest.fixture
async def authed(emu_http: httpx.AsyncClient) -> httpx.AsyncClient:
    emu_http.headers["Authorization"] = f"Bearer {await token(emu_http)}"
    return emu_http


async def create(http: httpx.AsyncClient, body: dict, user: str = "host@example.org") -> httpx.Response:
    return await http.post(f"/v2/users/{user}/meetings", json=body)


async def test_oauth_form_body_and_legacy_query_string(emu_http, emulator) -> None:
    body = (
        await emu_http.post(
            "/oauth/token",
            data={"grant_type": "account_credentials", "account_id": "acct-1"},
            headers={"Authorization": BASIC},
        )
    ).json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["scope"]
    legacy = await emu_http.post(
        "/oauth/token?grant_type=account_credentials&account_id=acct-1", headers={"Authorization": BASIC}
    )
    assert legacy.status_code == 200 and emulator.state.token_requests == 2


@pytest.mark.parametrize(
    ("auth", "data", "error"),
    [
        (
            "Basic " + base64.b64encode(b"cid-1:wrong").decode(),
            {"grant_type": "account_credentials", "account_id": "acct-1"},
            "invalid_client",
        ),
        (BASIC, {"grant_type": "client_credentials", "account_id": "acct-1"}, "unsupported_grant_type"),
        (BASIC, {"grant_type": "account_credentials", "account_id": "other"}, "invalid_request"),
        (None, {"grant_type": "account_credentials", "account_id": "acct-1"}, "invalid_request"),
    ],
)
async def test_oauth_errors_use_oauth_bodies(emu_http, auth, data, error) -> None:
    headers = {"Authorization": auth} if auth else {}
    resp = await emu_http.post("/oauth/token", data=data, headers=headers)
    assert resp.status_code == 400
    assert resp.json()["error"] == error and resp.json()["reason"]


async def test_bad_and_expired_tokens_get_401_124(emu_http, emulator, clock) -> None:
    resp = await emu_http.get("/v2/users/host@example.org", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401 and resp.json() == {"code": 124, "message": "Invalid access token."}
    good = await token(emu_http)
    clock.advance(seconds=3600)
    resp = await emu_http.get("/v2/users/host@example.org", headers={"Authorization": f"Bearer {good}"})
    assert resp.json() == {"code": 124, "message": "Access token has expired."}


async def test_client_survives_token_expiry_mid_run(client, emulator) -> None:
    await client.get_user("host@example.org")
    assert emulator.expire_tokens() == 1
    await client.get_user("host@example.org")
    assert emulator.state.token_requests == 2
    assert [c.status for c in emulator.state.calls] == [200, 401, 200]


async def test_create_shapes(authed, emulator, clock) -> None:
    resp = await create(authed, {"topic": "T", "type": 2, "start_time": "2020-01-01T00:00:00Z", "duration": 30})
    assert resp.status_code == 201
    m = resp.json()
    assert isinstance(m["id"], int) and len(str(m["id"])) == 11
    assert len(base64.b64decode(m["uuid"])) == 16 and len(m["uuid"]) == 24
    assert re.fullmatch(rf"https://zoom\.us/j/{m['id']}\?pwd=\w+", m["join_url"])
    assert re.fullmatch(rf"https://zoom\.us/s/{m['id']}\?zak=\w+", m["start_url"])
    assert m["start_time"] == "2030-01-01T09:00:00Z"  # a past start_time becomes "now"
    assert "registration_url" not in m and m["status"] == "waiting"
    reg = (await create(authed, {"topic": "R", "settings": {"approval_type": 0}})).json()
    assert reg["registration_url"].startswith("https://zoom.us/meeting/register/")


async def test_local_start_time_is_read_in_timezone(authed) -> None:
    m = (await create(authed, {"start_time": "2030-06-01T12:00:00", "timezone": "Europe/Paris"})).json()
    assert m["start_time"] == "2030-06-01T10:00:00Z" and m["timezone"] == "Europe/Paris"


async def test_waiting_room_forces_join_before_host_off(authed) -> None:
    m = (await create(authed, {"settings": {"waiting_room": True, "join_before_host": True}})).json()
    assert m["settings"]["join_before_host"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "x" * 201}, "topic"),
        ({"agenda": "x" * 2001}, "agenda"),
        ({"duration": 0}, "duration"),
        ({"duration": 1441}, "duration"),
        ({"password": "x" * 11}, "password"),
        ({"type": 5}, "type"),
        ({"start_time": "next tuesday"}, "start_time"),
        ({"settings": {"auto_recording": "tape"}}, "settings.auto_recording"),
        ({"settings": {"approval_type": 3}}, "settings.approval_type"),
        ({"settings": {"jbh_time": 7}}, "settings.jbh_time"),
        (
            {"settings": {"breakout_room": {"enable": True, "rooms": [{"name": str(i)} for i in range(101)]}}},
            "settings.breakout_room.rooms",
        ),
        (
            {
                "settings": {
                    "breakout_room": {
                        "enable": True,
                        "rooms": [{"name": "big", "participants": [f"p{i}@x.org" for i in range(1001)]}],
                    }
                }
            },
            "settings.breakout_room.rooms",
        ),
    ],
)
async def test_validation_failures(authed, body, field) -> None:
    resp = await create(authed, body)
    assert resp.status_code == 400
    assert resp.json() == {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [{"field": field, "message": "Invalid field."}],
    }


async def test_non_json_body(authed) -> None:
    resp = await authed.post("/v2/users/host@example.org/meetings", content=b"topic=x")
    assert resp.status_code == 400 and resp.json()["message"] == "Request Body should be a valid JSON object."


async def test_panelists_over_30_rejected(authed) -> None:
    w = (await authed.post("/v2/users/host@example.org/webinars", json={"topic": "W"})).json()
    many = [{"name": f"P{i}", "email": f"p{i}@x.org"} for i in range(31)]
    resp = await authed.post(f"/v2/webinars/{w['id']}/panelists", json={"panelists": many})
    assert resp.status_code == 400 and resp.json()["code"] == 300
    ok = await authed.post(f"/v2/webinars/{w['id']}/panelists", json={"panelists": many[:30]})
    assert ok.status_code == 201 and ok.json()["id"] == str(w["id"])


async def test_not_found_codes(authed) -> None:
    user = await authed.get("/v2/users/ghost@example.org")
    assert user.status_code == 404 and user.json() == {
        "code": 1001,
        "message": "User does not exist: ghost@example.org.",
    }
    for path in ("/v2/meetings/12345678901", "/v2/webinars/12345678901", "/v2/meetings/abc"):
        resp = await authed.get(path)
        assert resp.status_code == 404 and resp.json()["code"] == 3001
    assert (await authed.delete("/v2/meetings/12345678901")).status_code == 404


async def test_patch_delete_status_return_204(authed) -> None:
    m = (await create(authed, {"topic": "T"})).json()
    assert (await authed.patch(f"/v2/meetings/{m['id']}", json={"topic": "U"})).status_code == 204
    assert (await authed.put(f"/v2/meetings/{m['id']}/status", json={"action": "end"})).status_code == 204
    assert (await authed.get(f"/v2/meetings/{m['id']}")).json()["topic"] == "U"
    assert (await authed.delete(f"/v2/meetings/{m['id']}")).status_code == 204
    assert (await authed.get(f"/v2/meetings/{m['id']}")).status_code == 404


async def test_per_second_limit(clock, fake_sleep) -> None:
    emu = create_emulator(clock=clock, per_second_limit=2, **CREDS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as http:
        http.headers["Authorization"] = f"Bearer {await token(http)}"
        statuses = [(await http.get("/v2/users/host@example.org")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await http.get("/v2/users/host@example.org")
        assert limited.json()["code"] == 4001 and limited.headers["Retry-After"] == "1"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        clock.advance(seconds=1)
        assert (await http.get("/v2/users/host@example.org")).status_code == 200


async def test_daily_cap_per_host_per_utc_day(clock, fake_sleep) -> None:
    emu = create_emulator(clock=clock, daily_cap=3, users=["b@example.org"], **CREDS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as http:
        zc = ZoomClient(
            http, api_base=API, oauth_base=OAUTH, sleep=fake_sleep, clock=clock, policy=RetryPolicy(jitter=0.0), **CREDS
        )
        m = await zc.create_meeting("host@example.org", {"topic": "1"})
        await zc.update_meeting(m.id, {"topic": "2"})
        await zc.create_meeting("host@example.org", {"topic": "3"})
        with pytest.raises(ZoomRateLimited) as info:
            await zc.update_meeting(m.id, {"topic": "4"})
        assert info.value.daily and info.value.retry_after == 15 * 3600 and fake_sleep.calls == []
        resp = emu.state.calls[-1]
        assert resp.status == 429
        await zc.create_meeting("b@example.org", {"topic": "other host has its own budget"})
        clock.advance(hours=15)  # 00:00 UTC next day
        await zc.update_meeting(m.id, {"topic": "5"})


async def test_daily_cap_headers(clock) -> None:
    emu = create_emulator(clock=clock, daily_cap=0, **CREDS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url=OAUTH) as http:
        http.headers["Authorization"] = f"Bearer {await token(http)}"
        resp = await create(http, {"topic": "x"})
        assert resp.status_code == 429
        assert resp.headers["X-RateLimit-Type"] == "Daily-limit"
        assert resp.headers["Retry-After"] == "2030-01-02T00:00:00Z"
        assert "daily rate limit (0)" in resp.json()["message"]


async def test_registrant_pagination(client, emulator) -> None:
    m = await client.create_meeting("host@example.org", {"topic": "R", "settings": {"approval_type": 0}})
    for i in range(65):
        await client.add_registrant(m.id, email=f"r{i}@example.org", first_name=f"R{i}")
    calls_before = len(emulator.state.calls)
    regs = await client.list_registrants(m.id)
    assert sorted(r.email for r in regs) == sorted(f"r{i}@example.org" for i in range(65))
    assert len(emulator.state.calls) - calls_before == 1  # page_size=300 fits in one page
    pages = [r async for r in client.paginate(f"/meetings/{m.id}/registrants", "registrants", {"page_size": 30})]
    assert len(pages) == 65 and len(emulator.state.calls) - calls_before == 4


async def test_registration_required_and_manual_approval(client) -> None:
    plain = await client.create_meeting("host@example.org", {"topic": "no reg"})
    with pytest.raises(Exception) as info:
        await client.add_registrant(plain.id, email="a@b.org", first_name="A")
    assert getattr(info.value, "code", None) == 3000
    manual = await client.create_meeting("host@example.org", {"topic": "m", "settings": {"approval_type": 1}})
    reg = await client.add_registrant(manual.id, email="a@b.org", first_name="A")
    assert reg.join_url is None
    assert await client.list_registrants(manual.id) == []
    assert len(await client.list_registrants(manual.id, status="pending")) == 1


async def test_fault_injection_feeds_malformed_json(client, emulator) -> None:
    from integrations.zoom import ZoomProtocolError

    emulator.add_fault(Fault(200, method="GET", path=r"^/v2/users/", body=b"{oops", times=1))
    with pytest.raises(ZoomProtocolError):
        await client.get_user("host@example.org")
    assert (await client.get_user("host@example.org")).email == "host@example.org"
