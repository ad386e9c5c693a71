"""Local receivers: stand-ins for Slack, Teams, Zoom Team Chat, Discord and signed webhooks.

Each path checks the payload like the real service, answers like it, records what arrived in
`app.state.inbox`, and prints what a person would see. Faults can be injected for tests.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from rich.console import Console

from integrations.notifiers.errors import SignatureError
from integrations.notifiers.signing import verify_signature
from integrations.receivers import shapes
from integrations.receivers.chat_apps import ChatApps, mount
from integrations.receivers.display import show
from integrations.receivers.faults import FaultBook, FaultRequest
from integrations.receivers.inbox import Inbox, ReceivedMessage, shown_headers

MAX_BODY = 1024 * 1024
KINDS = ("slack", "teams", "zoom_chat", "discord", "webhook")

Sink = Callable[[ReceivedMessage], Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _answer(status: int, body: Any, media_type: str) -> Response:
    if media_type == "application/json":
        return JSONResponse(body, status_code=status)
    return PlainTextResponse(str(body), status_code=status)


class _Receivers:
    """The state and request handling behind the FastAPI routes."""

    def __init__(
        self,
        secrets: Mapping[str, str],
        zoom_chat_token: str | None,
        webhook_secret: str | None,
        sink: Sink | None,
        console: Console | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.secrets = {"/" + k.strip("/"): v for k, v in secrets.items()}
        self.defaults = {"zoom_chat": zoom_chat_token, "webhook": webhook_secret}
        self.sink = sink
        self.console = console
        self.clock = clock
        self.inbox = Inbox()
        self.faults = FaultBook()

    def credential(self, kind: str, path: str) -> str | None:
        return self.secrets.get(path) or self.defaults.get(kind)

    async def handle(self, kind: str, channel: str, request: Request) -> Response:
        path = f"/{kind}/{channel}"
        now = self.clock()
        fault = self.faults.take(path, now)
        if fault is not None:
            headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
            return PlainTextResponse(fault.body, status_code=fault.status, headers=headers)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request_too_large", status_code=413)
        headers = dict(request.headers)
        try:
            verified, message_id = self.authenticate(kind, path, body, headers, now)
            if message_id and self.inbox.seen(path, message_id) is not None:
                return Response(status_code=204)
            data, text = self.parse(kind, body, request.query_params.get("format", "message"))
        except shapes.Refusal as refusal:
            return _answer(refusal.status, refusal.body, refusal.media_type)
        message = ReceivedMessage(
            kind=kind,
            channel=channel,
            headers=shown_headers(headers),
            json=data,
            received_at=now,
            text=text,
            body=body.decode("utf-8", errors="replace") if data is None else "",
            message_id=message_id,
            verified=verified,
        )
        self.inbox.add(path, message)
        await self.deliver(message)
        return self.success(kind, message, request)

    def authenticate(
        self, kind: str, path: str, body: bytes, headers: dict[str, str], now: datetime
    ) -> tuple[bool, str | None]:
        """(verified?, message id); raises Refusal(401) when a configured credential fails."""
        secret = self.credential(kind, path)
        if kind == "webhook":
            message_id = headers.get("webhook-id")
            if secret is None:
                return False, message_id
            try:
                return True, verify_signature(secret, body, headers, now=now)
            except SignatureError as exc:
                raise shapes.Refusal(401, f"invalid signature: {exc}", "text/plain") from None
        if kind == "zoom_chat" and secret is not None:
            given = headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                raise shapes.Refusal(401, {"code": 124, "message": "Invalid verification token."})
            return True, None
        return False, None

    @staticmethod
    def parse(kind: str, body: bytes, fmt: str) -> tuple[Any, str]:
        if kind == "zoom_chat":
            return shapes.zoom_chat(body, fmt)
        return getattr(shapes, kind)(body)

    async def deliver(self, message: ReceivedMessage) -> None:
        if self.console is not None:
            show(self.console, message)
        if self.sink is not None:
            result = self.sink(message)
            if inspect.isawaitable(result):
                await result

    @staticmethod
    def success(kind: str, message: ReceivedMessage, request: Request) -> Response:
        if kind == "slack":
            return PlainTextResponse("ok")
        if kind == "teams":
            return Response(status_code=202)
        if kind == "zoom_chat":
            return JSONResponse({"status": "success", "channel": message.channel})
        if kind == "discord" and request.query_params.get("wait") == "true":
            return JSONResponse({"id": str(len(request.app.state.inbox)), **(message.json or {})})
        return Response(status_code=204)


def create_receivers(
    *,
    secrets: Mapping[str, str] | None = None,
    zoom_chat_token: str | None = None,
    webhook_secret: str | None = None,
    sink: Sink | None = None,
    console: Console | None = None,
    clock: Callable[[], datetime] = _utc_now,
    slack_bot_token: str | None = None,
    on_chat_post: Callable[[Any], None] | None = None,
) -> FastAPI:
    """Build the receivers app.

    `secrets` maps a path ("/webhook/ops", "/zoom_chat/hosts") to its signing secret or
    verification token; `zoom_chat_token` / `webhook_secret` apply to paths not listed. A path
    with no credential accepts unauthenticated requests (recorded with verified=False).
    `sink` (sync or async) is called with each accepted ReceivedMessage; `console`, when given,
    prints each one as a panel. The chat apps' fakes (`/slack-api/...`, `/discord-api/...`) are
    `app.state.chat_apps`; `slack_bot_token`, when given, is the bot token the Slack fake requires;
    `on_chat_post` is called with each message posted to them.
    """
    state = _Receivers(secrets or {}, zoom_chat_token, webhook_secret, sink, console, clock)
    app = FastAPI(title="Showcaller local receivers", docs_url=None, redoc_url=None)
    app.state.receivers = state
    app.state.inbox = state.inbox.messages
    app.state.faults = state.faults
    app.state.chat_apps = ChatApps(state.inbox, clock, slack_bot_token=slack_bot_token, on_post=on_chat_post)
    mount(app, app.state.chat_apps)

    for kind in KINDS:
        app.add_api_route(f"/{kind}/{{channel}}", _route(state, kind), methods=["POST"], name=f"receive_{kind}")

    @app.get("/_received")
    async def received(kind: str | None = None, channel: str | None = None) -> dict[str, Any]:
        messages = state.inbox.select(kind, channel)
        return {
            "count": len(messages),
            "duplicates": state.inbox.duplicates,
            "messages": [m.to_dict() for m in messages],
        }

    @app.delete("/_received", status_code=204)
    async def clear_received() -> None:
        state.inbox.clear()

    @app.post("/_faults", status_code=201)
    async def add_fault(req: FaultRequest) -> dict[str, Any]:
        return state.faults.add(req, state.clock()).to_dict()

    @app.get("/_faults")
    async def list_faults() -> list[dict[str, Any]]:
        return [f.to_dict() for f in state.faults.faults]

    @app.delete("/_faults", status_code=204)
    async def clear_faults() -> None:
        state.faults.clear()

    @app.get("/_health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _route(state: _Receivers, kind: str) -> Callable[[str, Request], Any]:
    async def receive(channel: str, request: Request) -> Response:
        return await state.handle(kind, channel, request)

    receive.__name__ = f"receive_{kind}"
    return receive
