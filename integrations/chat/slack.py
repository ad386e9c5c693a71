"""Slack app interactivity: signed `block_actions` requests, and the Web API calls that answer them.

Slack signs each request to the app's Request URL with its signing secret
(https://api.slack.com/authentication/verifying-requests-from-slack): `v0=` + hex HMAC-SHA256 of
`v0:{X-Slack-Request-Timestamp}:{raw body}`; requests older than five minutes are refused, as Slack
advises, with `slack_sdk`'s `SignatureVerifier`. The body is form-encoded, its `payload` field JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import httpx
from slack_sdk.signature import Clock, SignatureVerifier

from integrations.chat import Click, ClickRejected

PLATFORM = "slack"
WINDOW = 5 * 60  # seconds: Slack's advice, and SignatureVerifier's window
SIGNATURE, TIMESTAMP = "x-slack-signature", "x-slack-request-timestamp"


class _At(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def check_fresh(headers: Mapping[str, str], now: float) -> None:
    """Raise unless the request carries a signature and a timestamp within the window (no secret needed)."""
    stamp, signature = _header(headers, TIMESTAMP), _header(headers, SIGNATURE)
    if not signature or not stamp:
        raise ClickRejected("no X-Slack-Signature or X-Slack-Request-Timestamp header")
    if not stamp.strip().isdigit():
        raise ClickRejected("X-Slack-Request-Timestamp is not Unix seconds")
    if abs(now - int(stamp)) > WINDOW:
        raise ClickRejected("X-Slack-Request-Timestamp is more than 5 minutes from now (a replay, or a wrong clock)")


def verify(signing_secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Raise ClickRejected unless `body` is signed with `signing_secret` within five minutes of `now`."""
    check_fresh(headers, now)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise ClickRejected("the body is not UTF-8") from None
    if not SignatureVerifier(signing_secret, clock=_At(now)).is_valid_request(body, dict(headers)):
        raise ClickRejected("X-Slack-Signature does not match the body (check the app's signing secret)")


def parse(body: bytes) -> Click | None:
    """The button press a verified `block_actions` request carries; None for any other interaction."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=False)
        payload = json.loads(form["payload"][0])
    except (KeyError, IndexError, ValueError, UnicodeDecodeError):
        raise ClickRejected("the body is not a Slack interaction (form field `payload` with JSON)") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions") or []
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    user = payload.get("user") or {}
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id")
    message = payload.get("message") or {}
    ts = message.get("ts") or (payload.get("container") or {}).get("message_ts")
    if not isinstance(action.get("value"), str) or not user.get("id"):
        return None
    key = payload.get("trigger_id") or hashlib.sha256(body).hexdigest()
    return Click(
        platform=PLATFORM,
        user_id=str(user["id"]),
        user_name=str(user.get("name") or user.get("username") or user["id"]),
        reference=action["value"],
        request_key=f"slack:{key}:{action.get('action_ts', '')}",
        reply={"channel": channel, "ts": ts, "blocks": message.get("blocks") or [], "text": message.get("text") or ""},
    )


def without_buttons(blocks: list[dict[str, Any]], result: str) -> list[dict[str, Any]]:
    """The message's blocks with its buttons gone (they are stale) and the result as the last line."""
    kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
    line = {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(result)[:3000]}]}
    return [*kept[:48], line]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def call(http: httpx.AsyncClient, api: str, token: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """One Web API call (`chat.update`, `chat.postEphemeral`); Slack's answer, or {"ok": False, ...}."""
    try:
        response = await http.post(
            f"{api.rstrip('/')}/{method}",
            json=body,
            headers={"authorization": f"Bearer {token}"},
            timeout=10.0,
        )
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    return answer if isinstance(answer, dict) else {"ok": False, "error": "not_json"}


async def update(http: httpx.AsyncClient, api: str, token: str, click: Click, result: str) -> dict[str, Any]:
    """`chat.update` the clicked message: the result line in place of its buttons."""
    reply = click.reply
    body = {
        "channel": reply["channel"],
        "ts": reply["ts"],
        "text": f"{reply.get('text') or ''} {result}".strip()[:3000],
        "blocks": without_buttons(reply.get("blocks") or [], result),
    }
    return await call(http, api, token, "chat.update", body)


async def tell(http: httpx.AsyncClient, api: str, token: str, click: Click, text: str) -> dict[str, Any]:
    """`chat.postEphemeral`: a reply only the clicker sees (a refusal, "already moved")."""
    body = {"channel": click.reply["channel"], "user": click.user_id, "text": _escape(text)[:3000]}
    return await call(http, api, token, "chat.postEphemeral", body)
