"""Failure handling of the Zoom client against scripted responses (respx), without real waits."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
import pytest
import respx

from integrations.zoom import (
    MeetingSpec,
    RetryPolicy,
    ZoomAuthError,
    ZoomClient,
    ZoomNotFound,
    ZoomProtocolError,
    ZoomRateLimited,
    ZoomServerError,
    ZoomTransportError,
    ZoomValidationError,
    converge,
)
from tests.zoom.conftest import FakeClock, FakeSleep

API = "https://api.zoom.us/v2"
TOKEN_URL = "https://zoom.us/oauth/token"
SECRET = "s3cr3t-value"
MEETING = {
    "id": 81234567890,
    "uuid": "Xk3pQ9sYT0uYbq1yQm1zRw==",
    "host_id": "hostUser_1",
    "host_email": "host@example.org",
    "topic": "Demo",
    "type": 2,
    "start_time": "2030-01-01T10:00:00Z",
    "duration": 60,
    "timezone": "UTC",
    "agenda": "",
    "join_url": "https://zoom.us/j/81234567890?pwd=x",
    "start_url": "https://zoom.us/s/81234567890?zak=y",
    "settings": {"approval_type": 2, "alternative_hosts": ""},
}


class TokenIssuer:
    """Scripted token endpoint handing out tok-1, tok-2, …"""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        await asyncio.sleep(0)  # let concurrent callers pile up on the lock
        return httpx.Response(
            200, json={"access_token": f"tok-{self.count}", "token_type": "bearer", "expires_in": 3600}
        )


@pytest.fixture
def mock():
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def issuer(mock: respx.MockRouter) -> TokenIssuer:
    issuer = TokenIssuer()
    mock.post(TOKEN_URL).mock(side_effect=issuer)
    return issuer


@pytest.fixture
async def zc(fake_sleep: FakeSleep, clock: FakeClock):
    async with httpx.AsyncClient() as http:
        yield ZoomClient(
            http,
            account_id="acct",
            client_id="cid",
            client_secret=SECRET,
            policy=RetryPolicy(max_attempts=4, base=0.5, cap=8.0, jitter=0.0),
            sleep=fake_sleep,
            clock=clock,
        )


def err(status: int, code: int, message: str = "x", **kw) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message}, **kw)


async def test_token_request_is_form_body_with_basic_auth(mock, issuer, zc) -> None:
    mock.get(f"{API}/users/host@example.org").respond(200, json={"id": "u1"})
    await zc.get_user("host@example.org")
    req = mock.calls[0].request
    assert req.url == TOKEN_URL
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.content == b"grant_type=account_credentials&account_id=acct"
    assert req.headers["authorization"].startswith("Basic ")
    assert mock.calls[1].request.headers["authorization"] == "Bearer tok-1"


async def test_cold_cache_100_concurrent_calls_fetch_one_token(mock, issuer, zc) -> None:
    route = mock.get(f"{API}/users/host@example.org").respond(200, json={"id": "u1"})
    users = await asyncio.gather(*(zc.get_user("host@example.org") for _ in range(100)))
    assert issuer.count == 1
    assert route.call_count == 100
    assert {u.id for u in users} == {"u1"}


async def test_token_refreshed_5_minutes_before_expiry(mock, issuer, zc, clock) -> None:
    mock.get(f"{API}/users/u").respond(200, json={"id": "u"})
    await zc.get_user("u")
    clock.advance(minutes=54)
    await zc.get_user("u")
    assert issuer.count == 1
    clock.advance(minutes=1, seconds=1)  # 4m59s left
    await zc.get_user("u")
    assert issuer.count == 2


async def test_expired_token_mid_run_refreshes_once_and_replays(mock, issuer, zc) -> None:
    route = mock.get(f"{API}/meetings/81234567890").mock(
        side_effect=[err(401, 124, "Access token has expired."), httpx.Response(200, json=MEETING)]
    )
    meeting = await zc.get_meeting(81234567890)
    assert meeting.id == 81234567890
    assert issuer.count == 2
    assert [c.request.headers["authorization"] for c in route.calls] == ["Bearer tok-1", "Bearer tok-2"]


async def test_concurrent_401s_cause_a_single_refresh(mock, issuer, zc) -> None:
    revoked: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] in revoked:
            return err(401, 124, "Invalid access token.")
        return httpx.Response(200, json={"id": "u"})

    mock.get(f"{API}/users/u").mock(side_effect=answer)
    await zc.get_user("u")
    assert issuer.count == 1
    revoked.add("Bearer tok-1")  # e.g. the app was deactivated and re-activated
    await asyncio.gather(*(zc.get_user("u") for _ in range(20)))
    assert issuer.count == 2


async def test_second_401_after_refresh_is_an_auth_error(mock, issuer, zc) -> None:
    route = mock.get(f"{API}/users/u").mock(return_value=err(401, 124, "Invalid access token."))
    with pytest.raises(ZoomAuthError) as info:
        await zc.get_user("u")
    assert info.value.status == 401 and info.value.code == 124
    assert issuer.count == 2 and route.call_count == 2


async def test_token_endpoint_error_is_typed_and_secret_free(mock, zc, caplog) -> None:
    mock.post(TOKEN_URL).respond(400, json={"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ZoomAuthError) as info:
        await zc.get_user("u")
    assert info.value.oauth_error == "invalid_client"
    assert info.value.status == 400 and not info.value.retryable
    assert SECRET not in str(info.value) and SECRET not in caplog.text


async def test_token_value_never_logged(mock, issuer, zc, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="integrations.zoom")
    mock.get(f"{API}/users/u").mock(side_effect=[httpx.Response(503), httpx.Response(200, json={"id": "u"})])
    await zc.get_user("u")
    assert "tok-1" not in caplog.text
    assert "tok-1" not in repr(zc.tokens.current)


async def test_429_storm_honours_retry_after_then_succeeds(mock, issuer, zc, fake_sleep) -> None:
    limited = err(429, 4001, "per-second", headers={"Retry-After": "2"})
    route = mock.get(f"{API}/users/u").mock(
        side_effect=[limited, limited, limited, httpx.Response(200, json={"id": "u"})]
    )
    assert (await zc.get_user("u")).id == "u"
    assert route.call_count == 4
    assert fake_sleep.calls == [2.0, 2.0, 2.0]


async def test_429_storm_gives_up_after_max_attempts(mock, issuer, zc, fake_sleep) -> None:
    route = mock.get(f"{API}/users/u").mock(return_value=err(429, 4001, "per-second"))
    with pytest.raises(ZoomRateLimited) as info:
        await zc.get_user("u")
    assert not info.value.daily and info.value.retryable
    assert route.call_count == 4
    assert fake_sleep.calls == [0.5, 1.0, 2.0]  # exponential, jitter disabled


async def test_retry_after_http_date(mock, issuer, zc, fake_sleep, clock) -> None:
    when = "Tue, 01 Jan 2030 09:00:05 GMT"
    mock.get(f"{API}/users/u").mock(
        side_effect=[err(429, 4001, headers={"Retry-After": when}), httpx.Response(200, json={"id": "u"})]
    )
    await zc.get_user("u")
    assert fake_sleep.calls == [5.0]


async def test_429_on_create_is_retried(mock, issuer, zc) -> None:
    route = mock.post(f"{API}/users/h/meetings").mock(side_effect=[err(429, 4001), httpx.Response(201, json=MEETING)])
    assert (await zc.create_meeting("h", {"topic": "Demo"})).id == MEETING["id"]
    assert route.call_count == 2


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_5xx_on_get_is_retried(mock, issuer, zc, status) -> None:
    route = mock.get(f"{API}/meetings/1").mock(
        side_effect=[httpx.Response(status, text="<html>bad gateway</html>"), httpx.Response(200, json=MEETING)]
    )
    assert (await zc.get_meeting(1)).topic == "Demo"
    assert route.call_count == 2


async def test_500_on_get_is_not_retried(mock, issuer, zc) -> None:
    route = mock.get(f"{API}/meetings/1").respond(500, json={"code": 500, "message": "boom"})
    with pytest.raises(ZoomServerError):
        await zc.get_meeting(1)
    assert route.call_count == 1


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_5xx_on_create_is_not_retried(mock, issuer, zc, status) -> None:
    route = mock.post(f"{API}/users/h/meetings").respond(status)
    with pytest.raises(ZoomServerError) as info:
        await zc.create_meeting("h", {"topic": "Demo"})
    assert info.value.status == status
    assert route.call_count == 1


async def test_5xx_on_patch_and_delete_are_retried(mock, issuer, zc) -> None:
    patch = mock.patch(f"{API}/meetings/1").mock(side_effect=[httpx.Response(503), httpx.Response(204)])
    delete = mock.delete(f"{API}/meetings/1").mock(side_effect=[httpx.Response(502), httpx.Response(204)])
    await zc.update_meeting(1, {"topic": "x"})
    await zc.delete_meeting(1)
    assert patch.call_count == 2 and delete.call_count == 2


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
async def test_connect_failure_on_create_is_retried(mock, issuer, zc, exc) -> None:
    route = mock.post(f"{API}/users/h/meetings").mock(side_effect=[exc, httpx.Response(201, json=MEETING)])
    assert (await zc.create_meeting("h", {"topic": "Demo"})).id == MEETING["id"]
    assert route.call_count == 2


async def test_read_timeout_on_create_is_not_retried(mock, issuer, zc) -> None:
    route = mock.post(f"{API}/users/h/meetings").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ZoomTransportError) as info:
        await zc.create_meeting("h", {"topic": "Demo"})
    assert info.value.reached_zoom is None
    assert route.call_count == 1


async def test_read_timeout_on_get_is_retried(mock, issuer, zc) -> None:
    route = mock.get(f"{API}/meetings/1").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof"), httpx.Response(200, json=MEETING)]
    )
    assert (await zc.get_meeting(1)).id == MEETING["id"]
    assert route.call_count == 3


async def test_network_down_exhausts_attempts(mock, issuer, zc, fake_sleep) -> None:
    route = mock.get(f"{API}/meetings/1").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(ZoomTransportError) as info:
        await zc.get_meeting(1)
    assert info.value.reached_zoom is False and info.value.status == 0
    assert route.call_count == 4 and len(fake_sleep.calls) == 3


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"topic": "no id"}'])
async def test_malformed_success_body_is_protocol_error(mock, issuer, zc, body) -> None:
    mock.get(f"{API}/meetings/1").respond(200, content=body, headers={"content-type": "application/json"})
    with pytest.raises(ZoomProtocolError):
        await zc.get_meeting(1)


async def test_daily_cap_is_not_retried(mock, issuer, zc, fake_sleep) -> None:
    body = {
        "code": 429,
        "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API "
        "requests permitted for this particular user. You may resume these requests at GMT 00:00:00.",
    }
    headers = {"X-RateLimit-Type": "Daily-limit", "Retry-After": "2030-01-02T00:00:00Z"}
    route = mock.post(f"{API}/users/h/meetings").respond(429, json=body, headers=headers)
    with pytest.raises(ZoomRateLimited) as info:
        await zc.create_meeting("h", {"topic": "Demo"})
    assert info.value.daily and not info.value.retryable
    assert info.value.retry_after == 15 * 3600  # clock is 09:00 UTC
    assert route.call_count == 1 and fake_sleep.calls == []


async def test_legacy_http_300_daily_cap(mock, issuer, zc) -> None:
    msg = "A maximum of 100 meetings can be created/updated for a single user in one day."
    route = mock.patch(f"{API}/meetings/1").respond(300, json={"code": 300, "message": msg})
    with pytest.raises(ZoomRateLimited) as info:
        await zc.update_meeting(1, {"topic": "x"})
    assert info.value.daily and route.call_count == 1


async def test_not_found_and_validation_are_typed(mock, issuer, zc) -> None:
    mock.get(f"{API}/meetings/1").respond(404, json={"code": 3001, "message": "Meeting does not exist: 1."})
    mock.get(f"{API}/users/nobody").respond(404, json={"code": 1001, "message": "User does not exist."})
    mock.patch(f"{API}/meetings/2").respond(
        400,
        json={
            "code": 300,
            "message": "Validation Failed.",
            "errors": [{"field": "topic", "message": "Invalid field."}],
        },
    )
    with pytest.raises(ZoomNotFound) as nf:
        await zc.get_meeting(1)
    assert nf.value.code == 3001 and nf.value.status == 404
    with pytest.raises(ZoomNotFound) as nu:
        await zc.get_user("nobody")
    assert nu.value.code == 1001
    with pytest.raises(ZoomValidationError) as bad:
        await zc.update_meeting(2, {"topic": "x" * 300})
    assert [f.field for f in bad.value.field_errors] == ["topic"]


async def test_meeting_deleted_behind_our_back_is_recreated(mock, issuer, zc) -> None:
    spec = MeetingSpec(
        host_user="host@example.org",
        topic="Renamed",
        start_time=datetime(2030, 1, 1, 10, tzinfo=UTC),
        duration_minutes=60,
    )
    # Deleted between our GET and our PATCH; the GET that confirms the 404 finds it gone too.
    reads = mock.get(f"{API}/meetings/81234567890").mock(
        side_effect=[httpx.Response(200, json=MEETING), httpx.Response(404, json={"code": 3001, "message": "gone"})]
    )
    mock.patch(f"{API}/meetings/81234567890").respond(404, json={"code": 3001, "message": "gone"})
    fresh = {**MEETING, "id": 89999999999, "topic": "Renamed"}
    create = mock.post(f"{API}/users/host@example.org/meetings").respond(201, json=fresh)
    plan, result = await converge(zc, spec, 81234567890)
    assert [c.field for c in plan.items] == ["topic"]
    assert result.recreated and result.created and result.id == 89999999999
    assert any("deleted in Zoom" in n for n in result.notes)
    assert create.call_count == 1 and result.write_calls == 2 and reads.call_count == 2
    assert create.calls[0].request.content.count(b'"Renamed"') == 1


async def test_pagination_and_uuid_double_encoding(mock, issuer, zc) -> None:
    uuid = "/ajXp112QmuoKj4854875=="
    route = mock.get(url__startswith=f"{API}/past_meetings/").mock(
        side_effect=[
            httpx.Response(200, json={"next_page_token": "t1", "participants": [{"user_id": "1", "name": "A"}]}),
            httpx.Response(200, json={"next_page_token": "", "participants": [{"user_id": "2", "name": "B"}]}),
        ]
    )
    rows = await zc.list_past_participants(uuid)
    assert [r.user_id for r in rows] == ["1", "2"]
    first, second = (c.request.url for c in route.calls)
    assert first.raw_path.startswith(b"/v2/past_meetings/%252FajXp112QmuoKj4854875%253D%253D/participants")
    assert second.params["next_page_token"] == "t1" and second.params["page_size"] == "300"
