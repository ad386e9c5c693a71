"""Zoom Team Chat chatbot: signed `interactive_message_actions` events.

A chatbot's event subscription signs each request exactly as meeting webhooks are signed
(`integrations/zoom/webhooks.py`): `x-zm-signature: v0=` + hex HMAC-SHA256 with the app's secret
token of `v0:{x-zm-request-timestamp}:{raw body}`. Clicks must be fresh: five minutes, as for Slack.
The event's `actionItem.value` is the button's single-use reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from integrations.chat import Click, ClickRejected
from integrations.zoom.webhooks import WebhookRejected
from integrations.zoom.webhooks import verify as verify_zoom

PLATFORM = "zoom_chat"
EVENT = "interactive_message_actions"
WINDOW = timedelta(minutes=5)
REASONS = {
    "missing_signature": "no x-zm-signature header",
    "missing_timestamp": "no x-zm-request-timestamp header",
    "bad_timestamp": "x-zm-request-timestamp is not Unix seconds",
    "bad_signature_format": "x-zm-signature is not v0=<64 hex digits>",
    "bad_signature": "x-zm-signature does not match the body (check the chatbot's secret token)",
    "timestamp_too_old": "x-zm-request-timestamp is more than 5 minutes old (a replay, or a wrong clock)",
    "timestamp_in_future": "x-zm-request-timestamp is too far in the future",
}


def verify(secret_token: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Raise ClickRejected unless `body` is signed with the chatbot's secret token within five minutes."""
    try:
        at = datetime.fromtimestamp(now, UTC)
        verify_zoom(secret_token, headers, body, now=at, max_age=WINDOW, max_future=WINDOW)
    except WebhookRejected as exc:
        raise ClickRejected(REASONS.get(exc.reason, exc.reason)) from None


def parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ClickRejected("the body is not JSON") from None
    if not isinstance(data, dict):
        raise ClickRejected("the body is not a JSON object")
    return data


def click_of(event: dict[str, Any]) -> Click | None:
    """The button press an `interactive_message_actions` event carries; None for any other event."""
    if event.get("event") != EVENT:
        return None
    payload = event.get("payload") or {}
    item = payload.get("actionItem") or {}
    user = payload.get("userId") or payload.get("userJid")
    if not isinstance(item.get("value"), str) or not user:
        return None
    return Click(
        platform=PLATFORM,
        user_id=str(user),
        user_name=str(payload.get("userName") or user),
        reference=item["value"],
        request_key=f"zoom_chat:{payload.get('messageId', '')}:{event.get('event_ts', '')}:{user}",
        reply={
            "to_jid": payload.get("toJid"),
            "robot_jid": payload.get("robotJid"),
            "account_id": payload.get("accountId"),
            "message_id": payload.get("messageId"),
        },
    )


async def tell(http: httpx.AsyncClient, url: str, token: str, text: str, *, structured: bool) -> bool:
    """Post `text` to the channel through its Incoming Webhook (the target's own URL and verification
    token): the whole channel sees it, as Incoming Webhook messages cannot be shown to one user."""
    headers = {"authorization": token}
    try:
        if structured:
            response = await http.post(url, json={"content": {"head": {"text": text[:200]}}}, headers=headers)
        else:
            response = await http.post(url, content=text[:4000].encode(), headers=headers)
    except httpx.HTTPError:
        return False
    return response.is_success
