"""The deck surface: run control for Stream Deck keys and simple clients, and the flat state they show.

Keys send no JSON body, no Idempotency-Key and no ids: every action is a POST with at most a few
query parameters, relative to the live state (app/run/deck_rules.py), and guarded by what the key
showed (`from` on advance, `seq` on the rest) so a double press acts once. The deck token
(`showcaller token create --role deck`) opens only these routes; hosts and organisers may use them too,
and viewers may read the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from app.api.deps import (
    Caller,
    DeckHost,
    DeckReader,
    EventId,
    RunDep,
    RuntimeDep,
    current_caller,
    deck_caller,
    get_stream_tickets,
    respond,
    valid_event,
)
from app.api.openapi import ACTION_REFUSALS, error
from app.api.schemas import ActionOut
from app.api.sse import KEEPALIVE_SECONDS, RESTARTING
from app.core.errors import AppError, Forbidden, Invalid, Unauthorized, error_body
from app.core.vocabulary import HostRole
from app.run.deck_rules import UNSET
from app.services import Services
from app.stage.presence import PRESENCE_REASONS
from app.views.deck import deck_json

router = APIRouter(prefix="/api/events/{event_id}/deck", tags=["deck"])
REFUSALS: dict[int | str, dict[str, Any]] = {
    **ACTION_REFUSALS,
    409: error("refused in the current state, or the show moved on since the key showed it (a double press)"),
    422: error("`from` or `seq` missing (echo them from GET .../deck), or a bad parameter"),
}
Seq = Annotated[
    int | None,
    Query(description="the deck's `seq` field as the key showed it: refused (409) once the run log has moved on"),
]
NO_STORE = {"Cache-Control": "no-cache"}


def _deck(runtime: Services, event_id: str) -> dict[str, Any]:
    loaded = runtime.engine.loaded(event_id)
    timeline = runtime.engine.timeline(event_id)
    # The rundown (live edits applied), as the stage view reads it: the timeline's segment rows
    # index it, and after an inserted segment the file's own list is shorter (an IndexError, 500).
    return deck_json(timeline.rundown, timeline, loaded.actions, runtime.clock.now())


def _etag(value: Any) -> str:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


@router.get(
    "",
    summary="The deck's state: one flat object of preformatted strings (deck token or viewer)",
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "the object, or ?field= as text",
        },
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
        422: error("no such field"),
    },
)
async def deck_state(
    event_id: EventId,
    runtime: RuntimeDep,
    _: DeckReader,
    request: Request,
    field: Annotated[str | None, Query(description="answer only this field, as text/plain")] = None,
):
    """Fields: docs/stream-deck.md. The ETag covers everything but `server_time_ms`, so a poll with
    If-None-Match gets 304 until something a key shows changes (the remaining time: every second)."""
    deck = _deck(runtime, event_id)
    if field is not None and field not in deck:
        raise Invalid(f"field: no '{field}' in the deck object; known: {', '.join(deck)}")
    value: Any = deck[field] if field is not None else {k: v for k, v in deck.items() if k != "server_time_ms"}
    tag = _etag(value if field != "server_time_ms" else deck)
    headers = {"ETag": tag, **NO_STORE}
    if tag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    if field is not None:
        return PlainTextResponse("" if deck[field] is None else str(deck[field]), headers=headers)
    return JSONResponse(deck, headers=headers)


@router.post(
    "/advance", response_model=ActionOut, responses=REFUSALS, summary="Advance from the segment the key showed"
)
async def advance(
    event_id: EventId,
    run: RunDep,
    caller: DeckHost,
    shown: Annotated[
        str | None,
        Query(alias="from", description="the deck's `current_id` as the key showed it (empty: nothing running)"),
    ] = None,
):
    """Without `from` the answer is 422: a key that does not say what it saw could skip two segments."""
    return respond(await run.deck(event_id, caller.name, "advance", shown=UNSET if shown is None else shown))


@router.post("/hold/toggle", response_model=ActionOut, responses=REFUSALS, summary="Hold the segment, or resume it")
async def hold_toggle(event_id: EventId, run: RunDep, caller: DeckHost, seq: Seq = None):
    return respond(await run.deck(event_id, caller.name, "hold", seen=seq))


@router.post(
    "/timers/current/{verb}",
    response_model=ActionOut,
    responses=REFUSALS,
    summary="Pause, resume, stop or add time to the timer the presenter view shows",
)
async def current_timer(
    event_id: EventId,
    run: RunDep,
    caller: DeckHost,
    verb: Annotated[str, Path(pattern="^(pause|resume|stop|add)$", description="pause, resume, stop or add")],
    seq: Seq = None,
    seconds: Annotated[int, Query(ge=-3600, le=3600, description="add only: seconds to add (negative: remove)")] = 30,
):
    return respond(await run.deck(event_id, caller.name, "timer", seen=seq, action=verb, seconds=seconds))


@router.post(
    "/timers/slot/{slot}",
    response_model=ActionOut,
    responses=REFUSALS,
    status_code=201,
    summary="Start the respondent timer of slot n of the current segment",
)
async def start_slot(
    event_id: EventId, run: RunDep, caller: DeckHost, slot: Annotated[int, Path(ge=1, le=100)], seq: Seq = None
):
    return respond(await run.deck(event_id, caller.name, "slot", seen=seq, slot=slot))


@router.post(
    "/stage/messages/{message_id}",
    response_model=ActionOut,
    responses=REFUSALS,
    status_code=201,
    summary="Show the schedule's stage message with this id on the presenter view",
)
async def stage_message(
    event_id: EventId,
    run: RunDep,
    caller: DeckHost,
    message_id: Annotated[str, Path(max_length=64, description="a key of stage.messages (or 1, 2, ... for a list)")],
    seq: Seq = None,
    flash: Annotated[bool, Query(description="flash the presenter view")] = False,
    blackout: Annotated[bool, Query(description="black out the presenter view, showing only this message")] = False,
):
    return respond(
        await run.deck(event_id, caller.name, "stage", seen=seq, message_id=message_id, flash=flash, blackout=blackout)
    )


@router.post("/stage/clear", response_model=ActionOut, responses=REFUSALS, summary="Clear the stage message")
async def stage_clear(event_id: EventId, run: RunDep, caller: DeckHost, seq: Seq = None):
    return respond(await run.deck(event_id, caller.name, "stage_clear", seen=seq))


@router.post(
    "/delay/{minutes}",
    response_model=ActionOut,
    responses=REFUSALS,
    summary="Report a delay of n minutes (negative: running early)",
)
async def delay(
    event_id: EventId, run: RunDep, caller: DeckHost, minutes: Annotated[int, Path(ge=-1440, le=1440)], seq: Seq = None
):
    return respond(await run.deck(event_id, caller.name, "delay", seen=seq, minutes=minutes))


@router.post("/undo", response_model=ActionOut, responses=REFUSALS, summary="Undo the last host action")
async def undo(event_id: EventId, run: RunDep, caller: DeckHost, seq: Seq = None):
    return respond(await run.deck(event_id, caller.name, "undo", seen=seq))


@router.post("/ticket", summary="A single-use ticket to open the deck's WebSocket (clients without headers)")
async def deck_ticket(event_id: EventId, runtime: RuntimeDep, caller: DeckReader, request: Request):
    """Open `/deck/ws?ticket=...` within `expires_in` seconds: the ticket works once, for this event,
    and keeps the token out of URLs and logs (a client that can send a header needs none)."""
    tickets = get_stream_tickets(request)
    return {"ticket": await tickets.issue(runtime.db, caller.token_id, event_id), "expires_in": tickets.ttl}


# WebSocket close codes: 4000 + the HTTP status of the refusal; 1012 when the service restarts.
RESTART_CODE = 1012


async def _ws_caller(websocket: WebSocket, runtime: Services, event_id: str) -> Caller:
    """The bearer header, else `?ticket=` from POST .../deck/ticket; a deck token or a viewer and up."""
    await valid_event(event_id, runtime)
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if header:
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send 'Authorization: Bearer <token>'")
        caller = await current_caller(runtime, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
        return await deck_caller(HostRole.VIEWER)(event_id, caller)
    ticket = websocket.query_params.get("ticket")
    if not ticket:
        raise Unauthorized("missing bearer token or ticket: POST /api/events/{id}/deck/ticket first")
    row = await get_stream_tickets(websocket).redeem(runtime.db, ticket, event_id)  # type: ignore[arg-type]  # reads .state only
    if row is None:
        raise Unauthorized("unknown, used or expired ticket: ask for a new one")
    caller = Caller(row.name, HostRole(row.role), row.event_id, row.person, row.id)
    if caller.role != HostRole.DECK and caller.role.rank < HostRole.VIEWER.rank:
        raise Forbidden(f"the deck needs a 'deck' token or the 'viewer' role; the ticket's token is '{caller.role}'")
    return caller


@router.websocket("/ws")
async def deck_ws(websocket: WebSocket, event_id: str):
    """The deck object (as GET ./deck) on connect and after every change; clients count down between
    frames with the `*_ms` deadlines. Closes with 4401/4403/4404 (and a JSON `{error, reason}` frame)
    when refused, 4403 when its token is revoked or loses its role, 1012 when the service restarts."""
    runtime: Services = websocket.state.services
    await websocket.accept()
    try:
        caller = await _ws_caller(websocket, runtime, event_id)
    except AppError as exc:
        await websocket.send_json(error_body(exc))
        await websocket.close(code=4000 + exc.status, reason=exc.reason[:120])
        return
    closing = websocket.state.stream_closing
    queue = runtime.broadcaster.subscribe(event_id, kind="deck")
    # A deck token's stream needs only the deck role; anyone else's, the viewer role it opened with.
    access = runtime.streams.open(
        caller.token_id, event_id, HostRole.DECK if caller.role == HostRole.DECK else HostRole.VIEWER, queue
    )
    closing.join(queue)
    # The client's own frames are read (and dropped) only to see it leave.
    gone = asyncio.create_task(_until_disconnected(websocket), name="deck-ws-reader")
    code = 1000
    try:
        sent = _deck(runtime, event_id)
        await websocket.send_json(sent)
        while True:
            getter = asyncio.create_task(queue.get(), name="deck-ws-changes")
            done, _ = await asyncio.wait({getter, gone}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
                if gone in done:
                    return
                continue  # (uvicorn pings the connection by itself)
            reason = getter.result()
            if reason == RESTARTING or closing.closed:
                code = RESTART_CODE
                break
            if access.ended:
                code = 4403
                break
            if reason in PRESENCE_REASONS:
                continue
            deck = _deck(runtime, event_id)
            if {**deck, "server_time_ms": 0} != {**sent, "server_time_ms": 0}:
                sent = deck
                await websocket.send_json(deck)
        with contextlib.suppress(RuntimeError):  # the client may have gone meanwhile
            await websocket.close(code=code)
    finally:
        gone.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await gone
        closing.leave(queue)
        runtime.streams.close(access)
        runtime.broadcaster.unsubscribe(event_id, queue)


async def _until_disconnected(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


def include(app: FastAPI) -> None:
    """Mount the deck surface."""
    app.include_router(router)
