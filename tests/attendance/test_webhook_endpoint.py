"""POST /webhooks/zoom: verification, freshness window, URL validation, dedupe, 4xx refusals."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.store.tables import inbox
from integrations.zoom.webhooks import url_validation_response
from integrations.zoom_emulator.payloads import Person
from tests.attendance.conftest import SECRET, body_of, signed_headers
from tests.conftest import bangkok

ANA = Person("Ana Lima", "ana@example.org", "GUID-ANA")


async def stored(h) -> int:
    async with h.runtime.db.begin() as conn:
        return (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()


def refused(response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "reason"} and body["reason"]


async def test_url_validation_answers_the_challenge_only_when_signed(harness):
    payload = {
        "event": "endpoint.url_validation",
        "event_ts": 1,
        "payload": {"plainToken": "qgZQ3J8tRkq1N7xw2pLwAA"},
    }
    answer = await harness.post(payload)
    assert answer.status_code == 200
    assert answer.json() == url_validation_response(SECRET, "qgZQ3J8tRkq1N7xw2pLwAA")
    # Unsigned, it would be an HMAC oracle for forging signatures: refused.
    refused(await harness.client.post("/webhooks/zoom", json=payload), 401)
    assert await stored(harness) == 0


async def test_event_is_committed_before_200_and_a_duplicate_is_stored_once(harness):
    payload = harness.join(ANA, "1001", bangkok(13, 31))
    first = await harness.post(payload)
    assert first.status_code == 200 and first.json() == {"status": "accepted"}
    assert await stored(harness) == 1  # durable before the answer, whether or not processed yet
    harness.clock.advance(minutes=20)  # a Zoom retry, freshly stamped
    again = await harness.post(payload)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert await stored(harness) == 1


@pytest.mark.parametrize("minutes", [5, 20, 60, 85])
async def test_zoom_retries_with_the_original_timestamp_are_accepted(harness, minutes):
    sent_at = harness.clock.now()
    harness.clock.advance(minutes=minutes)
    response = await harness.post(harness.join(ANA, "1001", bangkok(13, 30)), when=sent_at)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("shift", "check"),
    [(timedelta(minutes=-91), "timestamp_too_old"), (timedelta(minutes=6), "timestamp_in_future")],
)
async def test_timestamps_outside_the_window_are_refused_and_not_stored(harness, shift, check):
    response = await harness.post(harness.join(ANA, "1001", bangkok(13, 30)), when=harness.clock.now() + shift)
    refused(response, 401)
    assert response.json()["check"] == check
    assert await stored(harness) == 0


async def test_window_is_configurable(database_url, settings_for, receiver_env):
    from tests.attendance.conftest import start_harness

    h = await start_harness(
        database_url,
        settings_for,
        receiver_env,
        bangkok(13, 30),
        settings={"zoom_webhook_max_age_minutes": 2, "zoom_webhook_max_future_minutes": 0},
    )
    try:
        payload = h.join(ANA, "1001", bangkok(13, 30))
        refused(await h.post(payload, when=h.clock.now() - timedelta(minutes=3)), 401)
        refused(await h.post(payload, when=h.clock.now() + timedelta(seconds=2)), 401)
        assert (await h.post(payload, when=h.clock.now() - timedelta(minutes=1))).status_code == 200
        assert await stored(h) == 1
    finally:
        await h.client.aclose()
        await h.runtime.stop()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"event": "meeting.started"}', 400),
        (b'{"event": "meeting.started", "event_ts": "soon", "payload": {}}', 400),
        (b'{"event": "meeting.started", "event_ts": 1, "payload": []}', 400),
        (b'{"event": "meeting.started", "event_ts": 1, "payload": {"object": "x"}}', 400),
        (
            b'{"event": "meeting.participant_joined", "event_ts": 1, "payload": {"object": {"participant": 3}}}',
            400,
        ),
        (b'{"event": "endpoint.url_validation", "event_ts": 1, "payload": {"plainToken": 5}}', 400),
        (b'{"event": "meeting.started", "event_ts": 1e400, "payload": {}}', 400),
        (b"\xff\xfe{}", 400),
    ],
)
async def test_signed_but_malformed_bodies_are_400_json_and_not_stored(harness, body, status):
    response = await harness.client.post(
        "/webhooks/zoom", content=body, headers=signed_headers(body, harness.clock.now())
    )
    refused(response, status)
    assert await stored(harness) == 0


async def test_oversized_body_is_413(harness):
    body = b'{"event":"meeting.started","event_ts":1,"payload":{"pad":"' + b"x" * 600_000 + b'"}}'
    refused(
        await harness.client.post("/webhooks/zoom", content=body, headers=signed_headers(body, harness.clock.now())),
        413,
    )
    assert await stored(harness) == 0


MUTATIONS = st.one_of(
    st.tuples(st.just("body"), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("flip"), st.integers(min_value=0, max_value=10_000)),
    st.tuples(st.just("signature"), st.text(max_size=80)),
    st.tuples(
        st.just("timestamp"),
        st.one_of(st.text(max_size=20), st.integers(min_value=-(10**12), max_value=10**12).map(str)),
    ),
    st.tuples(st.just("drop"), st.sampled_from(["x-zm-signature", "x-zm-request-timestamp"])),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATIONS)
async def test_any_tampering_is_refused_with_4xx_and_never_stored(harness, mutation):
    body = body_of(harness.join(ANA, "1001", bangkok(13, 31)))
    headers: dict[str, str | bytes] = dict(signed_headers(body, harness.clock.now()))
    what, value = mutation
    if what == "body":
        body = body + value
    elif what == "flip":
        i = value % len(body)
        body = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
    elif what == "signature":
        if value == headers["x-zm-signature"] or "\n" in value or "\r" in value:
            return
        headers["x-zm-signature"] = value.encode("latin-1", "replace")
    elif what == "timestamp":
        if value.strip() == headers["x-zm-request-timestamp"] or "\n" in value or "\r" in value:
            return
        headers["x-zm-request-timestamp"] = value.encode("latin-1", "replace")
    else:
        headers.pop(value)
    before = await stored(harness)
    response = await harness.client.post("/webhooks/zoom", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert {"error", "reason"} <= set(response.json())
    assert await stored(harness) == before


async def test_the_webhook_route_answers_other_methods_405_in_the_error_shape(harness):
    # POST is served by a plain ASGI route ahead of the documented one; a GET still meets the 405.
    response = await harness.client.get("/webhooks/zoom")
    refused(response, 405)
    assert response.json()["error"] == "method_not_allowed"


async def test_a_delivery_sent_in_chunks_is_read_whole_and_stored_once(harness):
    body = body_of(harness.join(ANA, "1001", bangkok(13, 31)))

    async def chunks():
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    headers = signed_headers(body, harness.clock.now())
    first = await harness.client.post("/webhooks/zoom", content=chunks(), headers=headers)
    again = await harness.client.post("/webhooks/zoom", content=body, headers=headers)
    assert (first.json(), again.json()) == ({"status": "accepted"}, {"status": "duplicate"})
    assert first.headers["content-type"] == "application/json"
    assert await stored(harness) == 1


async def test_the_documented_route_answers_exactly_as_the_served_one(harness):
    """`router` alone (the FastAPI route, as OpenAPI documents it) runs the same handler as the plain
    ASGI route an app built by create_app serves: same statuses, same bodies, one stored row."""
    from fastapi import FastAPI

    from app.api.webhooks import router
    from app.core import errors

    documented = FastAPI()
    errors.install(documented)
    documented.include_router(router)

    async def with_state(scope, receive, send):  # what the lifespan gives every request
        await documented({**scope, "state": {"services": harness.runtime}}, receive, send)

    body = body_of(harness.join(ANA, "1001", bangkok(13, 31)))
    headers = signed_headers(body, harness.clock.now())
    bad = {**headers, "x-zm-signature": "v0=" + "0" * 64}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_state), base_url="http://test") as other:
        answers = []
        for client in (other, harness.client):
            for h in (bad, headers):
                response = await client.post("/webhooks/zoom", content=body, headers=h)
                answers.append((response.status_code, response.headers["content-type"], response.json()))
    assert answers[0] == answers[2] and answers[0][0] == 401
    assert answers[1][2] == {"status": "accepted"} and answers[3][2] == {"status": "duplicate"}
    assert answers[1][:2] == answers[3][:2] == (200, "application/json")
    assert await stored(harness) == 1
