"""A person's run sheet: their slots in their own time zone, what to prepare, who introduces them.

HTML from a template; PDF printed by headless Chromium (the same browser the console tests drive).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from schedules.cue_words import event_title, segment_title
from schedules.i18n import SHIPPED, CatalogSearch, Words
from schedules.invites import invite_slots, person_words, role_name, slot_part, slot_title
from schedules.locales import Reader
from schedules.messages_cues import person_line
from schedules.model import Role, Schedule
from schedules.resolve import zone
from schedules.stage import Slot, call_time
from schedules.timeline import build_timeline

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
PDF_TIMEOUT_SECONDS = 60


class RunSheetError(Exception):
    """The run sheet cannot be made (unknown person, no slot, Chromium missing or failing)."""


@dataclass(frozen=True)
class SheetRow:
    """One of the person's slots as the sheet shows it."""

    slot: Slot
    theirs: str
    event: str
    minutes: float
    introduced_by: tuple[str, ...]  # their names only: who they are is said once, under the table
    question: str | None


def _clock(moment: datetime, zone_name: str, reader: Reader | None = None) -> str:
    if reader is not None and not reader.english:
        return reader.clock(moment, zone_name)
    local = moment.astimezone(zone(zone_name))
    return f"{local:%H:%M}"


def _offset(moment: datetime, zone_name: str, reader: Reader | None = None) -> str:
    """English 'GMT+6:30'; for any other reader the zone's CLDR name ('heure du Myanmar')."""
    if reader is not None and not reader.english:
        return reader.zone_name(moment, zone_name)
    local = moment.astimezone(zone(zone_name))
    minutes = int(local.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]  # validated schedule: known zone, call time set
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _advice(schedule: Schedule, slot: Slot, w: Words | None = None) -> str:
    w = w or Words()
    warning = int(schedule.timers.warning.total_seconds())
    danger = int(schedule.timers.danger.total_seconds())
    if slot.role is Role.respondent:
        return w._(
            "You have {minutes} minutes. Your presenter view turns amber with {warning_word} at {warning} s left "
            "and red with {danger_word} at {danger} s left.",
            minutes=w.number((slot.end - slot.start).total_seconds() / 60),
            warning_word=w._("WARNING"),
            warning=w.number(warning),
            danger_word=w._("DANGER"),
            danger=w.number(danger),
        )
    if slot.role is Role.speaker:
        return w._("Share slides from your own computer if you use any; test screen sharing at your call time.")
    if slot.role is Role.moderator:
        return w._("Introduce each speaker and respondent by name and organisation, and keep the segment on time.")
    return w._("Join at your call time; the technical hosts will brief you.")


def _part(slot: Slot, w: Words | None = None) -> str:
    """'respondent 1', 'moderator', 'speaker'."""
    return slot_part(w or Words(), slot)


def _html_words(w: Words):
    """The template's `_`: a catalog string is trusted markup (as with Jinja's i18n extension); the
    values put into it are escaped."""

    def translate(message: str, /, **values: object) -> Markup:
        return Markup(w._(message)).format(**values) if values else Markup(w._(message))

    return translate


def runsheet_html(schedule: Schedule, person_id: str, catalogs: CatalogSearch = SHIPPED) -> str:
    """The run sheet of one person as a standalone HTML page (print-friendly, no external files), in
    their locale from the catalogs `catalogs` finds."""
    person = schedule.person(person_id)
    if person is None:
        known = ", ".join(p.id for p in schedule.people) or "none"
        raise RunSheetError(f"no person '{person_id}' in {schedule.event.id} (known: {known})")
    rows = build_timeline(schedule).segments
    slots = invite_slots(schedule, rows, person)
    if not slots:
        raise RunSheetError(f"'{person_id}' has no slot in {schedule.event.id}; nothing to put on a run sheet")
    theirs = person.timezone or schedule.event.timezone
    event_zone = schedule.event.timezone
    w = person_words(schedule, person, catalogs)
    reader = w.reader
    sheet = []
    introducers: dict[str, str] = {}  # each introducer's full line once: a moderator's sheet fits one page
    for slot in slots:
        seg = schedule.segment(slot.segment)
        hosts = [p for ref in (seg.moderators if seg else []) if ref != person.id and (p := schedule.person(ref))]
        question = None
        if slot.role is Role.respondent and seg and seg.respondents:
            question = seg.respondents.question or seg.respondents.note
        intro = tuple(p.name for p in hosts)
        introducers.update((p.id, person_line(p)) for p in hosts)
        sheet.append(
            SheetRow(
                slot,
                f"{_clock(slot.start, theirs, reader)}–{_clock(slot.end, theirs, reader)}",
                f"{_clock(slot.start, event_zone, reader)}–{_clock(slot.end, event_zone, reader)}",
                (slot.end - slot.start).total_seconds() / 60,
                intro,
                question,
            )
        )
    call = call_time(schedule, slots)
    parts: dict[str, list[str]] = {}  # the person's part in each segment, said in words (not only bold)
    for row in sheet:
        parts.setdefault(row.slot.segment, []).append(_part(row.slot, w))
    agenda = [
        (
            segment_title(w, schedule.segments[r.index]),
            f"{_clock(r.start, theirs, reader)}–{_clock(r.end, theirs, reader)}",
            ", ".join(dict.fromkeys(parts.get(r.id, []))),
        )
        for r in rows
        if not r.skipped
    ]
    advice = list(dict.fromkeys(_advice(schedule, s, w) for s in slots))
    day = call.astimezone(zone(theirs)).date()  # type: ignore[union-attr]  # validated schedule: known zone, call time set
    return _env.get_template("runsheet.html").render(
        _=_html_words(w),
        lang=reader.tag,
        n=w.number,
        event_title=event_title(w, schedule),
        slot_titles=[slot_title(w, schedule, row.slot) for row in sheet],
        slot_parts=[_part(row.slot, w) for row in sheet],
        colon=w._("{label}: {url}", label="", url=""),  # ': ' or, in French, ' : ' with a no-break space
        strong=lambda value: Markup("<strong>{}</strong>").format(value),
        zoom_name=person.name + (f" ({person.organisation})" if person.organisation else ""),
        schedule=schedule,
        person=person,
        who=person_line(person),
        rows=sheet,
        introducers=list(introducers.values()),
        agenda=agenda,
        advice=advice,
        theirs=theirs,
        event_zone=event_zone,
        same_zone=theirs == event_zone,
        their_offset=_offset(call, theirs, reader),  # type: ignore[arg-type]  # validated schedule: known zone, call time set
        event_offset=_offset(call, event_zone, reader),  # type: ignore[arg-type]  # validated schedule: known zone, call time set
        call_theirs=_clock(call, theirs, reader),  # type: ignore[arg-type]  # validated schedule: known zone, call time set
        call_event=_clock(call, event_zone, reader),  # type: ignore[arg-type]  # validated schedule: known zone, call time set
        date=day.strftime("%A %d %B %Y") if reader.english else reader.date(day, "full"),
        roles=", ".join(dict.fromkeys(role_name(w, s.role) for s in slots)),
    )


def print_pdf(html: str, out: Path, chromium: str) -> None:
    """Print an HTML page to PDF with headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="showcaller-runsheet-") as work:
        page = Path(work) / "runsheet.html"
        page.write_text(html, encoding="utf-8")
        args = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(work) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out.resolve()}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
        except FileNotFoundError:
            raise RunSheetError(
                f"Chromium not found as '{chromium}'; install it (apt-get install chromium) "
                "or set SHOWCALLER_CHROMIUM to its path"
            ) from None
        except subprocess.TimeoutExpired:
            raise RunSheetError(f"Chromium did not print the PDF within {PDF_TIMEOUT_SECONDS} s") from None
        if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            last = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise RunSheetError(f"Chromium could not print the PDF (exit {done.returncode}): {last[0]}")
