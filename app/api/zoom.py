"""Zoom endpoints: the meeting recorded for an event, and apply (organisers only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query

from app.api.deps import RANK, EventId, Host, IdempotencyKey, Organiser, RunDep, RuntimeDep, Viewer, respond
from app.api.openapi import ACTION_REFUSALS, BAD_GATEWAY, error
from app.api.schemas import ActionOut
from app.core.errors import AppError, Conflict, NotFound, PreflightFailed, ZoomFailed
from app.core.vocabulary import HostRole
from app.views.times import iso_utc
from app.zoom.mapping import ZoomSetupError
from app.zoom.service import DoctorFailed, ZoomSetup
from integrations.zoom import ReplaceRequired, ZoomError

router = APIRouter(prefix="/api/events/{event_id}", tags=["zoom"])


def _zoom_failed(exc: ZoomError) -> AppError:
    if isinstance(exc, ReplaceRequired):
        return Conflict(exc.message)
    from integrations.zoom.errors import explain

    return ZoomFailed(explain(exc))  # one line with the cause and the next step, as the local apply says


@router.get(
    "/zoom",
    summary="The Zoom meeting or webinar of an event: ids and links",
    responses={404: error("not applied to Zoom yet"), **BAD_GATEWAY},
)
async def get_zoom(event_id: EventId, runtime: RuntimeDep, caller: Viewer):
    """The start link carries the host's start token, so only hosts and organisers see it (read fresh)."""
    host = RANK[caller.role] >= RANK[HostRole.HOST]
    service = ZoomSetup.for_runtime(runtime)
    try:
        row = await (service.host_links(event_id) if host else _stored(service, event_id))
    except ZoomError as exc:
        raise _zoom_failed(exc) from None
    if row is None:
        raise NotFound(f"{event_id} has not been applied to Zoom yet (POST /api/events/{event_id}/apply)")
    return {
        "kind": row.kind,
        "zoom_id": row.zoom_id,
        "uuid": row.uuid,
        "host": row.host,
        "join_url": row.join_url,
        "start_url": row.start_url if host else None,
        "start_url_at": iso_utc(row.start_url_at) if host and row.start_url_at else None,
        "registration_url": row.registration_url,
        "sandbox": row.sandbox,
        "applied_at": iso_utc(row.applied_at),
    }


async def _stored(service: ZoomSetup, event_id: str):
    from app.zoom.journal import stored

    return await stored(service.db, event_id)


@router.get("/zoom/live", summary="Zoom's live state for the console's Zoom card (recording, stream, next, failure)")
async def get_zoom_live(event_id: EventId, run: RunDep, _: Viewer):
    """Recording and stream states from Zoom's webhooks, the next planned Zoom action and the last
    failed one with its reason; `{"zoom": null}` when the event has nothing to do with Zoom."""
    return {"zoom": await run.zoom_live(event_id)}


@router.post(
    "/zoom/recording/{move}",
    response_model=ActionOut,
    status_code=202,
    responses=ACTION_REFUSALS,
    summary="Start, pause, resume or stop Zoom's cloud recording by hand (through the @zoom outbox)",
)
async def post_zoom_recording(
    event_id: EventId,
    move: Literal["start", "pause", "resume", "stop"],
    run: RunDep,
    caller: Host,
    intent: IdempotencyKey,
):
    """409 with the reason when Zoom's state (from its webhooks) does not allow it ("the recording is
    already paused"); undo sends the inverse action."""
    return respond(await run.zoom(event_id, caller.name, "recording", move, intent=intent))


@router.post(
    "/zoom/livestream/{move}",
    response_model=ActionOut,
    status_code=202,
    responses=ACTION_REFUSALS,
    summary="Start or stop the schedule's live stream by hand (through the @zoom outbox)",
)
async def post_zoom_livestream(
    event_id: EventId, move: Literal["start", "stop"], run: RunDep, caller: Host, intent: IdempotencyKey
):
    """409 when the schedule has no zoom.livestream or the stream already is in that state."""
    return respond(await run.zoom(event_id, caller.name, "livestream", move, intent=intent))


@router.post(
    "/apply",
    summary="Converge Zoom to the schedule (dry_run=true only shows the plan)",
    responses={
        400: error("the schedule's Zoom settings cannot be applied (e.g. no Zoom credentials)"),
        409: error("the pre-flight check failed, or the change needs replace=true"),
        **BAD_GATEWAY,
    },
)
async def post_apply(
    event_id: EventId,
    runtime: RuntimeDep,
    _: Organiser,
    dry_run: bool = False,
    replace: bool = False,
    skip_doctor: bool = False,
    skip_check: Annotated[list[str] | None, Query()] = None,
):
    """`replace=true` allows deleting the Zoom object when zoom.kind or zoom.host changed;
    `skip_check` leaves one pre-flight check out by name (repeatable), `skip_doctor` all of them."""
    from app.zoom.doctor import CHECK_NAMES, unknown_checks

    skip = tuple(skip_check or ())
    if bad := unknown_checks(skip):
        raise AppError(f"skip_check: no check named {', '.join(bad)}; use one of {', '.join(CHECK_NAMES)}")
    schedule = runtime.schedule(event_id)
    service = ZoomSetup.for_runtime(runtime)
    try:
        outcome = await (
            service.plan(schedule)
            if dry_run
            else service.apply(schedule, replace=replace, doctor=not skip_doctor, skip=skip)
        )
    except ZoomSetupError as exc:
        raise AppError(str(exc)) from None
    except DoctorFailed as exc:
        raise PreflightFailed(f"apply stopped before writing to Zoom: {exc}") from None
    except ZoomError as exc:
        raise _zoom_failed(exc) from None
    result = None if dry_run else outcome.result  # type: ignore[union-attr]  # not a dry run: outcome is Applied
    if result is not None:
        await runtime.refresh_links()
        runtime.changed(event_id, "zoom")  # other instances reload the join link their messages carry
    report = getattr(outcome, "doctor", None)
    return {
        "sandbox": outcome.sandbox,
        "kind": str(schedule.zoom.kind),
        "doctor": report.as_json() if report is not None else None,
        "planned_cues": None if result is None else await open_cues(runtime.db, event_id),
        "notes": list(getattr(outcome, "notes", ())),
        "changes": outcome.plan.render(),
        "empty": outcome.plan.is_empty,
        "result": None
        if result is None
        else {
            "id": result.id,
            "join_url": result.join_url,
            "created": result.created,
            "recreated": result.recreated,
            "write_calls": result.write_calls,
            "notes": result.notes,
        },
    }


@router.post(
    "/doctor",
    summary="Read-only pre-flight: what the real Zoom would refuse for this schedule",
    responses={400: error("the schedule's Zoom settings cannot be checked (e.g. no Zoom credentials)")},
)
async def post_doctor(event_id: EventId, runtime: RuntimeDep, _: Organiser, for_the_day: bool = False):
    """Every check with pass/warn/fail and the fix; `ok` is false when a check failed.

    The day's checks (webhook endpoint, target variables) fail only with `for_the_day`."""
    schedule = runtime.schedule(event_id)
    try:
        report = await ZoomSetup.for_runtime(runtime).doctor(schedule, for_the_day=for_the_day)
    except ZoomSetupError as exc:
        raise AppError(str(exc)) from None
    return report.as_json()


async def open_cues(db, event_id: str) -> int:
    """How many of the event's cues are still to fire (apply's "planned N cues")."""
    from app.core.vocabulary import CUE_OPEN
    from app.store import outbox_repo

    async with db.begin() as conn:
        return sum(r.status in CUE_OPEN for r in await outbox_repo.list_cues(conn, event_id))


def include(app: FastAPI) -> None:
    app.include_router(router)
