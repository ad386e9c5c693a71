"""Zoom endpoints: the meeting recorded for an event, and apply (organisers only)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.api.deps import RANK, EventId, Organiser, RuntimeDep, Viewer
from app.errors import AppError, NotFound
from app.views import iso_utc
from app.zoom_sync import SANDBOX_BASE, ZoomSetupError, apply_schedule, plan_only, sandbox_users, stored, zoom_access
from integrations.zoom import ZoomError

router = APIRouter(prefix="/api/events/{event_id}", tags=["zoom"])


class ZoomFailed(AppError):
    status, code = 502, "zoom_error"


@router.get("/zoom", summary="The Zoom meeting or webinar of an event: ids and links")
async def get_zoom(event_id: EventId, runtime: RuntimeDep, caller: Viewer):
    """The start link carries the host's start token, so only hosts and organisers see it."""
    row = await stored(runtime.db, event_id)
    if row is None:
        raise NotFound(f"{event_id} has not been applied to Zoom yet (POST /api/events/{event_id}/apply)")
    return {"kind": row.kind, "zoom_id": row.zoom_id, "uuid": row.uuid, "host": row.host, "join_url": row.join_url,
            "start_url": row.start_url if RANK[caller.role] >= RANK["host"] else None,
            "registration_url": row.registration_url, "sandbox": row.sandbox,
            "applied_at": iso_utc(row.applied_at)}


@router.post("/apply", summary="Converge Zoom to the schedule (dry_run=true only shows the plan)")
async def post_apply(event_id: EventId, runtime: RuntimeDep, _: Organiser, dry_run: bool = False):
    schedule = runtime.schedule(event_id)
    try:
        hooks = runtime.metrics.zoom_hooks(runtime.settings.zoom_api_base, runtime.settings.zoom_oauth_base,
                                           SANDBOX_BASE)
        async with zoom_access(runtime.settings, sandbox_users(schedule), event_hooks=hooks) as access:
            if dry_run:
                plan, result = await plan_only(runtime.db, access, schedule), None
            else:
                plan, result = await apply_schedule(runtime.db, access, schedule, runtime.clock.now())
    except ZoomSetupError as exc:
        raise AppError(str(exc)) from None
    except ZoomError as exc:
        raise ZoomFailed(f"Zoom refused: HTTP {exc.status} code {exc.code}: {exc.message}") from None
    if result is not None:
        await runtime.refresh_links()
    return {"sandbox": runtime.settings.sandbox, "changes": plan.render(), "empty": plan.is_empty,
            "result": None if result is None else {
                "id": result.id, "join_url": result.join_url, "created": result.created,
                "recreated": result.recreated, "write_calls": result.write_calls, "notes": result.notes}}


def include(app: FastAPI) -> None:
    app.include_router(router)
