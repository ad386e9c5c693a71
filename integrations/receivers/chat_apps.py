"""Local fakes of the chat apps' APIs: Slack's Web API and a Discord application's webhooks.

A target in mode app posts here instead of the real service (`/slack-api` for
https://slack.com/api, `/discord-api` for https://discord.com/api). Each call is checked like the
real one (the bot token, the Block Kit blocks, the channel), answered like it, and recorded:
`posted` (every message, with the `ts` or id it was given, as it looks now), `updates` (each
`chat.update` or edit of the original message) and `replies` (ephemeral answers to one user).
The click simulators (`integrations/receivers/clicks.py`) press the buttons of the recorded messages.
"""

from __future__ import annotations

import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from integrations.receivers import shapes
from integrations.receivers.inbox import Inbox, ReceivedMessage, shown_headers

SLACK_API, DISCORD_API = "/slack-api", "/discord-api"


@dataclass
class Posted:
    """A message as the chat tool holds it now: `ref` is Slack's ts or Discord's message id."""

    kind: str
    channel: str
    ref: str
    payload: dict[str, Any]
    edits: int = 0


@dataclass
class ChatApps:
    """What the fakes remember, and the credentials they check (None: not checked)."""

    inbox: Inbox
    clock: Callable[[], datetime]
    slack_bot_token: str | None = None
    on_post: Callable[[Posted], None] | None = None  # called as each message is posted (the demo's press)
    posted: list[Posted] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    # Discord: the interaction tokens the simulator handed out -> the message they were pressed on.
    interactions: dict[str, Posted] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def find(self, kind: str, channel: str | None = None) -> list[Posted]:
        return [p for p in self.posted if p.kind == kind and (channel is None or p.channel == channel)]

    def message(self, kind: str, ref: str) -> Posted | None:
        return next((p for p in self.posted if p.kind == kind and p.ref == ref), None)

    # --- Slack ---------------------------------------------------------------------------------

    def slack_auth(self, request: Request) -> dict[str, Any] | None:
        """Slack's answer to a missing or wrong bot token, or None when it passes."""
        given = request.headers.get("authorization", "")
        if not given.startswith("Bearer "):
            return {"ok": False, "error": "not_authed"}
        if self.slack_bot_token is not None and not hmac.compare_digest(
            given.removeprefix("Bearer ").encode(), self.slack_bot_token.encode()
        ):
            return {"ok": False, "error": "invalid_auth"}
        return None

    async def slack(self, method: str, request: Request) -> Response:
        refused = self.slack_auth(request)
        if refused is not None:
            return JSONResponse(refused)
        body = await request.body()
        try:
            data = json.loads(body)
        except ValueError:
            return JSONResponse({"ok": False, "error": "invalid_json"})
        if not isinstance(data, dict) or not data.get("channel"):
            return JSONResponse({"ok": False, "error": "channel_not_found"})
        channel = str(data["channel"])
        if method == "chat.postEphemeral":
            if not data.get("user") or not data.get("text"):
                return JSONResponse({"ok": False, "error": "invalid_arguments"})
            self.replies.append({"kind": "slack", "channel": channel, "user": data["user"], "text": data["text"]})
            return JSONResponse({"ok": True, "message_ts": self._ts()})
        try:
            _, text = shapes.slack(json.dumps({k: data[k] for k in ("text", "blocks") if k in data}).encode())
        except shapes.Refusal as refusal:
            return JSONResponse({"ok": False, "error": str(refusal.body).split(":")[0]})
        if method == "chat.postMessage":
            posted = Posted("slack", channel, self._ts(), data)
            self.posted.append(posted)
            if self.on_post is not None:
                self.on_post(posted)
            self._record("slack", channel, request, data, text, posted.ref)
            return JSONResponse({"ok": True, "channel": channel, "ts": posted.ref, "message": data})
        # chat.update
        found = self.message("slack", str(data.get("ts", "")))
        if found is None or found.channel != channel:
            return JSONResponse({"ok": False, "error": "message_not_found"})
        found.payload = {**found.payload, **{k: data[k] for k in ("text", "blocks") if k in data}}
        found.edits += 1
        self.updates.append({"kind": "slack", "channel": channel, "ref": found.ref, "text": text})
        return JSONResponse({"ok": True, "channel": channel, "ts": found.ref, "text": data.get("text", "")})

    def _ts(self) -> str:
        return f"{int(self.clock().timestamp())}.{next(self._ids):06d}"

    def _record(self, kind: str, channel: str, request: Request, data: Any, text: str, ref: str) -> None:
        self.inbox.add(
            f"/{kind}/{channel}",
            ReceivedMessage(
                kind=kind,
                channel=channel,
                headers=shown_headers(dict(request.headers)),
                json=data,
                received_at=self.clock(),
                text=text,
                message_id=ref,
                verified=True,
            ),
        )

    # --- Discord -------------------------------------------------------------------------------

    async def discord_execute(self, webhook_id: str, request: Request) -> Response:
        body = await request.body()
        try:
            data, text = shapes.discord(body)
        except shapes.Refusal as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status)
        posted = Posted("discord", webhook_id, str(next(self._ids)), data)
        self.posted.append(posted)
        self._record("discord", webhook_id, request, data, text, posted.ref)
        if request.query_params.get("wait") == "true":
            return JSONResponse({"id": posted.ref, "channel_id": webhook_id, **data})
        return Response(status_code=204)

    async def discord_edit(self, token: str, request: Request) -> Response:
        found = self.interactions.get(token)
        if found is None:
            return JSONResponse({"message": "Unknown Webhook", "code": 10015}, status_code=404)
        data = json.loads(await request.body() or b"{}")
        found.payload = {**found.payload, **data}
        found.edits += 1
        self.updates.append(
            {"kind": "discord", "channel": found.channel, "ref": found.ref, "text": data.get("content")}
        )
        return JSONResponse({"id": found.ref, **found.payload})

    async def discord_followup(self, token: str, request: Request) -> Response:
        found = self.interactions.get(token)
        if found is None:
            return JSONResponse({"message": "Unknown Webhook", "code": 10015}, status_code=404)
        data = json.loads(await request.body() or b"{}")
        self.replies.append({"kind": "discord", "channel": found.channel, "flags": data.get("flags"), **data})
        return JSONResponse({"id": str(next(self._ids)), **data})


def mount(app: FastAPI, apps: ChatApps) -> None:
    """Add the fakes' routes to the receivers app."""

    async def slack_method(method: str, request: Request) -> Response:
        if method not in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return JSONResponse({"ok": False, "error": "unknown_method"})
        return await apps.slack(method, request)

    async def discord_execute(webhook_id: str, token: str, request: Request) -> Response:
        # A follow-up to an interaction is a POST to its webhook (application id, interaction token).
        if token in apps.interactions:
            return await apps.discord_followup(token, request)
        return await apps.discord_execute(webhook_id, request)

    async def discord_edit(application_id: str, token: str, request: Request) -> Response:  # noqa: ARG001
        return await apps.discord_edit(token, request)

    app.add_api_route(f"{SLACK_API}/{{method}}", slack_method, methods=["POST"])
    app.add_api_route(f"{DISCORD_API}/webhooks/{{webhook_id}}/{{token}}", discord_execute, methods=["POST"])
    app.add_api_route(
        f"{DISCORD_API}/webhooks/{{application_id}}/{{token}}/messages/@original", discord_edit, methods=["PATCH"]
    )
