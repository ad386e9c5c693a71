"""The one report pipeline, shared by the REST API, the CLI and the rehearsal.

    load (run log, attendance, registrants)  ->  the report (app/report/attendance.py)
                                             ->  the pack, built on the report (app/report/figures.py),
                                                 with the Recording and Polls sections (app/report/recording.py,
                                                 app/report/polls.py)
    either  ->  a format: JSON, CSV, HTML (attendance_render.py, render.py), PDF (Chromium prints the HTML)

The report is the organisers' working document (per person, per segment, with names and emails);
the pack is what goes to sponsors and the public record (aggregates, small groups suppressed,
personal data only on request). Both read one consistent snapshot of the database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.intervals import Attendance
from app.attendance.service import load_attendance
from app.report.attendance import build_report
from app.report.figures import PackOptions, build_pack
from app.report.pdf import html_to_pdf
from app.report.polls import polls_section
from app.report.recording import COMPLETED, ENDS, RECORDING_KINDS, recording_section
from app.store import attendance_repo, events_repo, registrants_repo
from app.store.registrants_repo import RegistrantRow
from schedules.adjustments import Adjustment
from schedules.audience import pack_reader
from schedules.i18n import ENGLISH_WORDS, SHIPPED, CatalogSearch, Words, words_for
from schedules.model import Schedule
from schedules.timeline import Timeline, build_timeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sources:
    """What every report is computed from, read in one transaction."""

    schedule: Schedule
    actions: list[Adjustment]
    timeline: Timeline
    attendance: Attendance
    registrants: list[RegistrantRow]
    # The meeting's recording webhooks (recording.*, its end, recording.completed), parsed: the
    # pack's Recording section (app/report/recording.py).
    recording_events: list[dict[str, Any]] = field(default_factory=list)
    # Poll counts per meeting instance (app/attendance/polls.py): the pack's Polls section.
    poll_results: list[list[dict[str, Any]]] = field(default_factory=list)


async def load(
    db: AsyncEngine, schedule: Schedule, now: datetime, timeline: Timeline | None = None, *, registrants: bool = True
) -> Sources:
    """Read an event's run log, attendance and (for the pack) registrants in one transaction.

    `timeline`: the running service's own (it already holds the live adjustments); otherwise it is
    rebuilt from the run log."""
    event_id = schedule.event.id
    async with db.begin() as conn:
        actions = await events_repo.load_actions(conn, event_id)
        if timeline is None:
            timeline = build_timeline(schedule, actions, now)
        attendance = await load_attendance(conn, event_id)
        people: list[RegistrantRow] = []
        recorded: list[dict[str, Any]] = []
        polls: list[list[dict[str, Any]]] = []
        if registrants and (meeting_id := await attendance_repo.meeting_of_event(conn, event_id)):
            people = await registrants_repo.registrants_for_meeting(conn, meeting_id)
            bodies = await attendance_repo.recording_webhooks(conn, meeting_id, RECORDING_WEBHOOKS)
            recorded = [event for event in map(_parsed, bodies) if event is not None]
            polls = await attendance_repo.poll_results(conn, meeting_id)
    # The rundown as edited live (inserted, moved or removed segments), which the timeline indexes.
    return Sources(timeline.schedule or schedule, actions, timeline, attendance, people, recorded, polls)


RECORDING_WEBHOOKS = (*RECORDING_KINDS, *ENDS, COMPLETED)


def _parsed(body: str) -> dict[str, Any] | None:
    try:
        event = json.loads(body)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


# -- the report ----------------------------------------------------------------------------------


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


MEDIA_TYPES = {
    ReportFormat.json: "application/json",
    ReportFormat.csv: "text/csv; charset=utf-8",
    ReportFormat.html: "text/html; charset=utf-8",
}


def report_of(sources: Sources, now: datetime) -> dict[str, Any]:
    return build_report(sources.schedule, sources.timeline, sources.attendance, now)


async def report_from_db(db: AsyncEngine, schedule: Schedule, now: datetime, timeline: Timeline | None = None) -> dict:
    """The report of an event from what `db` holds."""
    return report_of(await load(db, schedule, now, timeline, registrants=False), now)


def render_report(report: dict, fmt: ReportFormat, words: Words = ENGLISH_WORDS) -> str:
    """The report in one of its three formats; the HTML page in `words` (English by default; JSON
    and CSV are data and keep their English keys)."""
    from app.report import attendance_render  # (with render_pack's: imported when a report is asked for)

    if fmt is ReportFormat.csv:
        return attendance_render.to_csv(report)
    if fmt is ReportFormat.html:
        return attendance_render.to_html(report, words)
    return json.dumps(report, indent=2, ensure_ascii=False)


# -- the pack ------------------------------------------------------------------------------------


class PackFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


PACK_MEDIA_TYPES = {
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
    """The pack's data, built on the report of the same snapshot."""
    s = await load(db, schedule, now, timeline)
    pack = build_pack(s.schedule, report_of(s, now), s.attendance, s.registrants, s.actions, s.timeline, now, options)
    recording = recording_section(s.schedule, s.timeline, s.recording_events, now)
    if recording is not None:
        pack["recording"] = recording
    polls = polls_section(s.schedule, s.poll_results, pack["small_group_threshold"])
    if polls is not None:
        pack["polls"] = polls
    return pack


def pack_words(schedule: Schedule, locale: str | None = None, catalogs: CatalogSearch = SHIPPED) -> Words:
    """The words of the pack's HTML and PDF (and of the report's HTML page): `locale` when given
    (ValueError when no catalog `catalogs` finds serves it), else the event's language; a string
    its catalog lacks is written in English and logged."""
    reader = pack_reader(schedule, locale, catalogs.available())

    def missing(message: str) -> None:
        log.warning("no %s translation of %r in the pack; written in English", reader.locale, message)

    return words_for(reader, catalogs, on_missing=missing)


async def render_pack(
    pack: dict[str, Any], fmt: PackFormat, chromium: str | None = None, words: Words = ENGLISH_WORDS
) -> bytes:
    """The pack in one format (PDF: printed by Chromium from the HTML); the HTML and the PDF in
    `words` (English by default; JSON and CSV are data and keep their English keys)."""
    # The renderers (Jinja templates, the charts) are imported when a pack is asked for, not by
    # every start of the service (tests/cli/test_serve_startup.py).
    from app.report import render

    if fmt is PackFormat.pdf:
        return await html_to_pdf(render.to_html(pack, words), chromium)
    if fmt is PackFormat.html:
        return render.to_html(pack, words).encode("utf-8")
    if fmt is PackFormat.csv:
        return render.to_csv(pack).encode("utf-8")
    return render.to_json(pack).encode("utf-8")
