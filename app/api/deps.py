"""Dependencies for routes: the runtime, the caller's role, and the event a path names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import Conflict, Forbidden, NotFound, Unauthorized
from app.runtime import Runtime
from app.store import tokens_repo

_bearer = HTTPBearer(auto_error=False, description="A token from `showcaller token create`")
RANK = {"viewer": 0, "host": 1, "organiser": 2}


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@dataclass(frozen=True)
class Caller:
    """Who is calling: token name and role."""

    name: str
    role: str


async def current_caller(runtime: RuntimeDep,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """Resolve the bearer token: the header only (never the URL, which ends up in logs); browser
    event streams use a single-use ticket instead (see stream_caller)."""
    token = credentials.credentials if credentials else None
    if not token:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    async with runtime.db.begin() as conn:
        row = await tokens_repo.find_token(conn, token)
    if row is None:
        raise Unauthorized("unknown or revoked token; create one with `showcaller token create`")
    return Caller(row.name, row.role)


def require(role: str):
    """A dependency that lets callers with at least `role` through (401 vs 403 told apart)."""

    async def _check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if RANK[caller.role] < RANK[role]:
            raise Forbidden(f"this needs the '{role}' role; your token '{caller.name}' is '{caller.role}'")
        return caller

    return _check


Viewer = Annotated[Caller, Depends(require("viewer"))]
Host = Annotated[Caller, Depends(require("host"))]
Organiser = Annotated[Caller, Depends(require("organiser"))]


def valid_event(event_id: str, runtime: RuntimeDep) -> str:
    """The path's event id, or 404."""
    if event_id in runtime.quarantined:
        raise Conflict(f"event '{event_id}' is quarantined: {runtime.quarantined[event_id]}; "
                       f"load a corrected schedule, or run `showcaller events repair {event_id}` "
                       f"or `showcaller events remove {event_id}`", quarantined=True)
    if event_id not in runtime.engine.event_ids():
        known = ", ".join(runtime.engine.event_ids()) or "none loaded"
        raise NotFound(f"no event '{event_id}' (loaded: {known})")
    return event_id


EventId = Annotated[str, Depends(valid_event)]


async def stream_caller(event_id: str, runtime: RuntimeDep, request: Request,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """A viewer of an event stream: the bearer header, or `?ticket=` from POST .../stream/ticket."""
    if credentials is not None:
        return await require("viewer")(await current_caller(runtime, credentials))
    ticket = request.query_params.get("ticket")
    if not ticket:
        raise Unauthorized("missing bearer token or stream ticket: POST /api/events/{id}/stream/ticket first")
    caller = request.app.state.stream_tickets.redeem(ticket, event_id)
    if caller is None:
        raise Unauthorized("unknown, used or expired stream ticket: ask for a new one")
    return caller


StreamViewer = Annotated[Caller, Depends(stream_caller)]
