"""Zoom webhook crypto (signature, URL validation), dedupe keys and typed event parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
URL_VALIDATION_EVENT = "endpoint.url_validation"


class WebhookRejected(Exception):
    """A delivery failed verification; `reason` is a short machine-friendly string."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _as_bytes(raw_body: bytes | str) -> bytes:
    return raw_body.encode() if isinstance(raw_body, str) else raw_body


def sign(secret: str, timestamp: int | str, raw_body: bytes | str) -> str:
    """The `x-zm-signature` value for `raw_body` sent at `timestamp` (Unix seconds)."""
    message = b"v0:" + str(timestamp).encode() + b":" + _as_bytes(raw_body)
    return "v0=" + _hmac_hex(secret, message)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify(
    secret: str,
    headers: Mapping[str, str],
    raw_body: bytes | str,
    *,
    now: datetime,
    max_age: timedelta = timedelta(minutes=90),
    max_future: timedelta = timedelta(minutes=5),
) -> None:
    """Raise WebhookRejected unless the delivery is signed with `secret` and recent enough.

    Zoom sets no freshness window; 90 minutes leaves room for its 5/20/60-minute retries in
    case they keep the original timestamp, while still bounding replays.
    """
    signature = _header(headers, SIGNATURE_HEADER)
    stamp = _header(headers, TIMESTAMP_HEADER)
    if not signature:
        raise WebhookRejected("missing_signature")
    if not stamp:
        raise WebhookRejected("missing_timestamp")
    if not stamp.strip().isdigit():
        raise WebhookRejected("bad_timestamp")
    if not signature.startswith("v0=") or len(signature) != 67:
        raise WebhookRejected("bad_signature_format")
    expected = sign(secret, stamp.strip(), raw_body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookRejected("bad_signature")
    try:
        sent = datetime.fromtimestamp(int(stamp), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise WebhookRejected("bad_timestamp") from exc
    if sent < now - max_age:
        raise WebhookRejected("timestamp_too_old")
    if sent > now + max_future:
        raise WebhookRejected("timestamp_in_future")


def url_validation_response(secret: str, plain_token: str) -> dict[str, str]:
    """The JSON answer to Zoom's `endpoint.url_validation` challenge."""
    return {"plainToken": plain_token, "encryptedToken": _hmac_hex(secret, plain_token.encode())}


def _participant(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    obj = (payload.get("payload") or {}).get("object") or {}
    return obj.get("participant") or {}


def _when_field(event: str) -> str:
    """The participant field that says when `event` happened, per the events spec."""
    if event.endswith(("_left", "_left_breakout_room")):
        return "leave_time"
    if event.endswith(("_joined", "_joined_breakout_room")):
        return "join_time"
    return "date_time"


def dedupe_key(payload: Mapping[str, Any]) -> str:
    """Stable key for one logical event, identical across Zoom's re-deliveries of it.

    A re-delivery repeats the body byte for byte, while a rejoin gets a new in-meeting
    `user_id` and its own millisecond `event_ts`, so both go into the key: a person who leaves
    and rejoins within one second (same `participant_uuid`, same whole-second times) is two events.
    """
    event = str(payload.get("event", ""))
    obj = (payload.get("payload") or {}).get("object") or {}
    part = _participant(payload)
    when = part.get(_when_field(event)) or part.get("date_time") or ""
    fields = [
        event,
        str(obj.get("uuid", "")),
        str(obj.get("breakout_room_uuid") or ""),
        str(part.get("participant_uuid") or ""),
        str(part.get("user_id") or ""),
        str(when),
        str(payload.get("event_ts", "")),
    ]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def _time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ZoomEvent(BaseModel):
    """A parsed webhook: envelope, meeting identity and, for participant events, who and when."""

    model_config = ConfigDict(frozen=True)

    event: str
    event_ts: datetime
    account_id: str | None = None
    meeting_id: str | None = None
    uuid: str | None = None
    host_id: str | None = None
    topic: str | None = None
    breakout_room_uuid: str | None = None
    participant_user_id: str | None = None
    participant_uuid: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    user_name: str | None = None
    email: str | None = None
    registrant_id: str | None = None
    zoom_user_id: str | None = None
    join_time: datetime | None = None
    leave_time: datetime | None = None
    date_time: datetime | None = None
    leave_reason: str | None = None
    end_time: datetime | None = None
    dedupe_key: str

    @property
    def occurred_at(self) -> datetime:
        """When it happened per the payload's own time for this event (fallback: event_ts).

        The field is chosen by the event, never by presence: a `participant_left` that also
        carries `join_time` happened at its `leave_time`.
        """
        field = _when_field(self.event)
        if self.event.endswith(".ended"):
            return self.end_time or self.event_ts
        if self.event.endswith(".started"):
            return self.event_ts
        chosen = {"join_time": self.join_time, "leave_time": self.leave_time, "date_time": self.date_time}[field]
        return chosen or self.date_time or self.event_ts


def parse_event(payload: Mapping[str, Any]) -> ZoomEvent:
    """Build a ZoomEvent from a decoded webhook body (tolerates `date_time` for join/leave)."""
    if not isinstance(payload.get("event"), str) or "event_ts" not in payload:
        raise ValueError("not a Zoom webhook: missing event or event_ts")
    try:
        ts = datetime.fromtimestamp(int(payload["event_ts"]) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError("bad event_ts") from exc
    inner = payload.get("payload") or {}
    obj = inner.get("object") or {}
    part = _participant(payload)
    name = payload["event"]
    date_time = _time(part.get("date_time"))
    join_time = _time(part.get("join_time"))
    leave_time = _time(part.get("leave_time"))
    # Zoom's own examples send date_time on join/leave; map it onto the field it stands for.
    if date_time and join_time is None and name.endswith(("joined", "joined_breakout_room")):
        join_time = date_time
    if date_time and leave_time is None and name.endswith(("left", "left_breakout_room")):
        leave_time = date_time

    def text(src: Mapping[str, Any], key: str) -> str | None:
        value = src.get(key)
        return None if value in (None, "") else str(value)

    return ZoomEvent(
        event=name,
        event_ts=ts,
        account_id=text(inner, "account_id"),
        meeting_id=text(obj, "id"),
        uuid=text(obj, "uuid"),
        host_id=text(obj, "host_id"),
        topic=text(obj, "topic"),
        breakout_room_uuid=text(obj, "breakout_room_uuid"),
        participant_user_id=text(part, "participant_user_id"),
        participant_uuid=text(part, "participant_uuid"),
        user_id=text(part, "user_id"),
        parent_user_id=text(part, "parent_user_id"),
        user_name=text(part, "user_name"),
        email=text(part, "email"),
        registrant_id=text(part, "registrant_id"),
        zoom_user_id=text(part, "id"),
        join_time=join_time,
        leave_time=leave_time,
        date_time=date_time,
        leave_reason=text(part, "leave_reason"),
        end_time=_time(obj.get("end_time")),
        dedupe_key=dedupe_key(payload),
    )
