"""What the OpenAPI document says about errors: one error schema, and every status a route answers.

The service answers every error as `{"error", "reason", ...}` (app/core/errors.py), 422 included, so the
document must not advertise FastAPI's `{"detail": [...]}`. Statuses that come from shared parts
(the bearer token, the event in the path, the Idempotency-Key header, the edge gate in
app/api/text_guard.py) are derived here from each route's dependencies, so a new route documents
them without repeating them; a route declares only what its own handler answers (`responses=`,
with the sets below).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every error the service answers. Some errors add fields of their own next to these "
    "(e.g. `state` on a refused host action, `problems` on an invalid schedule, `checks` on /readyz).",
    "required": ["error", "reason"],
    "properties": {
        "error": {"type": "string", "description": "a stable code: not_found, conflict, invalid_request, ..."},
        "reason": {"type": "string", "description": "what is wrong and what to do about it, for a person"},
        "details": {
            "type": "array",
            "description": "invalid_request: one entry per problem found",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}
ERROR_CONTENT = {"application/json": {"schema": ERROR_REF}}
EXEMPT_FROM_GATE = ("/webhooks/",)  # app/api/text_guard.py leaves Zoom's signed deliveries alone

Responses = dict[int | str, dict[str, Any]]


def error(description: str, **headers: str) -> dict[str, Any]:
    """A documented error answer: `description`, with the error schema as its body, and the headers
    it always carries (name with `_` for `-`: description)."""
    answer: dict[str, Any] = {"description": description, "content": ERROR_CONTENT}
    if headers:
        answer["headers"] = {
            name.replace("_", "-"): {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return answer


# Reusable sets for `responses=` on routes (what a handler itself answers).
NOT_RECORDED: Responses = {503: error("the database is not available: nothing was recorded (retry)")}
BAD_GATEWAY: Responses = {502: error("Zoom refused or could not be reached; nothing was changed here")}
ACTION_REFUSALS: Responses = {
    404: error("unknown segment, timer, person or target"),
    409: error("refused in the current state (the answer carries `state`)"),
    422: error("invalid body, or an Idempotency-Key reused for another request"),
    **NOT_RECORDED,
}


def event_stream(event: str, data: str) -> Responses:
    """A server-sent-event stream whose events are all `event`, with `data` JSON (OpenAPI 3.1:
    the schema of a text/event-stream describes one event)."""
    one_event = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": [event]},
            "data": {"type": "string", "contentMediaType": "application/json", "description": data},
            "retry": {"type": "integer", "description": "milliseconds a client waits before it reconnects"},
        },
    }
    return {
        200: {
            "description": f"`event: {event}` on connect and after every change; comments keep the stream alive",
            "content": {"text/event-stream": {"schema": one_event}},
        }
    }


HTML_NOT_FOUND: Responses = {
    404: {"description": "no such event (an HTML page)", "content": {"text/html": {"schema": {"type": "string"}}}}
}

# Statuses a shared dependency answers, whatever the route: by the dependency's name.
_FROM_DEPENDENCIES: dict[str, Responses] = {
    "HTTPBearer": {
        401: error(
            "no valid bearer token (or stream ticket): create one with `showcaller token create`",
            WWW_Authenticate="`Bearer`",
        ),
        403: error("the token's role is not enough, or the token opens another event only"),
    },
    "valid_event": {
        404: error("no such event"),
        409: error("the event is quarantined (`quarantined: true`): load a corrected schedule or repair it"),
    },
    "idempotency": {422: error("Idempotency-Key is not 1 to 200 printable ASCII characters")},
}
_GATE: Responses = {
    422: error("invalid request: a parameter or body field (`details` names each one)"),
}
_TOO_LARGE: Responses = {413: error("the body is over the size this route accepts")}
_UNREADABLE: Responses = {400: error("the body cannot be read as UTF-8 JSON")}  # FastAPI's own check


def _dependency_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        call = dependant.call
        if call is not None:
            names.add(getattr(call, "__name__", type(call).__name__))
        stack.extend(dependant.dependencies)
    return names


def _has_body(route: APIRoute) -> bool:
    return route.body_field is not None or "requestBody" in (route.openapi_extra or {})


def derived(route: APIRoute) -> Responses:
    """The error statuses a route answers because of its dependencies, parameters and body."""
    found: Responses = {}
    for name in _dependency_names(route):
        found.update(_FROM_DEPENDENCIES.get(name, {}))
    if not route.path.startswith(EXEMPT_FROM_GATE):
        found.update(_GATE)  # the gate checks every query string and JSON body, declared or not
        if _has_body(route):
            found.update(_TOO_LARGE)
    if route.body_field is not None:
        found.update(_UNREADABLE)
    return found


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every API route, also inside included routers (which FastAPI may keep as a lazy wrapper)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(getattr(route, "original_router", None), "routes", None)
        if included is not None:
            yield from _api_routes(included)


def _document(operation: dict[str, Any], route: APIRoute) -> None:
    """Add the derived statuses a route does not declare itself; every error gets the error schema
    (FastAPI's own 422 `{"detail": [...]}` included, which this service never answers)."""
    responses = operation.setdefault("responses", {})
    if responses.get("422", {}).get("description") == "Validation Error":  # FastAPI's own
        responses["422"] = dict(_GATE[422])
    for status, spec in derived(route).items():
        declared = responses.setdefault(str(status), dict(spec))
        said = declared.get("description", "")
        if spec["description"] not in said:  # the route and a shared part both answer it: say both
            declared["description"] = f"{said}; or {spec['description']}" if said else spec["description"]
    for status, spec in responses.items():
        if status[0] not in "45":
            continue
        content = spec.get("content")
        if not content or "HTTPValidationError" in str(content):
            spec["content"] = ERROR_CONTENT


def install(app: FastAPI) -> None:
    """Make the served OpenAPI document tell what the service answers: the one error schema, and
    the statuses each route answers (derived from its dependencies, or declared with `responses=`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            paths = schema.get("paths", {})
            for route in _api_routes(app.routes):
                for method in (route.methods or set()) if route.include_in_schema else ():
                    operation = paths.get(route.path_format, {}).get(method.lower())
                    if operation is None:
                        raise RuntimeError(f"{method} {route.path_format} is not in the OpenAPI document")
                    _document(operation, route)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Error"] = ERROR_SCHEMA
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
