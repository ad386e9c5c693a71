"""The input gate: every HTTP request passes it before any route, or the 404, sees it.

It does three things, in this order, for every path (unknown ones included):

1. The text rule on the path's parameters and the query string (422 naming `path.<name>`,
   `query.<name>`), so NUL never reaches a route (PostgreSQL refuses it with a 500).
2. A body-size limit by route class, enforced while reading: a declared `Content-Length` over the
   limit is refused before a byte is read, a chunked body as soon as the running total passes it,
   and nothing past the limit is ever buffered (413 `payload_too_large`, naming the setting). When
   more than DRAIN_BYTES may still be coming, the connection is closed after the answer rather than
   read to its end.
3. The text rule on every body that parses as JSON, whatever its content type says (422 naming the
   field, e.g. `body.targets.1`). FastAPI parses a body as JSON when it has no content type or any
   spelling of `application/json` or `application/...+json`; checking every body that *is* JSON
   covers all of those without depending on how a client spells the header. No route takes forms.

Classes: schedule uploads (`SHOWCALLER_MAX_SCHEDULE_BYTES`; the schedule loader applies the text
rule to the YAML itself), Zoom webhooks under /webhooks/ (`SHOWCALLER_MAX_WEBHOOK_BODY_BYTES`; exempt
from the text rule: they are signed, stored verbatim and neutralised later in app/attendance,
because refusing a participant's join would lose attendance; the chat tools' signed button
callbacks under /chat/ are in the same class), JSON actions, the routes whose
OpenAPI operation has a JSON body (`SHOWCALLER_MAX_JSON_BODY_BYTES`), and everything else, unknown
paths included (`SHOWCALLER_MAX_OTHER_BODY_BYTES`, small). The table of routes comes from the app's
OpenAPI description, built once on the first request.

Pure ASGI on purpose: a BaseHTTPMiddleware would read through Starlette's request machinery and
cannot refuse before the body is read.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.text_rules import dotted, first_forbidden, problems

WEBHOOKS = "/webhooks/"
CHAT_CALLBACKS = "/chat/"  # Slack, Discord and Zoom Chat button callbacks: signed like webhooks
UPLOADS = {("POST", "/api/events")}  # the body is a schedule file (YAML), parsed in a child process
UPLOAD, WEBHOOK, JSON_ACTION, OTHER = "upload", "webhook", "json", "other"
# Past a body's limit, what the server still reads and drops so that the client sees the 413 on a
# kept connection; a body that may be longer gets its 413 with the connection closed instead.
DRAIN_BYTES = 1024 * 1024
CLASSIFIED = 4096  # (method, path) classifications kept
_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


@dataclass(frozen=True)
class Limits:
    """Bytes a body may have, by route class (each one a setting)."""

    upload: int
    webhook: int
    json: int
    other: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.max_schedule_bytes,
            settings.max_webhook_body_bytes,
            settings.max_json_body_bytes,
            settings.max_other_body_bytes,
        )

    def reason(self, kind: str) -> tuple[int, str]:
        limit = getattr(self, kind)
        if kind == UPLOAD:
            return limit, (
                f"the schedule is over {limit} bytes (SHOWCALLER_MAX_SCHEDULE_BYTES); "
                "split the event or remove what it does not need"
            )
        setting = {WEBHOOK: "WEBHOOK", JSON_ACTION: "JSON", OTHER: "OTHER"}[kind]
        what = {WEBHOOK: "a webhook body", JSON_ACTION: "a JSON body", OTHER: "a body to this path"}[kind]
        return limit, f"{what} may be at most {limit} bytes (SHOWCALLER_MAX_{setting}_BODY_BYTES)"


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    kind: str


def _is_json(media_type: str) -> bool:
    main, _, sub = media_type.split(";", 1)[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def route_table(openapi: dict[str, Any]) -> list[_Route]:
    """Every documented operation with its path as a regular expression, literal paths first."""
    routes = []
    for template, operations in openapi.get("paths", {}).items():
        regex = "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(_PARAM.split(template))
        )
        for method, operation in operations.items():
            method = method.upper()
            content = (operation.get("requestBody") or {}).get("content", {})
            if (method, template) in UPLOADS:
                kind = UPLOAD
            elif any(_is_json(media) for media in content):
                kind = JSON_ACTION
            else:
                kind = OTHER
            routes.append((template.count("{"), _Route(method, re.compile(regex + r"\Z"), kind)))
    routes.sort(key=lambda pair: pair[0])
    return [route for _, route in routes]


def _refusal(found: list[tuple[str, str]]) -> JSONResponse:
    details = [{"field": field, "message": message} for field, message in found]
    first = details[0]
    return JSONResponse(
        {"error": "invalid_request", "reason": f"{first['field']}: {first['message']}", "details": details},
        status_code=422,
    )


def _too_large(limit: int, reason: str, *, close: bool) -> JSONResponse:
    """413; with `close`, uvicorn closes the connection after it instead of reading the rest of the
    body on the event loop to throw it away (which, for 30 MB bodies, delayed cues by seconds)."""
    headers = {"connection": "close"} if close else None
    return JSONResponse(
        {"error": "payload_too_large", "reason": reason, "limit": limit}, status_code=413, headers=headers
    )


class InputGate:
    """Size limits by route class and the text rule on path, query and JSON body, before any route."""

    def __init__(self, app: ASGIApp, *, api: FastAPI, limits: Limits) -> None:
        self.app, self.api, self.limits = app, api, limits
        self._routes: list[_Route] | None = None
        # Every request is classified: the same paths come again and again (a console's polls, the
        # stream, /healthz), so the answers are kept, a bounded number of them.
        self.classify = functools.lru_cache(maxsize=CLASSIFIED)(self._classify)

    def _classify(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        """The route class of a request and its path parameters (none for an unknown path)."""
        if path.startswith((WEBHOOKS, CHAT_CALLBACKS)):
            return WEBHOOK, {}
        if self._routes is None:
            self._routes = route_table(self.api.openapi())
        params: dict[str, str] | None = None
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method == method:
                return route.kind, match.groupdict()
            if params is None:  # another method of a known path: 405, but its parameters are named
                params = match.groupdict()
        return OTHER, params or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        kind, params = self.classify(scope["method"], path)
        if kind != WEBHOOK:
            found = _path_problems(path, params) + _query_problems(scope.get("query_string", b""))
            if found:
                await _refusal(found)(scope, receive, send)
                return
        limit, reason = self.limits.reason(kind)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # A little over: the server drops the rest and the client reads the answer on a kept
            # connection. Far over: the rest is never read (a client still sending may see a reset).
            await _too_large(limit, reason, close=declared - limit > DRAIN_BYTES)(scope, receive, send)
            return
        if declared == 0 or (declared is None and not _chunked(scope)):
            await self.app(scope, receive, send)  # no body (a GET, mostly): nothing to read or check
            return
        if declared is not None and kind in (WEBHOOK, UPLOAD):
            # Its length is within the limit and the server reads no more than it declares; the text
            # rule is not the gate's here (webhooks are exempt, a schedule's loader applies it).
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # refused before this chunk is kept: never more than `limit` in memory
                await _too_large(limit, reason, close=more_coming(message))(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        del chunks
        if body and kind in (JSON_ACTION, OTHER):
            found = _body_problems(body)
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


def more_coming(message: Message) -> bool:
    """Whether a body that passed its limit may go on (with no length given, it may go on forever)."""
    return bool(message.get("more_body", False))


def _chunked(scope: Scope) -> bool:
    """Whether a body comes without a declared length (HTTP/1.1 chunked transfer encoding)."""
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers") or ())


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _path_problems(path: str, params: dict[str, str]) -> list[tuple[str, str]]:
    found = [(f"path.{name}", message) for name, value in params.items() for _, message in problems(value)]
    if not found and first_forbidden(path):  # an unknown path, or a page not in the API description
        found = [("path", message) for _, message in problems(path)]
    return found


def _query_problems(query: bytes) -> list[tuple[str, str]]:
    if not query:
        return []
    pairs = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    return [(f"query.{dotted(path)}", message) for path, message in problems(pairs)]


def _body_problems(body: bytes) -> list[tuple[str, str]]:
    """The text rule on a body that parses as JSON (the same `json.loads` Starlette's request.json()
    uses, so the same bytes); one that does not parse is left to the route's own validation."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return []
    try:
        return [(f"body.{dotted(path)}" if path else "body", message) for path, message in problems(value)]
    except RecursionError:
        return [("body", "nested too deeply")]
