"""POST /webhooks/zoom: Zoom's signed deliveries, committed to the inbox before we answer 200."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.api.deps import get_runtime
from app.api.openapi import error
from app.attendance.inbox_row import NotStorable, inbox_row
from app.core.errors import InboxUnavailable, InvalidWebhook, WebhookUnauthorized
from app.core.metrics import WEBHOOK_PATH as PATH
from app.services import Services
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
_SIGNATURE, _TIMESTAMP = SIGNATURE_HEADER.encode(), TIMESTAMP_HEADER.encode()


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidWebhook("the body is not UTF-8 JSON") from exc


def _decode(text: str) -> dict[str, Any]:
    """The body parsed once: the same dict gives the dedupe key and the row's columns."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
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
    PATH,
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
async def zoom_webhook(request: Request) -> Response:
    """Verify, then commit the raw event to the inbox before answering; processing happens later.

    This route documents the operation (and serves it where only `router` is mounted); an app built
    by `include` serves POST through `ZoomWebhookApp`, which runs the same `handle`."""
    headers = request.headers
    body = await request.body()  # bounded by the input gate (SHOWCALLER_MAX_WEBHOOK_BODY_BYTES)
    answer = await handle(get_runtime(request), headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER), body)
    return Response(answer, media_type="application/json")


async def handle(runtime: Services, signature: str | None, stamp: str | None, body: bytes) -> bytes:
    """The JSON answer to one delivery, once its row is committed; AppError subclasses otherwise."""
    settings = runtime.settings
    now = runtime.clock.now()  # one reading: the freshness window and the row's received_at agree
    try:
        verify(
            settings.webhook_secret,
            {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: stamp},  # type: ignore[dict-item]  # verify() refuses a missing header
            body,
            now=now,
            max_age=timedelta(minutes=settings.zoom_webhook_max_age_minutes),
            max_future=timedelta(minutes=settings.zoom_webhook_max_future_minutes),
        )
    except WebhookRejected as exc:
        raise WebhookUnauthorized(REASONS.get(exc.reason, exc.reason), check=exc.reason) from None
    text = _text(body)
    payload = _decode(text)
    if payload.get("event") == URL_VALIDATION_EVENT:
        token = payload.get("payload", {}).get("plainToken")
        if not isinstance(token, str) or not 0 < len(token) <= 256:
            raise InvalidWebhook("payload.plainToken must be a non-empty string")
        answer = url_validation_response(settings.webhook_secret, token)
        return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        row = inbox_row(payload, text, now)
    except NotStorable as exc:
        raise InvalidWebhook(str(exc)) from None
    try:
        stored = await runtime.attendance.ingest(row)
    except (SQLAlchemyError, sqlite3.Error, OSError, RuntimeError) as exc:
        log.error("webhook %s not stored, answering 503: %r", row["dedupe_key"][:12], exc)
        raise InboxUnavailable("the inbox could not store the event; retry later") from None
    # Pre-rendered: this answer is sent thousands of times a second in a busy meeting.
    return _ACCEPTED if stored else _DUPLICATE


class ZoomWebhookApp:
    """POST /webhooks/zoom as a plain ASGI app: `handle` without FastAPI's per-request machinery.

    Profiled under load (docs/reliability.md), a third of the route's CPU went to work this route
    has no use for: solving dependencies it does not have (which also parses the query string),
    the endpoint wrapper, building a Request and a Response. Everything that guards the route stays:
    the input gate and the webhook metrics are app middleware outside the router, and an error
    raised here is answered by the app's exception handlers like any route's (the same JSON).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:  # the input gate has bounded the body already
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # nobody to answer; nothing was stored
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        signature = stamp = None
        for name, value in scope["headers"]:  # ASGI header names are lower-case; the first counts
            if name == _SIGNATURE and signature is None:
                signature = value.decode("latin-1")
            elif name == _TIMESTAMP and stamp is None:
                stamp = value.decode("latin-1")
        answer = await handle(scope["state"]["services"], signature, stamp, b"".join(chunks))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(answer)).encode()), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def include(app: FastAPI) -> None:
    """Mount the webhook route, ahead of the others: routes are matched in order, and matching
    Zoom's deliveries after every other route of the API cost more than their own handling."""
    for route in router.routes:
        app.router.routes.insert(0, route)
    # Ahead of the documented route: it serves POST (a GET still gets the documented 405).
    app.router.routes.insert(0, Route(PATH, ZoomWebhookApp(), methods=["POST"], include_in_schema=False))
