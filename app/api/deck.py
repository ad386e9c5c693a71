"""The deck surface: run control for Stream Deck keys and simple clients, and the flat state they show.

Keys send no JSON body, no Idempotency-Key and no ids: every action is a POST with at most a few
query parameters, relative to the live state (app/run/deck_rules.py), and guarded by what the key
showed (`from` on advance, `seq` on the rest) so a double press acts once. The deck token
(`showcaller token create --role deck`) opens only these routes; hosts and organisers may use them too,
and viewers may read the state.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from app.api.deps import DeckHost, DeckReader, EventId, RunDep, RuntimeDep, respond
from app.api.openapi import ACTION_REFUSALS, error
from app.api.schemas import ActionOut
from app.core.errors import Invalid
from app.run.deck_rules import UNSET
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
    loaded = runtime.engine.loaded(event_id)
    deck = deck_json(loaded.schedule, runtime.engine.timeline(event_id), loaded.actions, runtime.clock.now())
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
):
    return respond(await run.deck(event_id, caller.name, "stage", seen=seq, message_id=message_id, flash=flash))


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


def include(app: FastAPI) -> None:
    """Mount the deck surface."""
    app.include_router(router)
