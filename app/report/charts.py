"""The pack's charts as inline SVG, drawn here on the server: no script, no CDN, fine offline and in print.

Each chart carries <title> and <desc> (read by screen readers through aria-labelledby); the page
puts a data table with the same numbers beside every chart.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from schedules.i18n import ENGLISH_WORDS, N_, Words
from schedules.resolve import zone

INK, MUTED, ACCENT, LATE, EARLY = "#1f2933", "#7b8794", "#2563eb", "#c2410c", "#15803d"
BANDS = ("#dbeafe", "#e0e7ff", "#fef3c7", "#dcfce7", "#fce7f3", "#e5e7eb")


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="sans-serif" font-size="11">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _hours(t0: datetime, t1: datetime, tz) -> list[datetime]:
    """Tick moments: every 30 minutes (every hour on long days) inside [t0, t1]."""
    step = 1800 if (t1 - t0).total_seconds() <= 6 * 3600 else 3600
    first = int(t0.timestamp() // step + 1) * step
    return [datetime.fromtimestamp(s, tz) for s in range(first, int(t1.timestamp()) + 1, step)]


def attendance_chart(pack: dict[str, Any], width: int = 860, height: int = 300, w: Words = ENGLISH_WORDS) -> str:
    """People in the meeting over time (a step line), with the agenda's segments drawn under it; its
    words in `w`'s (English by default)."""
    tz = zone(pack["event"]["timezone"])
    series = [(_t(t), c) for t, c in pack["series"]]
    segs = [s for s in pack["segments"] if not s["skipped"]]
    peak = pack["summary"]["peak_concurrent"]
    title = w._("People in the meeting over time")
    if not series or not segs:
        return _svg(
            "attendance",
            width,
            60,
            title,
            w._("No attendance was recorded."),
            ['<text x="10" y="30">' + escape(w._("No attendance recorded.")) + "</text>"],
        )
    t0 = min([series[0][0], *(_t(s["start"]) for s in segs)])
    t1 = max([series[-1][0], *(_t(s["end"]) for s in segs)])
    span = max((t1 - t0).total_seconds(), 1.0)
    left, right, top, bottom = 44, width - 24, 14, height - 92
    top_count = max(peak, 1)
    x = lambda t: left + (right - left) * (t - t0).total_seconds() / span  # noqa: E731
    y = lambda c: bottom - (bottom - top) * c / top_count  # noqa: E731
    body = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{MUTED}"/>']
    for n in sorted({0, top_count // 2, top_count}):
        body.append(f'<text x="{left - 6}" y="{y(n) + 4:.1f}" text-anchor="end" fill="{MUTED}">{n}</text>')
        body.append(f'<line x1="{left}" y1="{y(n):.1f}" x2="{right}" y2="{y(n):.1f}" stroke="#e5e7eb"/>')
    path, last = [f"M{x(t0):.1f},{y(0):.1f}"], 0
    for t, c in series:
        path.append(f"L{x(t):.1f},{y(last):.1f} L{x(t):.1f},{y(c):.1f}")
        last = c
    path.append(f"L{x(t1):.1f},{y(last):.1f}")
    body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    band_y = bottom + 22
    for i, s in enumerate(segs):
        a, b = x(_t(s["start"])), x(_t(s["end"]))
        body.append(
            f'<rect x="{a:.1f}" y="{band_y}" width="{max(b - a, 1):.1f}" height="26" fill="{BANDS[i % len(BANDS)]}" '
            f'stroke="#fff"><title>{escape(s["title"])}</title></rect>'
        )
        if b - a > 40:
            label = (
                s["title"]
                if len(s["title"]) * 5.5 < b - a - 6
                else s["title"][: max(1, int((b - a - 6) / 5.5) - 1)] + "…"
            )
            body.append(f'<text x="{a + 3:.1f}" y="{band_y + 17}" fill="{INK}">{escape(label)}</text>')
    for t in _hours(t0, t1, tz):
        body.append(
            f'<text x="{x(t):.1f}" y="{bottom + 14}" text-anchor="middle" fill="{MUTED}">'
            f"{t.astimezone(tz):%H:%M}</text>"
        )
    below = escape(w._("Segments of the agenda as they ran"))
    body.append(f'<text x="{left}" y="{height - 30}" fill="{MUTED}">{below}</text>')
    desc = w._(
        "Step chart of people in the meeting from {start} to {end} ({zone}); peak {peak}. The bar below shows "
        "the {segments} segments as they ran. The table after the chart lists each segment's attendance.",
        start=t0.astimezone(tz).strftime("%H:%M"),
        end=t1.astimezone(tz).strftime("%H:%M"),
        zone=pack["event"]["timezone"],
        peak=peak,
        segments=len(segs),
    )
    return _svg("attendance", width, height, title, desc, body)


def agenda_chart(pack: dict[str, Any], width: int = 860, w: Words = ENGLISH_WORDS) -> str:
    """Planned (grey) against actual (blue) times of each segment; late running shown in orange; its
    words in `w`'s (English by default)."""
    tz = zone(pack["event"]["timezone"])
    segs = pack["segments"]
    row_h, left, right, top = 30, 230, width - 24, 22
    height = top + row_h * len(segs) + 34
    times = [_t(s[k]) for s in segs for k in ("planned_start", "planned_end", "start", "end")]
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)
    x = lambda t: left + (right - left) * (t - t0).total_seconds() / span  # noqa: E731
    planned, actual, beyond = (escape(w._(k)) for k in (N_("planned"), N_("actual"), N_("beyond the planned end")))
    skipped = escape(w._("skipped"))
    body = [
        f'<rect x="{left}" y="4" width="14" height="8" fill="#cbd5e1"/><text x="{left + 18}" y="12">{planned}</text>',
        f'<rect x="{left + 80}" y="4" width="14" height="8" fill="{ACCENT}"/>'
        f'<text x="{left + 98}" y="12">{actual}</text>',
        f'<rect x="{left + 150}" y="4" width="14" height="8" fill="{LATE}"/>'
        f'<text x="{left + 168}" y="12">{beyond}</text>',
    ]
    overruns = 0
    for i, s in enumerate(segs):
        y0 = top + i * row_h
        title = s["title"] if len(s["title"]) <= 38 else s["title"][:37] + "…"
        body.append(f'<text x="{left - 8}" y="{y0 + 17}" text-anchor="end" fill="{INK}">{escape(title)}</text>')
        pa, pb = x(_t(s["planned_start"])), x(_t(s["planned_end"]))
        body.append(f'<rect x="{pa:.1f}" y="{y0 + 4}" width="{max(pb - pa, 1):.1f}" height="9" fill="#cbd5e1"/>')
        if s["skipped"]:
            body.append(f'<text x="{pa:.1f}" y="{y0 + 25}" fill="{MUTED}">{skipped}</text>')
            continue
        aa, ab = x(_t(s["start"])), x(_t(s["end"]))
        body.append(f'<rect x="{aa:.1f}" y="{y0 + 14}" width="{max(ab - aa, 1):.1f}" height="9" fill="{ACCENT}"/>')
        if s["overrun_seconds"] > 0:
            overruns += 1
            late_from = max(pb, aa)
            by = "{}:{:02d}".format(s["overrun_seconds"] // 60, s["overrun_seconds"] % 60)
            late = escape(w._("ended {late} late", late=by))
            body.append(
                f'<rect x="{late_from:.1f}" y="{y0 + 14}" width="{max(ab - late_from, 1):.1f}" height="9" '
                f'fill="{LATE}">'
                f"<title>{late}</title></rect>"
            )
    for t in _hours(t0, t1, tz):
        body.append(
            f'<text x="{x(t):.1f}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">'
            f"{t.astimezone(tz):%H:%M}</text>"
        )
    desc = w._(
        "For each of the {segments} segments, a grey bar for the planned time and a blue bar for the time it "
        "actually ran; {overruns} segment(s) ended after their planned end, drawn in orange. "
        "The table after the chart gives the times.",
        segments=len(segs),
        overruns=overruns,
    )
    return _svg("agenda", width, height, w._("Agenda: planned and actual times"), desc, body)
