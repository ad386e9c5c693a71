"""One entry point for reports, shared by the REST API and the CLI: schedule + database -> text."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.service import load_attendance
from app.report.attendance import build_report
from app.report.attendance_render import to_csv, to_html
from app.store import events_repo
from schedules.model import Schedule
from schedules.timeline import Timeline, build_timeline


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


MEDIA_TYPES = {
    ReportFormat.json: "application/json",
    ReportFormat.csv: "text/csv; charset=utf-8",
    ReportFormat.html: "text/html; charset=utf-8",
}


def render_report(report: dict, fmt: ReportFormat) -> str:
    """The report in one of the three formats."""
    if fmt is ReportFormat.csv:
        return to_csv(report)
    if fmt is ReportFormat.html:
        return to_html(report)
    return json.dumps(report, indent=2, ensure_ascii=False)


async def report_from_db(db: AsyncEngine, schedule: Schedule, now: datetime, timeline: Timeline | None = None) -> dict:
    """Build the report of an event from the run log and attendance stored in `db`."""
    async with db.begin() as conn:
        if timeline is None:
            actions = await events_repo.load_actions(conn, schedule.event.id)
            timeline = build_timeline(schedule, actions, now)
        attendance = await load_attendance(conn, schedule.event.id)
    return build_report(schedule, timeline, attendance, now)
