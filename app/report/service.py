"""One entry point for the pack, shared by the CLI, the REST API and the demo: schedule + database -> bytes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.service import load_attendance
from app.report.attendance import build_report
from app.report.figures import PackOptions, build_pack
from app.report.pdf import html_to_pdf
from app.report.render import to_csv, to_html, to_json
from app.store import attendance_repo, events_repo, registrants_repo
from schedules.model import Schedule
from schedules.timeline import Timeline, build_timeline


class PackFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


MEDIA_TYPES = {
    PackFormat.html: "text/html; charset=utf-8",
    PackFormat.pdf: "application/pdf",
    PackFormat.json: "application/json",
    PackFormat.csv: "text/csv; charset=utf-8",
}


async def pack_from_db(
    db: AsyncEngine,
    schedule: Schedule,
    now: datetime,
    timeline: Timeline | None = None,
    options: PackOptions = PackOptions(),
) -> dict[str, Any]:
    """The pack's data from the run log, attendance and registrants stored in `db`."""
    async with db.begin() as conn:
        actions = await events_repo.load_actions(conn, schedule.event.id)
        if timeline is None:
            timeline = build_timeline(schedule, actions, now)
        attendance = await load_attendance(conn, schedule.event.id)
        meeting_id = await attendance_repo.meeting_of_event(conn, schedule.event.id)
        registrants = await registrants_repo.registrants_for_meeting(conn, meeting_id) if meeting_id else []
    base = build_report(schedule, timeline, attendance, now)
    return build_pack(schedule, base, attendance, registrants, actions, timeline, now, options)


async def render_pack(pack: dict[str, Any], fmt: PackFormat, chromium: str | None = None) -> bytes:
    """The pack in one format (PDF: printed by Chromium from the HTML)."""
    if fmt is PackFormat.pdf:
        return await html_to_pdf(to_html(pack), chromium)
    if fmt is PackFormat.html:
        return to_html(pack).encode("utf-8")
    if fmt is PackFormat.csv:
        return to_csv(pack).encode("utf-8")
    return to_json(pack).encode("utf-8")
