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
from app.report.units import mmss
from schedules.resolve import zone

# Templates ship beside this module (package data).
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def headline(p: dict[str, Any]) -> str:
    """One sentence a donor reads first."""
    s = p["summary"]
    parts = []
    if s["registration"] and s["registered"]:
        rate = f"{s['attendance_rate'] * 100:.0f}%" if s["attendance_rate"] is not None else "—"
        parts.append(f"{s['registered']} people registered and {s['attended']} of them attended ({rate})")
        if s["countries_represented"]:
            parts.append(f"from {s['countries_represented']} countries")
    else:
        parts.append(f"{s['participants']} people took part")
    ran = [g for g in p["segments"] if not g["skipped"]]
    late = [g for g in ran if g["overrun_seconds"] > 60]
    agenda = f"{len(ran)} of {len(p['segments'])} agenda segments ran"
    agenda += f", {len(late)} of them over time" if late else ", all on time"
    return f"{' '.join(parts)}; at most {s['peak_concurrent']} were in the meeting at one time. {agenda}."


def to_html(p: dict[str, Any]) -> str:
    """A page with no script and no external resource: it opens offline and prints as the PDF."""
    tz = zone(p["event"]["timezone"])
    parse = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(tz)  # noqa: E731
    local = lambda v: parse(v).strftime("%H:%M") if v else ""  # noqa: E731
    signed = lambda s: ("+" if s > 0 else "-" if s < 0 else "±") + mmss(abs(s))  # noqa: E731
    s = p["summary"]
    return _env.get_template("pack.html").render(
        p=p,
        s=s,
        date=date.fromisoformat(p["event"]["date"]).strftime("%A %d %B %Y"),
        rate=f"{s['attendance_rate'] * 100:.0f}%" if s["attendance_rate"] is not None else "—",
        peak_at=local(s["peak_at"]),
        headline=headline(p),
        attendance_chart=Markup(attendance_chart(p)),
        agenda_chart=Markup(agenda_chart(p)),
        local=local,
        signed=signed,
        mmss=mmss,
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
