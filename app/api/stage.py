"""The presenter view's API: its state and stream (stage tokens and up), and stage messages (hosts)."""

from __future__ import annotations

import json
from contextlib import aclosing

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from app.api.control import REFUSALS
from app.api.deps import (
    Caller,
    EventId,
    Host,
    IdempotencyKey,
    Organiser,
    RunDep,
    RuntimeDep,
    StageReader,
    StageStreamReader,
    Viewer,
    respond,
)
from app.api.openapi import error, event_stream
from app.api.schemas import ActionOut
from app.api.sse import ACCESS_ENDED, KEEPALIVE, changes, sse_response, stream_closing
from app.cluster.writes import announce_access
from app.core.errors import NotFound, PublicUrlUnset
from app.core.public_url import PublicUrlMissing, required
from app.stage.links import StageLink, ensure_links, rotate_link, stage_people
from app.stage.presence import PRESENCE_REASONS, Connection
from app.store import tokens_repo
from app.views.stage import message_lifetime, stage_json
from app.views.times import iso_utc
from schedules.stage import stage_message

router = APIRouter(prefix="/api/events/{event_id}/stage", tags=["stage"])


class StageIn(BaseModel):
    """A message for the presenter view."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"message": "Please wrap up", "flash": True}]},
    }
    message: str = Field(min_length=1, max_length=200, description="shown until its segment ends or it is cleared")
    flash: bool = Field(False, description="flash the screen a few times to catch the speaker's eye")
    blackout: bool = Field(False, description="black out the presenter view, showing only this message")
    until_cleared: bool = Field(False, description="stay when the segment ends, until a host clears it")
    expires_after: int | None = Field(None, ge=1, le=3600, description="go by itself after this many seconds")


def _person(runtime, event_id: str, caller: Caller, asked: str | None) -> str | None:
    """A stage link always shows its own person; other tokens may ask for anyone's view."""
    person = caller.person or asked
    if person is not None and runtime.schedule(event_id).person(person) is None:
        raise NotFound(f"no person '{person}' in {event_id}")
    return person


def _view(runtime, event_id: str, person: str | None) -> dict:
    loaded = runtime.engine.loaded(event_id)
    timeline = runtime.engine.timeline(event_id)
    return stage_json(timeline.rundown, timeline, loaded.actions, runtime.clock.now(), person)


@router.get(
    "",
    summary="The presenter view: current segment, running timer, stage message (stage token)",
    responses={404: error("no such person")},
)
async def stage_state(event_id: EventId, runtime: RuntimeDep, caller: StageReader, person: str | None = None):
    """`?person=` adds that person's next slot; a personal stage link always shows its own person."""
    return _view(runtime, event_id, _person(runtime, event_id, caller, person))


@router.get(
    "/stream",
    summary="Server-sent events: the presenter view after every change",
    response_class=StreamingResponse,
    responses={**event_stream("stage", "the presenter view (as GET ./stage)"), 404: error("no such person")},
)
async def stage_stream(
    event_id: EventId, runtime: RuntimeDep, caller: StageStreamReader, request: Request, person: str | None = None
):
    """`event: stage` with the presenter JSON on connect and after each change. Authenticate with the
    bearer header, or `?ticket=` from POST /api/events/{id}/stream/ticket (what the page does). Ends
    (within a second, on every instance) when the link or token is revoked."""
    who = _person(runtime, event_id, caller, person)
    seen = runtime.presence
    queue = runtime.broadcaster.subscribe(event_id, kind="stage")

    def frame() -> str:
        return f"event: stage\ndata: {json.dumps(_view(runtime, event_id, who))}\n\n"

    closing = stream_closing(request)

    async def events():
        access = runtime.streams.open(caller.token_id, event_id, "stage", queue)
        closing.join(queue)  # a stopping server ends the stream with `event: reconnect`
        key = seen.join(event_id, Connection(caller.token_id, caller.name, caller.role, who, runtime.clock.now()))
        runtime.broadcaster.publish(event_id, "stage_connected")
        try:
            yield "retry: 2000\n\n" + frame()
            async with aclosing(changes(runtime.broadcaster, event_id, queue, request, access, closing)) as reasons:  # type: ignore[type-var]  # an async generator has aclose
                async for reason in reasons:
                    if reason is None:
                        yield KEEPALIVE
                    elif reason not in PRESENCE_REASONS:
                        yield frame()
            if closing.closed:
                yield closing.farewell()
            elif access.ended:
                yield ACCESS_ENDED
        finally:
            closing.leave(queue)
            # (no await here: a client that left cancels this generator; the table is written after)
            runtime.streams.close(access)
            seen.leave(key)
            runtime.broadcaster.publish(event_id, "stage_disconnected")

    return sse_response(events())


@router.get("/connected", summary="Presenter views open right now")
async def stage_connected(event_id: EventId, runtime: RuntimeDep, _: Viewer):
    """On every instance behind the balancer."""
    return [
        {"token_id": c.token_id, "name": c.name, "role": c.role, "person": c.person, "since": iso_utc(c.since)}
        for c in await runtime.presence.connected(event_id)
    ]


@router.get("/panel", summary="The console's stage card: presets, the message shown, links and who is connected")
async def stage_panel(event_id: EventId, runtime: RuntimeDep, _: Viewer):
    """Everyone who takes the stage, whether they have a presenter link (and since when: a link is
    shown only once, when made) and whether it is open right now."""
    loaded = runtime.engine.loaded(event_id)
    schedule = loaded.rundown  # a speaker added by a live edit takes the stage too
    timeline, now = runtime.engine.timeline(event_id), runtime.clock.now()
    shown = stage_message(loaded.actions, timeline, now)
    open_now = await runtime.presence.connected(event_id)
    async with runtime.db.begin() as conn:
        tokens = await tokens_repo.stage_links(conn, event_id)
    people = []
    for person in stage_people(schedule):
        row = tokens.get(person.id)
        mine = [c for c in open_now if row is not None and c.token_id == row.id]
        people.append(
            {
                "person": person.id,
                "name": person.name,
                "roles": [r.value for r in person.roles],
                "has_link": row is not None,
                "link_made_at": iso_utc(row.created_at) if row is not None else None,
                "connected": len(mine),
                "since": iso_utc(mine[0].since) if mine else None,
            }
        )
    linked = {row.id for row in tokens.values()}
    others = [
        {"name": c.name, "role": c.role, "person": c.person, "since": iso_utc(c.since)}
        for c in open_now
        if c.token_id not in linked
    ]
    return {
        "presets": schedule.stage.presets,
        "message": None
        if shown is None
        else {
            "text": shown.text,
            "flash": shown.flash,
            "blackout": shown.blackout,
            "at": iso_utc(shown.at),
            "seq": shown.seq,
            **message_lifetime(shown, timeline, now),
        },
        "people": people,
        "others": others,
    }


def _public_url(runtime) -> str:
    """The base of presenter links (`serve` always has one: the setting or its own address)."""
    try:
        return required(runtime.settings)
    except PublicUrlMissing as exc:
        raise PublicUrlUnset(str(exc)) from None


def _link_json(link: StageLink) -> dict:
    return {
        "person": link.person,
        "name": link.name,
        "link": link.url,
        "created": link.created,
        "made_at": iso_utc(link.made_at),
    }


@router.post("/links", summary="Make the missing personal presenter links (hosts); each is shown only here, once")
async def stage_make_links(event_id: EventId, runtime: RuntimeDep, _: Host):
    """Every stage person: `link` (with its token) for the links made now, null for those made
    before (only a hash is stored; POST .../links/{person}/rotate issues a new one)."""
    async with runtime.db.begin() as conn:
        made = await ensure_links(conn, runtime.schedule(event_id), _public_url(runtime), runtime.clock.now())
    runtime.broadcaster.publish(event_id, "stage_links")
    return [_link_json(m) for m in made]


@router.post(
    "/links/{person}/rotate",
    summary="A new presenter link for a person, shown once; the old one stops working (organiser)",
)
async def stage_rotate_link(event_id: EventId, person: str, runtime: RuntimeDep, _: Organiser):
    """For a lost link: the person's old link stops working, and the new one is shown only in this answer."""
    schedule = runtime.schedule(event_id)
    who = next((p for p in stage_people(schedule) if p.id == person), None)
    if who is None:
        raise NotFound(f"'{person}' does not take the stage in {event_id}, so has no presenter link")
    async with runtime.db.begin() as conn:
        made, revoked = await rotate_link(conn, schedule, who, _public_url(runtime), runtime.clock.now())
        if revoked:
            await announce_access(conn, runtime.instance_id)  # the old link's open streams close on every instance
    if revoked:
        runtime.streams.kick()
    runtime.broadcaster.publish(event_id, "stage_links")
    return {**_link_json(made), "revoked": revoked}


@router.delete(
    "/links/{person}",
    summary="Revoke a person's presenter link (organiser)",
    responses={404: error("the person has no active presenter link")},
)
async def stage_revoke_link(event_id: EventId, person: str, runtime: RuntimeDep, _: Organiser):
    async with runtime.db.begin() as conn:
        revoked = await tokens_repo.revoke_stage_link(conn, event_id, person, runtime.clock.now())
        if revoked:
            await announce_access(conn, runtime.instance_id)  # its open streams close on every instance
    if not revoked:
        raise NotFound(f"'{person}' has no active presenter link in {event_id}")
    runtime.streams.kick()
    runtime.broadcaster.publish(event_id, "stage_links")
    return {"person": person, "revoked": revoked}


@router.post(
    "",
    status_code=201,
    response_model=ActionOut,
    responses=REFUSALS,
    summary="Show a message on the presenter view (recorded; never posted to chat)",
)
async def stage_post(event_id: EventId, body: StageIn, run: RunDep, caller: Host, intent: IdempotencyKey):
    """Shown until its segment ends (or, with `until_cleared`, until a host clears it), for at most
    `expires_after` seconds when given, or until replaced; never on the END screen. `flash` catches
    the speaker's eye, `blackout` leaves only the message."""
    return respond(
        await run.stage_message(
            event_id,
            caller.name,
            body.message,
            flash=body.flash,
            blackout=body.blackout,
            until_cleared=body.until_cleared,
            expires_after=body.expires_after,
            intent=intent,
        )
    )


@router.post(
    "/clear", response_model=ActionOut, responses=REFUSALS, summary="Clear the presenter view's message and blackout"
)
async def stage_clear(event_id: EventId, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.stage_clear(event_id, caller.name, intent=intent))


people_router = APIRouter(prefix="/api/events/{event_id}/people", tags=["stage"])


@people_router.get(
    "/{person}/invite.ics",
    summary="A person's calendar invite (METHOD:REQUEST, organiser)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 404: error("no such person, or the person has no slot")},
)
async def person_invite(event_id: EventId, person: str, runtime: RuntimeDep, _: Organiser):
    """Their call time, slots, role, moderators, the Zoom link that fits them and their presenter link."""
    from app.stage.invites import build_invites

    schedule = runtime.schedule(event_id)
    if schedule.person(person) is None:
        raise NotFound(f"no person '{person}' in {event_id}")
    made = await build_invites(
        runtime.db,
        runtime.settings,
        schedule,
        runtime.clock.now(),
        only=person,
        public_url=_public_url(runtime),
    )
    if not made:
        raise NotFound(f"'{person}' has no slot in {event_id}, so there is nothing to invite them to")
    return Response(
        made[0].ics,
        media_type="text/calendar; charset=utf-8; method=REQUEST",
        headers={"Content-Disposition": f'attachment; filename="{made[0].filename}"'},
    )


def include(app: FastAPI) -> None:
    """Mount the presenter view's routes and the people's (invites)."""
    app.include_router(router)
    app.include_router(people_router)
