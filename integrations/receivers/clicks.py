"""Click simulators: press a button of a message the fakes recorded, signed as each platform signs.

Each builder returns the exact request the platform sends (body bytes and headers), signed with
the documented algorithm, written here from the documentation and not with the code that verifies:

- Slack (https://api.slack.com/authentication/verifying-requests-from-slack): a form body
  `payload=<JSON>`, `X-Slack-Request-Timestamp`, and `X-Slack-Signature: v0=` + hex
  HMAC-SHA256(signing secret, `v0:{timestamp}:{body}`).
- Discord (https://discord.com/developers/docs/interactions/overview): a JSON interaction,
  `X-Signature-Timestamp`, and `X-Signature-Ed25519`: hex Ed25519 signature of timestamp + body
  with the application's private key (the service holds only the public key).
- Zoom Team Chat (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events): a JSON event,
  `x-zm-request-timestamp`, and `x-zm-signature: v0=` + hex HMAC-SHA256(secret token,
  `v0:{timestamp}:{body}`).

`press_*` post that request to the service and return its answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from integrations.receivers.chat_apps import ChatApps, Posted

Signed = tuple[bytes, dict[str, str]]


def _hmac_v0(secret: str, timestamp: int, body: bytes) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:" % timestamp + body, hashlib.sha256).hexdigest()


# --- Slack ---------------------------------------------------------------------------------------


def slack_request(signing_secret: str, payload: dict[str, Any], timestamp: int) -> Signed:
    """A signed block_actions request, as Slack sends it to the app's Request URL."""
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": _hmac_v0(signing_secret, timestamp, body),
    }
    return body, headers


def slack_button(message: Posted, action_id: str) -> dict[str, Any]:
    """The button `action_id` of a recorded Slack message (KeyError when it has none: already updated)."""
    for block in message.payload.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return {**element, "block_id": block.get("block_id", "")}
    raise KeyError(f"the message has no button {action_id!r}")


def slack_block_actions(message: Posted, action_id: str, user_id: str, user_name: str) -> dict[str, Any]:
    """The `block_actions` payload of a click on button `action_id` of `message` by `user_id`."""
    button = slack_button(message, action_id)
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": "T0LOCAL"},
        "api_app_id": "A0LOCAL",
        "team": {"id": "T0LOCAL", "domain": "local"},
        "container": {"type": "message", "message_ts": message.ref, "channel_id": message.channel},
        "trigger_id": f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}",
        "channel": {"id": message.channel, "name": message.channel},
        "message": {"type": "message", "ts": message.ref, **message.payload},
        "response_url": "https://hooks.slack.com/actions/T0LOCAL/1/local",
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": button["block_id"],
                "text": button["text"],
                "value": button.get("value", ""),
                "action_ts": f"{message.ref}1",
            }
        ],
    }


async def press_slack(
    http: httpx.AsyncClient,
    url: str,
    signing_secret: str,
    message: Posted,
    action_id: str,
    *,
    user_id: str,
    user_name: str,
    timestamp: int,
) -> httpx.Response:
    body, headers = slack_request(
        signing_secret, slack_block_actions(message, action_id, user_id, user_name), timestamp
    )
    return await http.post(url, content=body, headers=headers)


# --- Discord -------------------------------------------------------------------------------------


def discord_keys(seed: bytes | None = None) -> tuple[Ed25519PrivateKey, str]:
    """An application key pair: the private key (the simulator's) and the public key in hex (the service's)."""
    key = Ed25519PrivateKey.from_private_bytes(seed) if seed else Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    return key, public


def discord_request(private_key: Ed25519PrivateKey, interaction: dict[str, Any], timestamp: int) -> Signed:
    """A signed interaction, as Discord sends it to the Interactions Endpoint URL."""
    body = json.dumps(interaction, separators=(",", ":")).encode()
    stamp = str(timestamp)
    headers = {
        "content-type": "application/json",
        "x-signature-timestamp": stamp,
        "x-signature-ed25519": private_key.sign(stamp.encode() + body).hex(),
    }
    return body, headers


def discord_ping(application_id: str = "100000000000000001") -> dict[str, Any]:
    return {"id": str(secrets.randbelow(10**18)), "application_id": application_id, "type": 1, "version": 1}


def discord_component(
    apps: ChatApps, message: Posted, custom_id: str, *, user_id: str, user_name: str, application_id: str
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction: a click on the button `custom_id` of `message`; its token is
    registered with the fakes, so the edit and the follow-up reach that message."""
    token = "itok_" + secrets.token_urlsafe(24)
    apps.interactions[token] = message
    return {
        "id": str(secrets.randbelow(10**18)),
        "application_id": application_id,
        "type": 3,
        "token": token,
        "version": 1,
        "channel_id": message.channel,
        "guild_id": "200000000000000002",
        "member": {"user": {"id": user_id, "username": user_name, "global_name": user_name}},
        "message": {"id": message.ref, **message.payload},
        "data": {"custom_id": custom_id, "component_type": 2},
    }


# --- Zoom Team Chat ------------------------------------------------------------------------------


def zoom_chat_request(secret_token: str, event: dict[str, Any], timestamp: int) -> Signed:
    """A signed chatbot event, as Zoom sends it to the bot endpoint URL."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json",
        "x-zm-request-timestamp": str(timestamp),
        "x-zm-signature": _hmac_v0(secret_token, timestamp, body),
    }
    return body, headers


def zoom_chat_action(value: str, *, user_id: str, user_name: str, message_id: str = "m1") -> dict[str, Any]:
    """An `interactive_message_actions` event: a click on a chatbot message's button whose value is `value`."""
    return {
        "event": "interactive_message_actions",
        "event_ts": 1,
        "payload": {
            "accountId": "acc_local",
            "robotJid": "bot@xmpp.zoom.us",
            "toJid": "channel@conference.xmpp.zoom.us",
            "userJid": f"{user_id}@xmpp.zoom.us",
            "userId": user_id,
            "userName": user_name,
            "messageId": message_id,
            "actionItem": {"text": "Next", "value": value, "action": "command"},
        },
    }
