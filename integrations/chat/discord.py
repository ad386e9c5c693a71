"""Discord Interactions Endpoint: Ed25519-signed interactions, and the webhook calls that answer them.

Discord signs each interaction with the application's key pair
(https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers):
`X-Signature-Ed25519` is the hex Ed25519 signature of `X-Signature-Timestamp` + the raw body, checked
with the application's public key (hex, from the Developer Portal). Discord sets no freshness
window; a timestamp more than five minutes from now is refused here too, so an old request
cannot be replayed. A PING (type 1) is answered PONG; a button press (type 3) first with a deferred
update (type 6), then the original message is edited through the interaction's webhook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from integrations.chat import Click, ClickRejected

PLATFORM = "discord"
WINDOW = 5 * 60
SIGNATURE, TIMESTAMP = "x-signature-ed25519", "x-signature-timestamp"
PING, MESSAGE_COMPONENT = 1, 3
PONG, DEFERRED_UPDATE_MESSAGE = 1, 6
EPHEMERAL = 1 << 6


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def check_fresh(headers: Mapping[str, str], now: float) -> None:
    """Raise unless the request carries a signature and a timestamp within the window."""
    stamp, signature = _header(headers, TIMESTAMP), _header(headers, SIGNATURE)
    if not signature or not stamp:
        raise ClickRejected("no X-Signature-Ed25519 or X-Signature-Timestamp header")
    if not stamp.strip().isdigit():
        raise ClickRejected("X-Signature-Timestamp is not Unix seconds")
    if abs(now - int(stamp)) > WINDOW:
        raise ClickRejected("X-Signature-Timestamp is more than 5 minutes from now (a replay, or a wrong clock)")


def verify(public_key_hex: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Raise ClickRejected unless `body` is signed by the application whose public key this is."""
    check_fresh(headers, now)
    stamp, signature = _header(headers, TIMESTAMP) or "", _header(headers, SIGNATURE) or ""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature), stamp.encode() + body)
    except (ValueError, InvalidSignature):
        raise ClickRejected(
            "X-Signature-Ed25519 does not match the body (check the application's public key)"
        ) from None


def parse(body: bytes) -> dict[str, Any]:
    """The interaction JSON (verified first)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise ClickRejected("the body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), int):
        raise ClickRejected("the body is not a Discord interaction")
    return data


def click_of(interaction: dict[str, Any]) -> Click | None:
    """The button press a MESSAGE_COMPONENT interaction carries; None for anything else."""
    if interaction.get("type") != MESSAGE_COMPONENT:
        return None
    data = interaction.get("data") or {}
    user = (interaction.get("member") or {}).get("user") or interaction.get("user") or {}
    if not isinstance(data.get("custom_id"), str) or not user.get("id"):
        return None
    return Click(
        platform=PLATFORM,
        user_id=str(user["id"]),
        user_name=str(user.get("global_name") or user.get("username") or user["id"]),
        reference=data["custom_id"],
        request_key=f"discord:{interaction.get('id', '')}",
        reply={
            "application_id": str(interaction.get("application_id", "")),
            "token": str(interaction.get("token", "")),
        },
    )


def api_base(webhook_url: str) -> str:
    """Discord's API root from a webhook URL (`https://discord.com/api/webhooks/…` -> `…/api`)."""
    head, found, _ = webhook_url.partition("/webhooks/")
    return head if found else "https://discord.com/api/v10"


async def _call(http: httpx.AsyncClient, method: str, url: str, body: dict[str, Any]) -> bool:
    try:
        response = await http.request(method, url, json=body, timeout=10.0)
    except httpx.HTTPError:
        return False
    return response.is_success


async def edit_original(http: httpx.AsyncClient, api: str, click: Click, result: str) -> bool:
    """Edit the clicked message: the result as its content, its buttons gone."""
    reply = click.reply
    url = f"{api}/webhooks/{reply['application_id']}/{reply['token']}/messages/@original"
    return await _call(http, "PATCH", url, {"content": result[:2000], "components": []})


async def tell(http: httpx.AsyncClient, api: str, click: Click, text: str) -> bool:
    """A follow-up only the clicker sees (a refusal, "already moved")."""
    reply = click.reply
    url = f"{api}/webhooks/{reply['application_id']}/{reply['token']}"
    body = {"content": text[:2000], "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}
    return await _call(http, "POST", url, body)
