"""POST /chat/{slack,discord,zoom_chat}/interactions: the chat tools' signed button callbacks.

Each route verifies the request against the secrets of the loaded events' targets in mode app
(401 JSON with the reason otherwise, nothing acted), answers at once (the tools wait 3 s at most),
and leaves the click to `app/run/chat_clicks.py`, which carries it out after the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import get_runtime
from app.api.openapi import error
from app.core.errors import ChatCallbackInvalid, ChatCallbackRejected
from integrations.chat import ClickRejected
from integrations.chat import discord as discord_api
from integrations.chat import slack as slack_api
from integrations.chat import zoom_chat as zoom_chat_api

router = APIRouter(prefix="/chat", tags=["chat buttons"])

_REFUSED: dict[int | str, dict] = {
    401: error("the signature, its timestamp (5 minutes) or the app does not verify: nothing done")
}


async def _verified(
    request: Request, platform: str, verify: Callable, parse: Callable[[bytes], Any]
) -> tuple[Any, Any]:
    """The request's signed identity and its parsed body, or 401 with the reason (nothing done)."""
    body = await request.body()
    try:
        signed = get_runtime(request).chat_clicks.verify(platform, verify, dict(request.headers), body)
        return signed, parse(body)
    except ClickRejected as exc:
        raise ChatCallbackRejected(exc.reason) from None


def _header(name: str, text: str) -> dict:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}


@router.post(
    "/slack/interactions",
    summary="Slack app interactivity (Request URL): button clicks, signed with the app's signing secret",
    status_code=200,
    responses={200: {"description": "acknowledged; the click is carried out just after"}, **_REFUSED},
    openapi_extra={
        "parameters": [
            _header("x-slack-signature", "v0=HMAC-SHA256(signing secret, 'v0:' + timestamp + ':' + body)"),
            _header("x-slack-request-timestamp", "Unix seconds; refused when 5 minutes from now"),
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": {"payload": {"type": "string"}}}
                }
            },
        },
    },
)
async def slack_interactions(request: Request) -> Response:
    signed, click = await _verified(request, slack_api.PLATFORM, slack_api.verify, slack_api.parse)
    if click is not None:
        get_runtime(request).chat_clicks.accept(click, signed)
    return Response(status_code=200)  # an empty 200: Slack's acknowledgement


@router.post(
    "/discord/interactions",
    summary="Discord Interactions Endpoint: PING and button clicks, signed with Ed25519",
    responses={
        200: {"description": "PONG (type 1) to a PING; a deferred update (type 6) to a click, carried out just after"},
        400: error("not a Discord interaction"),
        **_REFUSED,
    },
    openapi_extra={
        "parameters": [
            _header("x-signature-ed25519", "hex Ed25519 signature of timestamp + body"),
            _header("x-signature-timestamp", "Unix seconds; refused when 5 minutes from now"),
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
async def discord_interactions(request: Request) -> Response:
    signed, interaction = await _verified(request, discord_api.PLATFORM, discord_api.verify, discord_api.parse)
    if interaction["type"] == discord_api.PING:
        return JSONResponse({"type": discord_api.PONG})
    click = discord_api.click_of(interaction)
    if click is None:
        raise ChatCallbackInvalid("only PING and button interactions are answered here")
    get_runtime(request).chat_clicks.accept(click, signed)
    return JSONResponse({"type": discord_api.DEFERRED_UPDATE_MESSAGE})


@router.post(
    "/zoom_chat/interactions",
    summary="Zoom Team Chat chatbot: interactive_message_actions, signed like Zoom's meeting webhooks",
    responses={200: {"description": "acknowledged; the click is carried out just after"}, **_REFUSED},
    openapi_extra={
        "parameters": [
            _header("x-zm-signature", "v0=HMAC-SHA256(secret token, 'v0:' + timestamp + ':' + body)"),
            _header("x-zm-request-timestamp", "Unix seconds; refused when 5 minutes from now"),
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
async def zoom_chat_interactions(request: Request) -> Response:
    signed, event = await _verified(request, zoom_chat_api.PLATFORM, zoom_chat_api.verify, zoom_chat_api.parse)
    click = zoom_chat_api.click_of(event)
    if click is not None:
        get_runtime(request).chat_clicks.accept(click, signed)
    return JSONResponse({"status": "accepted"})


def include(app: FastAPI) -> None:
    """Mount the chat tools' button callbacks."""
    app.include_router(router)
