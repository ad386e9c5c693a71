"""The pack as a self-contained HTML page (jinja2, charts inline), as CSV (one fact a row) or as JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from app.report.charts import agenda_chart, attendance_chart
from app.report.figures import BROKEN_DOWN, NOT_ANSWERED
from app.report.polls import OTHER
from app.report.units import mmss
from schedules.i18n import ENGLISH_WORDS, N_, Words, say
from schedules.resolve import zone

# Templates ship beside this module (package data).
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


# How an attendee was matched to a registration (figures.py's `matched_by`, "_" read as a space).
MATCHED_BY = (N_("registrant id"), N_("email"), N_("name"))


def _rate(s: dict[str, Any], w: Words) -> str:
    if s["attendance_rate"] is None:
        return "—"
    if w.reader.english:
        return f"{s['attendance_rate'] * 100:.0f}%"
    return w._("{percent}%", percent=w.number(round(s["attendance_rate"] * 100)))


def headline(p: dict[str, Any], w: Words = ENGLISH_WORDS) -> str:
    """One sentence a donor reads first (in `w`'s words: English by default)."""
    s = p["summary"]
    n = str if w.reader.english else w.number  # English exactly as before, whatever the size
    parts = []
    if s["registration"] and s["registered"]:
        parts.append(
            w._(
                "{registered} people registered and {attended} of them attended ({rate})",
                registered=n(s["registered"]),
                attended=n(s["attended"]),
                rate=_rate(s, w),
            )
        )
        if s["countries_represented"]:
            parts.append(w._("from {countries} countries", countries=n(s["countries_represented"])))
    else:
        parts.append(w._("{participants} people took part", participants=n(s["participants"])))
    ran = [g for g in p["segments"] if not g["skipped"]]
    late = [g for g in ran if g["overrun_seconds"] > 60]
    agenda = w._("{ran} of {planned} agenda segments ran", ran=n(len(ran)), planned=n(len(p["segments"])))
    agenda += w._(", {late} of them over time", late=n(len(late))) if late else w._(", all on time")
    return w._(
        "{who}; at most {peak} were in the meeting at one time. {agenda}.",
        who=" ".join(parts),
        peak=n(s["peak_concurrent"]),
        agenda=agenda,
    )


def _made(p: dict[str, Any], w: Words) -> str:
    """When the pack was made, in the event's zone as `w`'s reader writes a date and a time."""
    tz = p["event"]["timezone"]
    at = datetime.fromisoformat(p["generated_at"].replace("Z", "+00:00")).astimezone(zone(tz))
    return w._("{date} at {time}", date=w.reader.date(at.date(), "long"), time=w.reader.clock(at, tz))


def note_text(n: dict[str, Any], w: Words = ENGLISH_WORDS) -> str:
    """A note from the run log as the pack's reader reads it: its phrase in `w`'s words (a host's
    announcement quoted as posted); English, and a pack stored before notes had phrases, its text."""
    if w.reader.english or "phrase" not in n:
        return n["text"]
    return say(w, n["phrase"])


def html_words(w: Words):
    """The template's `_`: a catalog string is trusted markup (as with Jinja's i18n extension); the
    values put into it are escaped."""

    def translate(message: str, /, **values: object) -> Markup:
        return Markup(w._(message)).format(**values) if values else Markup(w._(message))

    return translate


def to_html(p: dict[str, Any], w: Words = ENGLISH_WORDS) -> str:
    """A page with no script and no external resource: it opens offline and prints as the PDF.

    Its headings, labels and sentences are in `w`'s words, its dates and times in that reader's
    formats (CLDR through schedules/locales.py); English (the default) is the page as it always was."""
    reader = w.reader
    tz_name = p["event"]["timezone"]
    tz = zone(tz_name)
    parse = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(tz)  # noqa: E731
    local = lambda v: reader.clock(parse(v), tz_name) if v else ""  # noqa: E731
    signed = lambda s: ("+" if s > 0 else "-" if s < 0 else "±") + mmss(abs(s))  # noqa: E731
    s = p["summary"]
    day = date.fromisoformat(p["event"]["date"])
    return _env.get_template("pack.html").render(
        p=p,
        s=s,
        _=html_words(w),
        lang=reader.tag,
        date=day.strftime("%A %d %B %Y") if reader.english else reader.date(day, "full"),
        rate=_rate(s, w),
        peak_at=local(s["peak_at"]),
        headline=headline(p, w),
        made=p["generated_local"] if reader.english else _made(p, w),
        other_polls=OTHER,
        attendance_chart=Markup(attendance_chart(p, w=w)),
        agenda_chart=Markup(agenda_chart(p, w=w)),
        standard_titles=set(BROKEN_DOWN.values()),
        not_answered=NOT_ANSWERED,
        local=local,
        signed=signed,
        mmss=mmss,
        note=lambda n: note_text(n, w),
    )


def to_json(p: dict[str, Any]) -> str:
    return json.dumps(p, indent=2, ensure_ascii=False)


def to_csv(p: dict[str, Any]) -> str:
    """Every figure of the pack as (section, item, measure, value): one table a spreadsheet pivots."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "item", "measure", "value"])
    for key, value in p["summary"].items():
        w.writerow(["summary", "", key, "" if value is None else value])
    for key, value in p["matching"].items():
        if key != "order":
            w.writerow(["matching", "", key, value])
    for g in p["segments"]:
        for key in ("planned_start", "planned_end", "start", "end", "planned_minutes", "actual_minutes"):
            w.writerow(["segment", g["title"], key, g[key]])
        for key in ("overrun_seconds", "attended", "peak"):
            w.writerow(["segment", g["title"], key, g[key]])
    for b in p["breakdowns"]:
        for r in b["rows"]:
            w.writerow([f"breakdown: {b['title']}", r["label"], "registered", r["registered"]])
            w.writerow([f"breakdown: {b['title']}", r["label"], "attended", r["attended"]])
    for t in p["timers"]:
        for key in ("allotted_seconds", "used_seconds", "over_seconds"):
            w.writerow(["timer", t["label"], key, t[key]])
    for n in p["notes"]:
        w.writerow(["note", n["at"], n["kind"], n["text"]])
    for number, take in enumerate((p.get("recording") or {}).get("takes", []), start=1):
        for key in ("started", "stopped", "length_seconds", "paused_seconds"):
            w.writerow([f"recording {number}", "", key, take[key]])
        for c in take["chapters"]:
            w.writerow([f"recording {number}", c["title"], "offset_seconds", c["offset_seconds"]])
    for poll in (p.get("polls") or {}).get("polls", []):
        for q in poll["questions"]:
            w.writerow([f"poll: {poll['title']}", q["question"], "answered", q["answered"]])
            for a in q["answers"]:
                w.writerow([f"poll: {poll['title']}", q["question"], a["answer"], a["count"]])
    for a in p.get("annex", []):
        for key in ("email", "registered", "country", "organisation", "minutes"):
            w.writerow(["annex (personal data)", a["name"], key, "" if a[key] is None else a[key]])
    return out.getvalue()
