"""Webhook signature, URL validation, dedupe keys and event parsing (vectors from API-NOTES §7)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.zoom.webhooks import (
    WebhookRejected,
    dedupe_key,
    parse_event,
    sign,
    url_validation_response,
    verify,
)

SECRET = "emulator-secret-token"
VECTOR_BODY = (
    b'{"event":"meeting.started","event_ts":1767225600123,"payload":{"account_id":"acct_1",'
    b'"object":{"id":"81234567890","uuid":"Xk3pQ9sYT0uYbq1yQm1zRw==","host_id":"hostUser_1",'
    b'"host_email":"host@example.com","topic":"Demo","type":2,"start_time":"2026-01-01T00:00:00Z",'
    b'"timezone":"UTC","duration":60}}}'
)
VECTOR_SIG = "v0=97ac1c101fb86326100145fc696d8ee610481a437064ec559d890becfcc11df5"
VECTOR_TS = "1767225601"
VECTOR_NOW = datetime.fromtimestamp(1767225601, UTC)


def headers(sig: str = VECTOR_SIG, ts: str = VECTOR_TS) -> dict[str, str]:
    return {"x-zm-signature": sig, "x-zm-request-timestamp": ts}


def test_vector_body_is_the_documented_296_bytes() -> None:
    assert len(VECTOR_BODY) == 296


def test_sign_matches_api_notes_vector() -> None:
    assert sign(SECRET, 1767225601, VECTOR_BODY) == VECTOR_SIG
    assert sign(SECRET, VECTOR_TS, VECTOR_BODY.decode()) == VECTOR_SIG


def test_url_validation_matches_api_notes_vector() -> None:
    assert url_validation_response(SECRET, "qgZQ3J8tRkq1N7xw2pLwAA") == {
        "plainToken": "qgZQ3J8tRkq1N7xw2pLwAA",
        "encryptedToken": "1a6477631e38a7555dcc9b2153b9f1e410dbe0ed0932ed8ab4fa175276b7b3f7",
    }


def test_verify_accepts_vector_with_any_header_case() -> None:
    verify(SECRET, headers(), VECTOR_BODY, now=VECTOR_NOW)
    upper = {"X-Zm-Signature": VECTOR_SIG, "X-ZM-Request-Timestamp": VECTOR_TS}
    verify(SECRET, upper, VECTOR_BODY, now=VECTOR_NOW + timedelta(minutes=89))


@pytest.mark.parametrize(
    ("hdrs", "body", "secret", "reason"),
    [
        ({"x-zm-request-timestamp": VECTOR_TS}, VECTOR_BODY, SECRET, "missing_signature"),
        ({"x-zm-signature": VECTOR_SIG}, VECTOR_BODY, SECRET, "missing_timestamp"),
        (headers(ts="17672256O1"), VECTOR_BODY, SECRET, "bad_timestamp"),
        (headers(sig="sha256=abc"), VECTOR_BODY, SECRET, "bad_signature_format"),
        (headers(sig=VECTOR_SIG[:-1] + "0"), VECTOR_BODY, SECRET, "bad_signature"),
        (headers(), VECTOR_BODY.replace(b"Demo", b"Dem0"), SECRET, "bad_signature"),
        (headers(), VECTOR_BODY, "another-secret", "bad_signature"),
        (headers(ts="1767225602"), VECTOR_BODY, SECRET, "bad_signature"),
    ],
)
def test_verify_rejections(hdrs, body, secret, reason) -> None:
    with pytest.raises(WebhookRejected) as info:
        verify(secret, hdrs, body, now=VECTOR_NOW)
    assert info.value.reason == reason


def test_verify_time_window() -> None:
    with pytest.raises(WebhookRejected, match="timestamp_too_old"):
        verify(SECRET, headers(), VECTOR_BODY, now=VECTOR_NOW + timedelta(minutes=91))
    with pytest.raises(WebhookRejected, match="timestamp_in_future"):
        verify(SECRET, headers(), VECTOR_BODY, now=VECTOR_NOW - timedelta(minutes=6))
    verify(SECRET, headers(), VECTOR_BODY, now=VECTOR_NOW - timedelta(minutes=4))


@given(body=st.binary(max_size=512), ts=st.integers(min_value=1_000_000_000, max_value=4_000_000_000))
def test_sign_then_verify_roundtrip_and_tamper(body: bytes, ts: int) -> None:
    sig = sign(SECRET, ts, body)
    now = datetime.fromtimestamp(ts, UTC)
    verify(SECRET, {"x-zm-signature": sig, "x-zm-request-timestamp": str(ts)}, body, now=now)
    with pytest.raises(WebhookRejected):
        verify(SECRET, {"x-zm-signature": sig, "x-zm-request-timestamp": str(ts)}, body + b" ", now=now)


JOINED = {
    "event": "meeting.participant_joined",
    "event_ts": 1767229200456,
    "payload": {
        "account_id": "acct_1",
        "object": {
            "id": "81234567890",
            "uuid": "Xk3pQ9sYT0uYbq1yQm1zRw==",
            "host_id": "hostUser_1",
            "topic": "Demo",
            "type": 2,
            "start_time": "2026-01-01T00:00:00Z",
            "timezone": "UTC",
            "duration": 60,
            "participant": {
                "user_id": "16778240",
                "user_name": "Ana Lima",
                "id": "zUsr_8fK2",
                "participant_uuid": "6F1C2A9E-0B3D-4C1E-9A77-2D5E8B0C4F11",
                "join_time": "2026-01-01T00:02:11Z",
                "email": "ana@example.com",
                "registrant_id": "rG7dQ2hTS0e9pXk1LmN3bA",
                "participant_user_id": "zUsr_8fK2",
            },
        },
    },
}


def test_parse_event_participant_joined() -> None:
    ev = parse_event(JOINED)
    assert ev.event == "meeting.participant_joined"
    assert ev.event_ts == datetime(2026, 1, 1, 1, 0, 0, 456000, tzinfo=UTC)
    assert ev.meeting_id == "81234567890" and ev.uuid == "Xk3pQ9sYT0uYbq1yQm1zRw=="
    assert ev.user_id == "16778240" and ev.user_name == "Ana Lima" and ev.email == "ana@example.com"
    assert ev.registrant_id == "rG7dQ2hTS0e9pXk1LmN3bA" and ev.zoom_user_id == "zUsr_8fK2"
    assert ev.join_time == datetime(2026, 1, 1, 0, 2, 11, tzinfo=UTC)
    assert ev.occurred_at == ev.join_time and ev.leave_time is None


def test_parse_event_numeric_id_becomes_string_and_date_time_is_tolerated() -> None:
    payload = json.loads(json.dumps(JOINED))
    part = payload["payload"]["object"]["participant"]
    part["date_time"] = part.pop("join_time")  # as in Zoom's own examples
    payload["payload"]["object"]["id"] = 81234567890
    ev = parse_event(payload)
    assert ev.meeting_id == "81234567890"
    assert ev.join_time == datetime(2026, 1, 1, 0, 2, 11, tzinfo=UTC) == ev.date_time


def test_parse_event_breakout_fields() -> None:
    payload = json.loads(json.dumps(JOINED))
    payload["event"] = "meeting.participant_left_breakout_room"
    obj = payload["payload"]["object"]
    obj["breakout_room_uuid"] = "room-uuid=="
    part = obj["participant"]
    part.pop("join_time")
    part.update(leave_time="2026-01-01T00:10:00Z", parent_user_id="16778240", user_id="16779999")
    ev = parse_event(payload)
    assert ev.breakout_room_uuid == "room-uuid==" and ev.parent_user_id == "16778240"
    assert ev.leave_time == datetime(2026, 1, 1, 0, 10, tzinfo=UTC) and ev.join_time is None


def test_parse_event_rejects_non_webhooks() -> None:
    with pytest.raises(ValueError):
        parse_event({"payload": {}})
    with pytest.raises(ValueError):
        parse_event({"event": "x", "event_ts": "soon"})


def test_dedupe_key_same_for_redelivery_and_differs_per_logical_event() -> None:
    again = json.loads(json.dumps(JOINED))
    assert dedupe_key(again) == dedupe_key(JOINED)
    assert parse_event(again).dedupe_key == dedupe_key(JOINED)
    left = json.loads(json.dumps(JOINED))
    left["event"] = "meeting.participant_left"
    rejoin = json.loads(json.dumps(JOINED))
    rejoin["payload"]["object"]["participant"]["join_time"] = "2026-01-01T00:30:00Z"
    other_ts = json.loads(json.dumps(JOINED))
    other_ts["event_ts"] += 1
    keys = {dedupe_key(p) for p in (JOINED, left, rejoin, other_ts)}
    assert len(keys) == 4


def test_dedupe_key_falls_back_to_user_id_without_participant_uuid() -> None:
    a = json.loads(json.dumps(JOINED))
    b = json.loads(json.dumps(JOINED))
    for p in (a, b):
        p["payload"]["object"]["participant"].pop("participant_uuid")
    b["payload"]["object"]["participant"]["user_id"] = "999"
    assert dedupe_key(a) != dedupe_key(b)
