"""The report as CSV (one row per participant) or a self-contained HTML page with an SVG chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from app.report.render import html_words
from app.report.units import mmss
from schedules.i18n import ENGLISH_WORDS, Words
from schedules.invites import role_name
from schedules.model import Role
from schedules.resolve import zone

ROLES = {role.value for role in Role}

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_HERE = Path(__file__).parent
# Templates ship beside this module (package data): the SVG chart and the HTML page around it.
_SVG = (_HERE / "attendance_chart.svg.html").read_text(encoding="utf-8")
_PAGE = (_HERE / "attendance.html").read_text(encoding="utf-8")


def to_csv(report: dict[str, Any]) -> str:
    """Participants with total and per-segment minutes (segments in agenda order)."""
    segments = [s["id"] for s in report["segments"] if not s["skipped"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "name",
            "email",
            "person_id",
            "roles",
            "total_minutes",
            "sessions",
            "first_join",
            "last_leave",
            "reconciled",
            *[f"minutes:{s}" for s in segments],
        ]
    )
    for p in report["participants"]:
        writer.writerow(
            [
                p["name"],
                p["email"] or "",
                p["person_id"] or "",
                " ".join(p["roles"]),
                p["total_minutes"],
                p["sessions"],
                p["first_join"] or "",
                p["last_leave"] or "",
                "yes" if p["reconciled"] else "no",
                *[p["segments"].get(s, 0) for s in segments],
            ]
        )
    return out.getvalue()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def chart_svg(report: dict[str, Any], width: int = 880, height: int = 240, w: Words = ENGLISH_WORDS) -> str:
    """Attendance over time as a step chart (inline SVG, no script), with segment boundaries; its
    words and times for `w`'s reader."""
    tz_name = report["event"]["timezone"]
    n: Callable[[Any], str] = str if w.reader.english else w.number  # English exactly as it always was
    points = [(_parse(t), c) for t, c in report["attendance"]["series"]]
    bounds = [(_parse(s["start"]), s["title"]) for s in report["segments"] if not s["skipped"]]
    moments = [t for t, _ in points] + [t for t, _ in bounds]
    if not points:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" role="img">'
            f'<text x="10" y="30">{escape(w._("No attendance recorded."))}</text></svg>'
        )
    # The axis spans the event (first join or segment to the last segment's end), not "now":
    # a report made days later must not squeeze the afternoon into one pixel.
    ends = [_parse(s["end"]) for s in report["segments"] if not s["skipped"]]
    t0, t1 = min(moments), max([*moments, *ends])
    span = max((t1 - t0).total_seconds(), 1.0)
    top = max(c for _, c in points) or 1
    left, right, pad_top, bottom = 40, width - 10, 10, height - 30
    x = lambda t: left + (right - left) * (t - t0).total_seconds() / span  # noqa: E731
    y = lambda c: bottom - (bottom - pad_top) * c / top  # noqa: E731
    path, last = [f"M{x(t0):.1f},{y(0):.1f}"], 0
    for t, c in points:
        path.append(f"L{x(t):.1f},{y(last):.1f} L{x(t):.1f},{y(c):.1f}")
        last = c
    path.append(f"L{x(min(t1, _parse(report['generated_at']))):.1f},{y(last):.1f}")
    return _env.from_string(_SVG).render(
        width=width,
        height=height,
        left=left,
        right=right,
        top=pad_top,
        bottom=bottom,
        path=" ".join(path),
        peak=n(top),
        peak_y=y(top),
        lines=[(x(t), title, w.reader.clock(t, tz_name)) for t, title in bounds],
        label=w._("Participants present over time"),
        zero=n(0),
    )


def to_html(report: dict[str, Any], w: Words = ENGLISH_WORDS) -> str:
    """A self-contained page: no scripts, no external resources. Its headings, labels and sentences
    in `w`'s words, its dates, times and counts as that reader writes them (issue 30); English (the
    default) is the page as it always was. Names, titles and the timers' labels are the file's and
    the hosts' own text; roles are named as invites name them."""
    reader = w.reader
    tz_name = report["event"]["timezone"]
    digits = reader.digits_of
    local = lambda v: reader.clock(_parse(v), tz_name) if v else ""  # noqa: E731
    signed = lambda s: digits(("+" if s > 0 else "-" if s < 0 else "") + mmss(abs(s)))  # noqa: E731
    n: Callable[[Any], str] = str
    role: Callable[[str], str] = str
    if reader.english:
        day, generated = report["event"]["date"], report["generated_at"]
    else:
        day = reader.date(date.fromisoformat(report["event"]["date"]), "full")
        at = _parse(report["generated_at"])
        generated = w._(
            "{date} at {time}",
            date=reader.date(at.astimezone(zone(tz_name)).date(), "long"),
            time=local(report["generated_at"]),
        )
        n = w.number
        role = lambda value: role_name(w, Role(value)) if value in ROLES else value  # noqa: E731
    return _env.from_string(_PAGE).render(
        r=report,
        _=html_words(w),
        lang=reader.tag,
        date=day,
        generated=generated,
        n=n,
        role=role,
        chart=Markup(chart_svg(report, w=w)),
        local=local,
        signed=signed,
        mmss=lambda s: digits(mmss(s)),
    )
