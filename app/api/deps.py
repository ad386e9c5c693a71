"""Dependencies for routes: the started services, the caller's role, and the event a path names."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.stream_tickets import StreamTickets
from app.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.core.vocabulary import ROLE_RANK, HostRole
from app.run.service import Answer, Intent, RunService
from app.services import Services
from app.store import tokens_repo
from schedules import limits

_bearer = HTTPBearer(auto_error=False, description="A token from `showcaller token create`")
RANK = ROLE_RANK


def get_runtime(request: Request) -> Services:
    """The service the app's lifespan started (its state, copied into every request's)."""
    services: Services = request.state.services
    return services


async def _runtime(request: Request) -> Services:
    # The dependencies are coroutines because FastAPI runs a plain function in its thread pool:
    # two thread hops per request (and the GIL handed over each way) for reading an attribute.
    return get_runtime(request)


RuntimeDep = Annotated[Services, Depends(_runtime)]


def get_stream_tickets(request: Request) -> StreamTickets:
    """The web app's single-use stream tickets (lifespan state, like the services)."""
    tickets: StreamTickets = request.state.stream_tickets
    return tickets


async def _stream_tickets(request: Request) -> StreamTickets:
    return get_stream_tickets(request)


StreamTicketsDep = Annotated[StreamTickets, Depends(_stream_tickets)]


async def get_run(runtime: RuntimeDep) -> RunService:
    return runtime.run


RunDep = Annotated[RunService, Depends(get_run)]
MAX_KEY = limits.IDEMPOTENCY_KEY  # the store's column


async def idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="any unique string per user action (e.g. a UUID): a retry with the "
            "same key and body within 24 h gets the first answer again without acting twice",
        ),
    ] = None,
) -> Intent | None:
    """The request's Idempotency-Key with a fingerprint of what it asks (method, path, body)."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY or not key.isprintable() or not key.isascii():
        raise Invalid(f"Idempotency-Key: give 1 to {MAX_KEY} printable ASCII characters")
    raw = await request.body()
    try:
        body = json.dumps(json.loads(raw) if raw.strip() else {}, sort_keys=True, separators=(",", ":"))
    except ValueError:
        body = raw.decode("utf-8", errors="replace")
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n{body}".encode()).hexdigest()
    return Intent(key, digest)


IdempotencyKey = Annotated[Intent | None, Depends(idempotency)]


def respond(answer: Answer) -> JSONResponse:
    """An action's answer as HTTP (a replayed one says so in a header)."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


@dataclass(frozen=True)
class Caller:
    """Who is calling: token name and role (a stage token may be bound to one event and person)."""

    name: str
    role: HostRole
    event_id: str | None = None
    person: str | None = None
    token_id: str | None = None


async def current_caller(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    """Resolve the bearer token: the header only (never the URL, which ends up in logs); browser
    event streams use a single-use ticket instead (see stream_caller)."""
    token = credentials.credentials if credentials else None
    if not token:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    async with runtime.db.begin() as conn:
        row = await tokens_repo.find_token(conn, token)
    if row is None:
        raise Unauthorized("unknown or revoked token; create one with `showcaller token create`")
    return Caller(row.name, HostRole(row.role), row.event_id, row.person, row.id)


def require(role: HostRole):
    """A dependency that lets callers with at least `role` through (401 vs 403 told apart)."""

    async def _check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if RANK[caller.role] < RANK[role]:
            raise Forbidden(f"this needs the '{role}' role; your token '{caller.name}' is '{caller.role}'")
        return caller

    return _check


Viewer = Annotated[Caller, Depends(require(HostRole.VIEWER))]
Host = Annotated[Caller, Depends(require(HostRole.HOST))]
Organiser = Annotated[Caller, Depends(require(HostRole.ORGANISER))]


async def valid_event(event_id: str, runtime: RuntimeDep) -> str:
    """The path's event id, or 404 (an event still loading after a restart is loaded first)."""
    await runtime.engine.ensure_loaded(event_id)
    if event_id in runtime.quarantined:
        raise Conflict(
            f"event '{event_id}' is quarantined: {runtime.quarantined[event_id]}; "
            f"load a corrected schedule, or run `showcaller events repair {event_id}` "
            f"or `showcaller events remove {event_id}`",
            quarantined=True,
        )
    if event_id not in runtime.engine.event_ids():
        known = ", ".join(runtime.engine.event_ids()) or "none loaded"
        raise NotFound(f"no event '{event_id}' (loaded: {known})")
    return event_id


EventId = Annotated[str, Depends(valid_event)]


def _for_event(caller: Caller, event_id: str) -> Caller:
    """A token made for one event (a presenter link) opens only that event."""
    if caller.event_id is not None and caller.event_id != event_id:
        raise Forbidden(f"this {caller.role} token '{caller.name}' opens only the event '{caller.event_id}'")
    return caller


async def _stage_reader(event_id: EventId, caller: Annotated[Caller, Depends(require(HostRole.STAGE))]) -> Caller:
    return _for_event(caller, event_id)


# The presenter view: any token, but a stage token only for the event it was made for.
StageReader = Annotated[Caller, Depends(_stage_reader)]


def stream_caller(role: HostRole):
    """A reader of an event stream with at least `role`: the bearer header, or `?ticket=` from
    POST .../stream/ticket (EventSource cannot send a header, and a token in a URL ends up in logs)."""

    async def _check(
        event_id: str,
        runtime: RuntimeDep,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        if credentials is not None:
            caller = await require(role)(await current_caller(runtime, credentials))
            return _for_event(caller, event_id)
        ticket = request.query_params.get("ticket")
        if not ticket:
            raise Unauthorized("missing bearer token or stream ticket: POST /api/events/{id}/stream/ticket first")
        row = await get_stream_tickets(request).redeem(runtime.db, ticket, event_id)
        if row is None:
            raise Unauthorized("unknown, used or expired stream ticket: ask for a new one")
        caller = Caller(row.name, row.role, row.event_id, row.person, row.id)
        if RANK[caller.role] < RANK[role]:
            raise Forbidden(
                f"this stream needs the '{role}' role; the ticket's token '{caller.name}' is '{caller.role}'"
            )
        return caller

    return _check


StreamViewer = Annotated[Caller, Depends(stream_caller(HostRole.VIEWER))]
StageStreamReader = Annotated[Caller, Depends(stream_caller(HostRole.STAGE))]


def deck_caller(role: HostRole):
    """A deck token, or a caller with at least `role` (the deck routes: run control for keys, read by
    viewers too); a deck token made for one event opens only that event."""

    async def _check(event_id: EventId, caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role != HostRole.DECK and RANK[caller.role] < RANK[role]:
            raise Forbidden(
                f"this needs a '{HostRole.DECK}' token or the '{role}' role; "
                f"your token '{caller.name}' is '{caller.role}'"
            )
        return _for_event(caller, event_id)

    return _check


# The deck surface (app/api/deck.py): its actions take a deck token or a host; its state a deck token
# or a viewer. Every other route refuses a deck token (its rank is below every other role's).
DeckHost = Annotated[Caller, Depends(deck_caller(HostRole.HOST))]
DeckReader = Annotated[Caller, Depends(deck_caller(HostRole.VIEWER))]
