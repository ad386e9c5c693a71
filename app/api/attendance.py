"""Attendance for viewers: live summary (console contract) and the post-event report."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import Response

from app.api.deps import EventId, Host, RuntimeDep, Viewer
from app.api.openapi import BAD_GATEWAY, error
from app.core.errors import Invalid, NotFound, PdfUnavailable, ZoomUnavailable
from app.report import service as reports
from app.report.attendance import attendance_json
from app.report.figures import DEFAULT_THRESHOLD, PackOptions
from app.report.pdf import PdfError
from app.report.service import MEDIA_TYPES, ReportFormat, render_report, report_from_db

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
    summary="Post-event report (json, csv or html); the html page in the event's language or ?lang=",
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
async def get_report(
    event_id: EventId,
    runtime: RuntimeDep,
    _: Viewer,
    format: ReportFormat = ReportFormat.json,
    lang: str | None = Query(
        None, description="the html page's headings and labels in this locale (default: event.language)"
    ),
):
    """Planned vs actual segments, timers, attendance per segment, over time, per person."""
    try:
        words = reports.pack_words(runtime.schedule(event_id), lang, runtime.catalogs)  # the pack's rule
    except ValueError as exc:
        raise Invalid(f"lang: {exc}") from None
    report = await report_from_db(
        runtime.db,
        runtime.schedule(event_id),
        runtime.clock.now(),
        runtime.engine.timeline(event_id),
    )
    headers = {}
    if format is not ReportFormat.json:
        headers["content-disposition"] = f'inline; filename="{event_id}-report.{format.value}"'
    return Response(render_report(report, format, words), media_type=MEDIA_TYPES[format], headers=headers)


@router.get(
    "/{event_id}/pack",
    summary="The post-event pack to send out (html, pdf, json or csv); hosts only",
    responses={
        200: {"content": {"application/pdf": {}, "text/html": {}, "text/csv": {}}},
        503: error("the PDF cannot be made here (no Chromium): download the html format"),
    },
)
async def get_pack(
    event_id: EventId,
    runtime: RuntimeDep,
    _: Host,
    format: reports.PackFormat = reports.PackFormat.pdf,
    personal: bool = Query(False, description="add the per-person annex (names, emails); marked on every page"),
    threshold: int = Query(DEFAULT_THRESHOLD, ge=1, le=100, description='breakdown counts below this show "< N"'),
    lang: str | None = Query(None, description="the headings and labels in this locale (default: event.language)"),
):
    """Summary, attendance, the agenda as it ran, audience breakdowns, timers and notes (see README)."""
    try:
        words = reports.pack_words(runtime.schedule(event_id), lang, runtime.catalogs)
    except ValueError as exc:
        raise Invalid(f"lang: {exc}") from None
    pack = await reports.pack_from_db(
        runtime.db,
        runtime.schedule(event_id),
        runtime.clock.now(),
        runtime.engine.timeline(event_id),
        PackOptions(threshold=threshold, personal=personal),
    )
    try:
        body = await reports.render_pack(pack, format, runtime.settings.chromium, words)
    except PdfError as exc:
        raise PdfUnavailable(f"{exc}; download the html format and print it from a browser") from None
    suffix = "-personal" if personal else ""
    disposition = f'attachment; filename="{event_id}-report{suffix}.{format.value}"'
    return Response(body, media_type=reports.PACK_MEDIA_TYPES[format], headers={"content-disposition": disposition})


@router.post(
    "/{event_id}/pack/fetch",
    summary="Read registrants and past participants from Zoom now; hosts only",
    responses={404: error("no Zoom meeting is recorded for this event"), **BAD_GATEWAY},
)
async def fetch_pack_records(event_id: EventId, runtime: RuntimeDep, _: Host):
    """What the service does by itself after the meeting ends, on demand (e.g. before making the pack)."""
    from app.attendance.registrants import fetch_now
    from app.zoom.service import ZoomSetup
    from integrations.zoom.errors import ZoomError

    try:
        fetched = await fetch_now(ZoomSetup.for_runtime(runtime), runtime.schedule(event_id), runtime.clock.now())
    except ZoomError as exc:
        raise ZoomUnavailable(
            f"Zoom refused: {getattr(exc, 'message', exc)}; the stored records are unchanged"
        ) from None
    if fetched is None:
        raise NotFound("no Zoom meeting is recorded for this event: apply it first")
    return {
        "registrants": fetched.registrants,
        "instances": fetched.instances,
        "participant_rows": fetched.participant_rows,
    }


def include(app: FastAPI) -> None:
    """Mount the attendance routes."""
    app.include_router(router)
