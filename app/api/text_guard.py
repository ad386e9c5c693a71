"""The text rule at the API's edge: every JSON body and query string, before any route sees it.

A middleware rather than a validator on each model, so a body added later (or one read by hand) is
covered too. Zoom webhooks are exempt: they are signed, stored verbatim and neutralised later
(app/attendance), because refusing a participant's join would lose attendance.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.text_rules import dotted, problems

EXEMPT = ("/webhooks/",)
MAX_JSON_BYTES = 1024 * 1024  # no JSON body of this API comes near it


def _refusal(found: list[tuple[str, str]]) -> JSONResponse:
    details = [{"field": field, "message": message} for field, message in found]
    first = details[0]
    return JSONResponse(
        {"error": "invalid_request", "reason": f"{first['field']}: {first['message']}", "details": details},
        status_code=422,
    )


class TextGuard:
    """Answers 422 naming the field when a JSON body or query parameter breaks the text rule."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        found = [
            (f"query.{dotted(path)}", message)
            for path, message in problems(
                dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            )
        ]
        headers = dict(scope.get("headers") or [])
        is_json = b"json" in headers.get(b"content-type", b"")
        if found or not is_json or scope["method"] not in ("POST", "PUT", "PATCH"):
            if found:
                await _refusal(found)(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BYTES:
                await JSONResponse(
                    {"error": "payload_too_large", "reason": f"a JSON body may be at most {MAX_JSON_BYTES} bytes"},
                    status_code=413,
                )(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            value = json.loads(body) if body else None
        except (ValueError, RecursionError):
            value = None  # not JSON: the route's own validation answers that
        try:
            found = [(f"body.{dotted(path)}" if path else "body", message) for path, message in problems(value)]
        except RecursionError:
            found = [("body", "nested too deeply")]
        if found:
            await _refusal(found)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
