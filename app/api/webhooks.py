"""POST /webhooks/zoom: Zoom's signed deliveries, committed to the inbox before we answer 200."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import get_runtime
from app.api.openapi import error
from app.attendance.inbox_row import NotStorable, inbox_row
from app.core.errors import InboxUnavailable, InvalidWebhook, WebhookUnauthorized
from integrations.zoom.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    URL_VALIDATION_EVENT,
    WebhookRejected,
    url_validation_response,
    verify,
)

log = logging.getLogger("showcaller.webhooks")
router = APIRouter(tags=["webhooks"])
EVENTS = [
    f"{kind}.{what}"
    for kind in ("meeting", "webinar")
    for what in ("started", "ended", "participant_joined", "participant_left")
] + [
    f"meeting.participant_{what}"
    for what in (
        "joined_breakout_room",
        "left_breakout_room",
        "joined_waiting_room",
        "left_waiting_room",
        "admitted",
    )
]
REASONS = {
    "missing_signature": "no x-zm-signature header",
    "missing_timestamp": "no x-zm-request-timestamp header",
    "bad_timestamp": "x-zm-request-timestamp is not Unix seconds",
    "bad_signature_format": "x-zm-signature is not v0=<64 hex digits>",
    "bad_signature": "x-zm-signature does not match the body (check SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN)",
    "timestamp_too_old": "x-zm-request-timestamp is older than the accepted window",
    "timestamp_in_future": "x-zm-request-timestamp is too far in the future",
}


_ACCEPTED, _DUPLICATE = b'{"status":"accepted"}', b'{"status":"duplicate"}'


def _decode(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidWebhook("the body is not UTF-8 JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidWebhook("the body is not a JSON object")
    inner = payload.get("payload", {})
    if not isinstance(inner, dict):
        raise InvalidWebhook("payload is not an object")
    obj = inner.get("object", {})
    if not isinstance(obj, dict) or not isinstance(obj.get("participant", {}), dict):
        raise InvalidWebhook("payload.object (and its participant) must be objects")
    return payload


_HEADERS = [
    {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": text,
    }
    for name, text in (
        ("x-zm-signature", "v0=HMAC-SHA256(secret, 'v0:' + timestamp + ':' + body)"),
        ("x-zm-request-timestamp", "Unix seconds when Zoom sent it"),
    )
]
_BODY = {
    "type": "object",
    "required": ["event", "event_ts", "payload"],
    "properties": {
        "event": {"type": "string", "enum": [URL_VALIDATION_EVENT, *EVENTS]},
        "event_ts": {"type": "integer", "description": "epoch milliseconds"},
        "payload": {
            "type": "object",
            "properties": {
                "account_id": {"type": "string"},
                "plainToken": {"type": "string"},
                "object": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "uuid": {"type": "string"},
                        "host_id": {"type": "string"},
                        "end_time": {"type": "string", "format": "date-time"},
                        "breakout_room_uuid": {"type": "string"},
                        "participant": {
                            "type": "object",
                            "properties": {
                                "user_id": {"type": "string"},
                                "user_name": {"type": "string"},
                                "email": {"type": "string"},
                                "participant_uuid": {"type": "string"},
                                "parent_user_id": {"type": "string"},
                                "join_time": {"type": "string", "format": "date-time"},
                                "leave_time": {"type": "string", "format": "date-time"},
                                "date_time": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                },
            },
        },
    },
}


@router.post(
    "/webhooks/zoom",
    summary="Zoom event notifications (signed by Zoom; no bearer token)",
    openapi_extra={
        "parameters": _HEADERS,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _BODY}}},
    },
    responses={
        200: {"description": "stored (or already stored), or the URL-validation answer"},
        400: error("not a JSON object Zoom sends"),
        401: error("signature or timestamp refused (`check` says which)"),
        413: error("body over SHOWCALLER_MAX_WEBHOOK_BODY_BYTES (512 KiB by default)"),
        503: error("not stored: Zoom retries later"),
    },
)
async def zoom_webhook(request: Request):
    """Verify, then commit the raw event to the inbox before answering; processing happens later."""
    runtime = get_runtime(request)
    body = await request.body()  # bounded by the input gate (SHOWCALLER_MAX_WEBHOOK_BODY_BYTES)
    settings = runtime.settings
    headers = request.headers
    try:
        verify(
            settings.webhook_secret,
            {name: headers.get(name) for name in (SIGNATURE_HEADER, TIMESTAMP_HEADER)},  # type: ignore[misc]  # verify() refuses a missing header
            body,
            now=runtime.clock.now(),
            max_age=timedelta(minutes=settings.zoom_webhook_max_age_minutes),
            max_future=timedelta(minutes=settings.zoom_webhook_max_future_minutes),
        )
    except WebhookRejected as exc:
        raise WebhookUnauthorized(REASONS.get(exc.reason, exc.reason), check=exc.reason) from None
    payload = _decode(body)
    if payload.get("event") == URL_VALIDATION_EVENT:
        token = payload.get("payload", {}).get("plainToken")
        if not isinstance(token, str) or not 0 < len(token) <= 256:
            raise InvalidWebhook("payload.plainToken must be a non-empty string")
        return url_validation_response(settings.webhook_secret, token)
    try:
        row = inbox_row(payload, body.decode("utf-8"), runtime.clock.now())
    except NotStorable as exc:
        raise InvalidWebhook(str(exc)) from None
    try:
        stored = await runtime.attendance.ingest(row)
    except (SQLAlchemyError, sqlite3.Error, OSError, RuntimeError) as exc:
        log.error("webhook %s not stored, answering 503: %r", row["dedupe_key"][:12], exc)
        raise InboxUnavailable("the inbox could not store the event; retry later") from None
    # Pre-rendered: this answer is sent thousands of times a second in a busy meeting.
    return Response(_ACCEPTED if stored else _DUPLICATE, media_type="application/json")


def include(app: FastAPI) -> None:
    """Mount the webhook route, ahead of the others: routes are matched in order, and matching
    Zoom's deliveries after every other route of the API cost more than their own handling."""
    for route in router.routes:
        app.router.routes.insert(0, route)
