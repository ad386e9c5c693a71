"""Attendance for viewers: live summary (console contract) and the post-event report."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from app.api.deps import EventId, RuntimeDep, Viewer
from app.attendance.export import MEDIA_TYPES, ReportFormat, render_report, report_from_db
from app.attendance.report import attendance_json

router = APIRouter(prefix="/api/events", tags=["attendance"])


@router.get("/{event_id}/attendance", summary="Who is in the meeting, and readiness of the next segment")
async def get_attendance(event_id: EventId, runtime: RuntimeDep, _: Viewer):
    """Counts, each scheduled person's presence, and who the next segment still misses."""
    attendance = await runtime.attendance.attendance(event_id)
    return attendance_json(
        runtime.schedule(event_id),
        runtime.engine.timeline(event_id),
        attendance,
        runtime.clock.now(),
    )


@router.get(
    "/{event_id}/report",
    summary="Post-event report (json, csv or html)",
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
async def get_report(event_id: EventId, runtime: RuntimeDep, _: Viewer, format: ReportFormat = ReportFormat.json):
    """Planned vs actual segments, timers, attendance per segment, over time, per person."""
    report = await report_from_db(
        runtime.db,  # type: ignore[arg-type]  # started runtime
        runtime.schedule(event_id),
        runtime.clock.now(),
        runtime.engine.timeline(event_id),
    )
    headers = {}
    if format is not ReportFormat.json:
        headers["content-disposition"] = f'inline; filename="{event_id}-report.{format.value}"'
    return Response(render_report(report, format), media_type=MEDIA_TYPES[format], headers=headers)


def include(app: FastAPI) -> None:
    """Mount the attendance routes."""
    app.include_router(router)
