"""The pack of a Mekong rehearsal: its figures equal the sandbox Zoom's own record, and nothing in the
shareable pack (HTML, PDF text, JSON, CSV) carries an attendee's email or name."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import statistics
from datetime import UTC, datetime
from io import BytesIO

import pytest
from typer.testing import CliRunner

import app.cli.report_cmds  # noqa: F401  (registers the command)
import app.cli.schedule_cmds  # noqa: F401  (with a second command typer keeps subcommands)
from app.cli import app as cli
from app.report.figures import PackOptions
from app.report.render import to_csv, to_html
from app.report.service import PackFormat, pack_from_db, render_pack
from app.store.db import create_engine
from schedules.load import load_text
from tests.conftest import MEKONG, ROOT
from tests.report.conftest import need_chromium

SCHEDULE = load_text(MEKONG.read_text(encoding="utf-8"), str(MEKONG))


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _full(r: dict) -> str:
    return f"{r['first_name']} {r.get('last_name', '')}".strip()


class Truth:
    """Figures computed from the sandbox Zoom's registrants and past-participant rows alone.

    In the rehearsal every display name is its person's real identity (names are unique), so who
    of the registrants came is read from the names, independently of the pack's join rules.
    """

    def __init__(self, registrants: list[dict], rows: list[dict]) -> None:
        self.registrants = [r for r in registrants if r["status"] in ("approved", "pending")]
        self.spans: dict[str, list[tuple[datetime, datetime]]] = {}
        for row in rows:
            if row["duration"] > 0:
                self.spans.setdefault(row["name"], []).append((_t(row["join_time"]), _t(row["leave_time"])))
        self.attended = [r for r in self.registrants if _full(r) in self.spans]
        self.rows = rows

    def peak(self) -> int:
        deltas: dict[datetime, int] = {}
        for spans in self.spans.values():
            for a, b in spans:
                deltas[a] = deltas.get(a, 0) + 1
                deltas[b] = deltas.get(b, 0) - 1
        count, best = 0, 0
        for moment in sorted(deltas):
            count += deltas[moment]
            best = max(best, count)
        return best

    def median_minutes(self) -> float:
        totals = [sum((b - a).total_seconds() for a, b in spans) / 60 for spans in self.spans.values()]
        return round(statistics.median(totals), 1)

    def in_segment(self, start: datetime, end: datetime) -> int:
        return sum(1 for spans in self.spans.values() if any(a < end and b > start for a, b in spans))

    def breakdown(self, value_of) -> dict[str, tuple[int, int]]:
        out: dict[str, list[int]] = {}
        came = {r["id"] for r in self.attended}
        for r in self.registrants:
            slot = out.setdefault(value_of(r) or "(not answered)", [0, 0])
            slot[0] += 1
            slot[1] += r["id"] in came
        return {k: (a, b) for k, (a, b) in out.items()}

    def matched_by(self) -> dict[str, int]:
        """How the rehearsal's attendees joined: with their registrant link, signed in, or neither."""
        registered = {_full(r) for r in self.registrants}
        out = {"registrant_id": 0, "email": 0, "name": 0}
        seen = set()
        for row in self.rows:
            if row["name"] not in registered or row["name"] in seen:
                continue
            seen.add(row["name"])
            out["registrant_id" if row.get("registrant_id") else "email" if row["user_email"] else "name"] += 1
        return out


async def _pack(rehearsed, **options) -> dict:
    db = create_engine(rehearsed.database_url)
    try:
        return await pack_from_db(db, SCHEDULE, datetime.now(UTC), options=PackOptions(**options))
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def truth(rehearsed) -> Truth:
    return Truth(rehearsed.summary.zoom_registrants, rehearsed.summary.zoom_rows)


def test_the_rehearsal_registered_a_crowd_with_no_shows(rehearsed, truth) -> None:
    assert rehearsed.summary.fetched["registrants"] == len(rehearsed.summary.zoom_registrants) > 0
    assert 0 < len(truth.attended) < len(truth.registrants)  # some registered and never came
    assert all(r.get("country") and r.get("org") and r.get("custom_questions") for r in truth.registrants)


def test_json_summary_equals_the_sandbox_zooms_record(rehearsed, truth, tmp_path) -> None:
    out = tmp_path / "pack.json"
    result = CliRunner().invoke(
        cli,
        ["report", str(MEKONG), "--format", "json", "--database-url", rehearsed.database_url, "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    pack = json.loads(out.read_text(encoding="utf-8"))
    s = pack["summary"]
    assert s["registered"] == len(truth.registrants)
    assert s["attended"] == len(truth.attended)
    assert s["attendance_rate"] == round(len(truth.attended) / len(truth.registrants), 3)
    assert s["no_shows"] == len(truth.registrants) - len(truth.attended)
    assert s["participants"] == len(truth.spans)
    assert s["peak_concurrent"] == truth.peak()
    assert s["median_minutes"] == truth.median_minutes()
    assert s["countries_represented"] == len({r["country"] for r in truth.attended})
    # Every attendee who registered was matched, each by the rule their way of joining allows.
    matching = pack["matching"]
    assert matching["order"] == ["registrant_id", "email", "name"]
    assert {k: matching[k] for k in ("registrant_id", "email", "name")} == truth.matched_by()
    assert matching["unmatched"] == 0
    assert matching["on_agenda"] == len(truth.spans) - len(truth.attended)
    for segment in pack["segments"]:
        if not segment["skipped"]:
            assert segment["attended"] == truth.in_segment(_t(segment["start"]), _t(segment["end"])), segment["id"]


def test_breakdowns_equal_the_record_without_and_with_the_small_group_rule(rehearsed, truth) -> None:
    exact = asyncio.run(_pack(rehearsed, threshold=1))
    shown = asyncio.run(_pack(rehearsed))  # default threshold 5
    by_key = {b["key"]: b for b in exact["breakdowns"]}

    def answers(title):
        return lambda r: next((a["value"] for a in r.get("custom_questions", []) if a["title"] == title), "")

    expected = {
        "country": truth.breakdown(lambda r: r.get("country")),
        "org": truth.breakdown(lambda r: r.get("org")),
        "job_title": truth.breakdown(lambda r: r.get("job_title")),
        "question:Gender": truth.breakdown(answers("Gender")),
        "question:Which session interests you most?": truth.breakdown(answers("Which session interests you most?")),
    }
    assert set(by_key) == set(expected)
    for key, counts in expected.items():
        got = {r["value"]: (r["registered"], r["attended"]) for r in by_key[key]["rows"] if r["registered"]}
        assert got == counts, key
    small = [
        (r, e)
        for b, eb in zip(shown["breakdowns"], exact["breakdowns"], strict=True)
        for r, e in zip(b["rows"], eb["rows"], strict=True)
    ]
    assert any(r["attended"] == "< 5" for r, _ in small)
    for r, e in small:
        for col in ("registered", "attended"):
            assert r[col] == ("< 5" if 0 < e[col] < 5 else e[col])
    # Free-text answers are counted, never printed.
    assert shown["short_answers"] == [
        {
            "title": "What would you like the dialogue to address?",
            "answered": sum(1 for r in truth.registrants if answers("What would you like the dialogue to address?")(r)),
        }
    ]


def _attendee_strings(truth: Truth) -> set[str]:
    on_agenda = {p.name for p in SCHEDULE.people} | {p.email for p in SCHEDULE.people if p.email}
    out = {r["email"] for r in truth.registrants} | {_full(r) for r in truth.registrants}
    out |= {row["user_email"] for row in truth.rows if row["user_email"]} | set(truth.spans)
    return {s for s in out if s and s not in on_agenda}


@pytest.mark.browser
def test_no_attendee_email_or_name_anywhere_in_the_shareable_pack(rehearsed, truth) -> None:
    from pypdf import PdfReader

    need_chromium()
    pack = asyncio.run(_pack(rehearsed))
    pdf = rehearsed.folder / "pack.pdf"
    assert pdf.exists(), "the rehearsal writes the PDF when Chromium is installed"
    texts = {
        "html": (rehearsed.folder / "pack.html").read_text(encoding="utf-8"),
        "json": json.dumps(pack, ensure_ascii=False),
        "csv": to_csv(pack),
        "pdf": "\n".join(page.extract_text() for page in PdfReader(pdf).pages),
    }
    secrets = _attendee_strings(truth)
    assert len(secrets) > 50
    for kind, text in texts.items():
        assert "@" not in text.replace("@media", "").replace("@page", ""), kind
        leaked = sorted(s for s in secrets if s in text)
        assert leaked == [], (kind, leaked[:5])
    # Speakers and moderators are named: they are on the published agenda.
    assert "Pinsuda Alexander" in texts["html"] and "Pinsuda Alexander" in texts["pdf"]


@pytest.mark.browser
def test_the_pdf_has_its_pages_and_the_personal_one_says_so_on_every_page(rehearsed, truth) -> None:
    from pypdf import PdfReader

    need_chromium()
    pages = [p.extract_text() for p in PdfReader(rehearsed.folder / "pack.pdf").pages]
    assert 4 <= len(pages) <= 7, len(pages)
    assert "Summary" in pages[0] and "registered" in pages[0] and "attendance rate" in pages[0]
    assert f"{len(truth.registrants)}" in pages[0]
    assert "How the agenda ran" in pages[1]
    joined = "\n".join(pages)
    for heading in ("Who registered and who came", "Respondent timers", "Notes from the run log"):
        assert heading in joined
    assert all("Shareable: no attendee names or emails" in p for p in pages)
    personal = asyncio.run(_pack(rehearsed, personal=True))
    data = asyncio.run(render_pack(personal, PackFormat.pdf))
    marked = [p.extract_text() for p in PdfReader(BytesIO(data)).pages]
    assert len(marked) > len(pages)
    assert all("CONTAINS PERSONAL DATA" in p for p in marked)
    assert "Annex: attendees and registrants" in "\n".join(marked)
    assert truth.registrants[0]["email"] in "\n".join(marked)


@pytest.mark.browser
async def test_first_page_picture_for_the_readme(rehearsed, browser, tmp_path) -> None:
    """Takes the picture the README shows (the first page as printed, A4). It is saved into
    docs/report-first-page.png only with SHOWCALLER_UPDATE_DOCS=1, so a test run never leaves the
    checkout modified; otherwise it goes to a temporary folder and the committed one must exist."""
    page = await browser.new_page(viewport={"width": 794, "height": 1123}, device_scale_factor=1.25)
    await page.emulate_media(media="print")
    await page.goto((rehearsed.folder / "pack.html").as_uri())
    assert await page.locator("svg[role=img] > title").count() == 2  # both charts carry a title
    assert await page.locator("h2#summary").inner_text() == "Summary"
    # The page's A4 margins, which print adds around the body, and the first page only: up to the
    # end of the summary section (the PDF test checks that the agenda starts on page 2).
    await page.add_style_tag(content="body { padding: 36px 44px !important; }")
    box = await page.locator("section[aria-labelledby=summary]").bounding_box()
    assert box is not None
    clip = {"x": 0, "y": 0, "width": 794, "height": box["y"] + box["height"] + 12}
    committed = ROOT / "docs" / "report-first-page.png"
    target = committed if os.environ.get("SHOWCALLER_UPDATE_DOCS") == "1" else tmp_path / committed.name
    await page.screenshot(path=str(target), clip=clip)
    await page.close()
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert committed.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the README's picture is in the repository


@pytest.mark.browser
async def test_report_pages_pass_axe_and_read_on_a_phone(rehearsed, browser) -> None:
    """The pack (shareable and personal) and the attendance report: axe-core finds no critical or
    serious violation at 1366x768 and 390x844, and on a phone nothing scrolls sideways."""
    from app.report.attendance_render import to_html as report_html
    from app.report.service import report_from_db
    from tests.web.a11y import LAPTOP, PHONE, SIZES, axe_violations, sideways_scroll

    db = create_engine(rehearsed.database_url)
    try:
        report = await report_from_db(db, SCHEDULE, datetime.now(UTC))
    finally:
        await db.dispose()
    pages = {
        "shareable pack": (rehearsed.folder / "pack.html").read_text(encoding="utf-8"),
        "personal pack": to_html(await _pack(rehearsed, personal=True)),
        "attendance report": report_html(report),
    }
    # The personal pack is the shareable one plus these parts: axe looks only at them (it is slow on
    # a long page, and the rest was checked in the shareable pack).
    only = {"personal pack": {"include": [[".banner"], ["footer"], ["section[aria-labelledby=annex]"]]}}
    laptop = await browser.new_page(viewport=LAPTOP)
    phone = await (await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)).new_page()
    found: list[str] = []
    for name, html in pages.items():
        await asyncio.gather(laptop.set_content(html), phone.set_content(html))
        # The two pages are two renderer processes: axe runs on both at once.
        context = only.get(name)
        checks = await asyncio.gather(axe_violations(laptop, context), axe_violations(phone, context))
        for size, lines in zip(SIZES, checks, strict=True):
            found += [f"{name} {size}: {line}" for line in lines]
        if (wider := await sideways_scroll(phone)) > 0:
            found.append(f"{name} 390x844: {wider} px wider than the phone")
        # The wide tables became blocks of "column: value" lines, still tables to a screen reader.
        assert await phone.get_by_role("table").count() >= 2, name
    assert found == [], "\n".join(found)
    # The shareable mark is still on every printed page (fixed), and on the phone a line at the end.
    await phone.set_content(pages["shareable pack"])
    mark = await phone.locator(".mark").bounding_box()
    height = await phone.evaluate("document.scrollingElement.scrollHeight")
    assert mark is not None and mark["y"] + mark["height"] > height - 80


def test_html_charts_are_inline_and_offline(rehearsed) -> None:
    html = to_html(asyncio.run(_pack(rehearsed)))
    offline = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in offline and "http://" not in offline and "https://" not in offline
    assert html.count("<title id=") == 2 and html.count("<desc id=") == 2
    assert "Attendance per segment" in html and "<caption" in html


def test_cli_csv_threshold_and_one_line_errors(rehearsed, truth, tmp_path, monkeypatch) -> None:
    def run(*args: str):
        return CliRunner().invoke(cli, ["report", str(MEKONG), "--database-url", rehearsed.database_url, *args])

    exact = run("--format", "csv", "--small-group-threshold", "1")
    assert exact.exit_code == 0, exact.output
    rows = list(csv.reader(io.StringIO(exact.stdout)))
    countries = truth.breakdown(lambda r: r.get("country"))
    for code, (registered, attended) in countries.items():
        label = next(r[1] for r in rows if r[0] == "breakdown: Country or region" and r[1].endswith(f"({code})"))
        assert ["breakdown: Country or region", label, "registered", str(registered)] in rows
        assert ["breakdown: Country or region", label, "attended", str(attended)] in rows
    shown = list(csv.reader(io.StringIO(run("--format", "csv").stdout)))
    for code, counts in countries.items():
        for measure, n in zip(("registered", "attended"), counts, strict=True):
            label = next(r[1] for r in shown if r[0] == "breakdown: Country or region" and r[1].endswith(f"({code})"))
            assert ["breakdown: Country or region", label, measure, "< 5" if 0 < n < 5 else str(n)] in shown
    personal = run("--format", "csv", "--include-personal-data")
    assert truth.registrants[0]["email"] in personal.stdout and "annex (personal data)" in personal.stdout
    refused = run("--internal", "--format", "pdf")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert refused.output.count("\n") == 1 and "Fix:" in refused.output
    # --locale: the page's headings in French (issue 30); a locale no catalog writes is refused in one line.
    french = run("--format", "html", "--locale", "fr")
    assert french.exit_code == 0 and '<html lang="fr">' in french.stdout and "Inscrits et présents" in french.stdout
    assert '<html lang="en">' in run("--format", "html").stdout  # the Mekong event's language: English
    german = run("--format", "html", "--locale", "de")
    assert german.exit_code == 2 and german.output.count("\n") == 1
    assert "--locale: no catalog writes the pack in 'de'" in german.output and "Fix:" in german.output


@pytest.mark.browser
def test_cli_pdf_goes_to_a_named_file(rehearsed, tmp_path, monkeypatch) -> None:
    need_chromium()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["report", str(MEKONG), "--format", "pdf", "--database-url", rehearsed.database_url]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "mekong-dialogue-2022-report.pdf"
    assert result.stdout.strip() == f"wrote {written.name}" and written.read_bytes().startswith(b"%PDF")


def test_the_recording_runs_from_the_opening_and_the_pack_lists_its_8_chapters(rehearsed) -> None:
    """Acceptance (issue 29): the Mekong rehearsal records from the opening (not the set-up) to the
    end, nothing paused; the pack lists 8 chapters, the opening to the closing, whose offsets are
    the run log's segment starts minus the recording's real start (from its webhook), to the second;
    the poll was created and the hosts reminded to open it."""
    pack = asyncio.run(_pack(rehearsed))
    [take] = pack["recording"]["takes"]
    started = _t(take["started"])
    segments = {g["id"]: g for g in pack["segments"]}
    assert _t(segments["opening"]["start"]) <= started < _t(segments["session-1"]["start"])  # not at 13:30
    assert take["paused_seconds"] == 0
    chapters = take["chapters"]
    assert [c["segment"] for c in chapters] == [g["id"] for g in pack["segments"] if g["id"] != "setup"]
    assert len(chapters) == 8 and chapters[0]["offset_seconds"] == 0
    for chapter in chapters[1:]:
        expected = (_t(segments[chapter["segment"]]["start"]) - started).total_seconds()
        # The pack writes both instants to the second (truncated) and the chapter rounds the exact
        # difference, so the two agree within one second.
        assert abs(chapter["offset_seconds"] - expected) <= 1, chapter
    assert take["youtube"].splitlines()[0].endswith(" Opening remarks")
    assert pack["recording"]["files"] and pack["polls"]["polls"][0]["title"] == "Priorities"
