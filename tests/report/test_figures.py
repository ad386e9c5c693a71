"""The pack's pure parts: the join order, the small-group rule, notes from the run log, the annex."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.attendance.intervals import Attendance, Participant
from app.report.attendance import build_report
from app.report.figures import PackOptions, build_pack, cell
from app.report.join import join
from app.report.render import note_text, to_csv, to_html
from app.store.registrants_repo import RegistrantRow
from schedules.adjustments import (
    Advance,
    Announce,
    Delay,
    Hold,
    InsertSegment,
    Resume,
    TimerStart,
    TimerStop,
    Undo,
)
from schedules.i18n import words_for
from schedules.load import load_text
from schedules.locales import Reader
from schedules.model import RespondentSlot
from schedules.timeline import build_timeline
from tests.conftest import MEKONG, bangkok

NBSP = "\u00a0"
SCHEDULE = load_text(MEKONG.read_text(encoding="utf-8"), str(MEKONG))


def person(key: str, name: str, email: str | None = None, rg: tuple[str, ...] = (), minutes: int = 30) -> Participant:
    start = bangkok(14, 0)
    return Participant(key, name, email, [(start, start + timedelta(minutes=minutes))], {}, [], 1, False, rg)


def reg(rid: str, first: str, last: str, email: str, country: str = "KH", gender: str = "Woman") -> RegistrantRow:
    return RegistrantRow(rid, "approved", email, first, last, {"country": country, "org": "IOM"}, {"Gender": gender})


def test_join_order_is_registrant_id_then_email_then_a_unique_name() -> None:
    registrants = [
        reg("r1", "Ana", "Lima", "ana@example.org"),
        reg("r2", "Bo", "Chen", "bo@example.org"),
        reg("r3", "Chau", "Tran", "chau@example.org"),
        reg("r4", "Dara", "Sok", "dara1@example.org"),
        reg("r5", "Dara", "Sok", "dara2@example.org"),
    ]
    attendees = [
        person("a", "Ana on her phone", "other@example.org", ("r1",)),  # id wins over a different email
        person("b", "B.", "BO@example.org"),  # email, case-insensitive
        person("c", "Dr. Chau Tran (Viet Nam)"),  # name, normalised
        person("d", "Dara Sok"),  # two registrants have this name: not guessed
        person("s", "Pinsuda Alexander", "pinsuda.alexander@example.org"),
    ]
    joined = join(registrants, attendees, {"s"})
    assert {rid: [p.key for p in ps] for rid, ps in joined.by_registrant.items()} == {
        "r1": ["a"],
        "r2": ["b"],
        "r3": ["c"],
        "r4": [],
        "r5": [],
    }
    assert joined.counts() == {"registrant_id": 1, "email": 1, "name": 1, "unmatched": 1, "on_agenda": 1}
    assert [p.key for p in joined.unmatched] == ["d"]


def test_counts_below_the_threshold_are_shown_as_less_than() -> None:
    assert [cell(n, 5) for n in (0, 1, 4, 5, 12)] == [0, "< 5", "< 5", 5, 12]
    assert cell(2, 3) == "< 3" and cell(2, 1) == 2


def _pack(actions=(), personal=False, threshold=5):
    now = bangkok(18, 0)
    timeline = build_timeline(SCHEDULE, list(actions), now)
    people = [person(f"p{i}", f"Guest {i}", f"guest{i}@example.org", (f"r{i}",)) for i in range(7)]
    attendance = Attendance(people, {}, {})
    registrants = [
        reg(f"r{i}", "Guest", str(i), f"guest{i}@example.org", "KH" if i < 6 else "LA", "Man" if i else "Woman")
        for i in range(9)
    ]
    base = build_report(SCHEDULE, timeline, attendance, now)
    options = PackOptions(threshold=threshold, personal=personal)
    return build_pack(SCHEDULE, base, attendance, registrants, list(actions), timeline, now, options)


def test_breakdowns_hide_small_groups_and_the_summary_counts_everyone() -> None:
    pack = _pack()
    assert (pack["summary"]["registered"], pack["summary"]["attended"], pack["summary"]["no_shows"]) == (9, 7, 2)
    country = next(b for b in pack["breakdowns"] if b["key"] == "country")
    assert [(r["label"], r["registered"], r["attended"]) for r in country["rows"]] == [
        ("Cambodia (KH)", 6, 6),
        ("Lao People's Democratic Republic (LA)", "< 5", "< 5"),
    ]
    gender = next(b for b in pack["breakdowns"] if b["key"] == "question:Gender")
    # A question's rows keep the form's order and list every answer, even one nobody gave.
    assert [r["value"] for r in gender["rows"]] == ["Woman", "Man", "Another gender", "Prefer not to say"]
    assert [r["registered"] for r in gender["rows"]] == ["< 5", 8, 0, 0]
    exact = _pack(threshold=1)
    assert [r["registered"] for r in next(b for b in exact["breakdowns"] if b["key"] == "country")["rows"]] == [6, 3]


def test_notes_come_from_the_run_log_and_leave_undone_actions_out() -> None:
    at = bangkok(14, 20)
    actions = [
        Delay(at, seq=1, seconds=180),
        Hold(at + timedelta(minutes=5), seq=2),
        Resume(at + timedelta(minutes=9), seq=3),
        Announce(at + timedelta(minutes=10), seq=4, announcement_id="a1", message="Session 2 starts at 15:20"),
        Announce(at, seq=7, announcement_id="readiness-session-2-x", message="Readiness: Ana has joined"),
        Delay(at + timedelta(minutes=11), seq=5, seconds=600),
        Undo(at + timedelta(minutes=12), seq=6, target=5),
    ]
    notes = _pack(actions)["notes"]
    assert [n["kind"] for n in notes] == ["delay", "hold", "resume", "announce"]
    assert notes[0]["text"] == "Session 1: Preparing for safe migration ran late by 3:00"
    assert notes[3]["text"] == "Announcement: Session 2 starts at 15:20"
    html = to_html(_pack(actions))
    assert "Readiness" not in html
    assert "ran late by 3:00" in html and "Session 2 starts at 15:20" in html


def test_rundown_edits_are_notes_and_the_pack_shows_the_edited_agenda() -> None:
    at = bangkok(14, 50)
    actions = [InsertSegment(at, seq=1, segment="break-1", title="Break", seconds=300, anchor="session-2")]
    now = bangkok(18, 0)
    timeline = build_timeline(SCHEDULE, actions, now)
    rundown = timeline.rundown  # what the service passes: the rows index the edited rundown
    attendance = Attendance([], {}, {})
    base = build_report(rundown, timeline, attendance, now)
    pack = build_pack(rundown, base, attendance, [], actions, timeline, now, PackOptions())
    assert [n["text"] for n in pack["notes"]] == [
        "Rundown edited: insert Break (5 min) before Session 2: Promoting healthy labour mobility"
    ]
    assert "Break" in to_html(pack)
    assert note_text(pack["notes"][0], words_for(Reader("fr"))) == (
        f"Déroulé modifié{NBSP}: insérer Break (5 min) avant Session 2: Promoting healthy labour mobility"
    )


def test_an_early_advance_names_the_segment_left_and_the_one_entered() -> None:
    # The timeline replayed with the advance already shows the next segment from its instant.
    actions = [
        Advance(bangkok(14, 10), seq=1),  # Opening remarks (14:00-14:15) ends five minutes early
        Advance(bangkok(14, 40), seq=2, to="session-2"),
    ]
    notes = _pack(actions)["notes"]
    assert [n["text"] for n in notes] == [
        "Opening remarks ended early; moved on to Session 1: Preparing for safe migration",
        "Session 1: Preparing for safe migration ended early; moved on to Session 2: Promoting healthy labour mobility",
    ]


def test_notes_from_the_run_log_are_written_in_the_packs_locale_and_quote_hosts_as_posted() -> None:
    # Issue 30: the JSON keeps the English `text`; the HTML and PDF write each note's phrase in French.
    at = bangkok(14, 20)
    actions = [
        Delay(at, seq=1, seconds=180),
        Hold(at + timedelta(minutes=5), seq=2),
        Resume(at + timedelta(minutes=9), seq=3),
        Announce(at + timedelta(minutes=10), seq=4, announcement_id="a1", message="Session 2 starts at 15:20"),
        Delay(bangkok(13, 10), seq=5, seconds=-120),  # before the first segment: "the event"
        Advance(bangkok(14, 40), seq=7, to="session-2"),
    ]
    pack = _pack(actions)
    french = [note_text(n, words_for(Reader("fr"))) for n in pack["notes"]]
    session1 = "Session 1: Preparing for safe migration"  # the file's own title, as the pack's table shows it
    assert french == [
        f"Retard de 3:00 pendant {session1}",
        f"Suspension pendant {session1} (sans passage automatique) jusqu’à la reprise",
        f"Reprise du minutage automatique pendant {session1}",
        f"Annonce{NBSP}: Session 2 starts at 15:20",  # the host's words, as posted
        "Avance de 2:00 pendant l’événement",
        f"Fin anticipée de {session1}{NBSP}; passage à Session 2: Promoting healthy labour mobility",
    ]
    html = to_html(pack, words_for(Reader("fr")))
    assert f"Retard de 3:00 pendant {session1}" in html and "ran late" not in html
    # English: each note's phrase reads exactly as its stored text (what the JSON and CSV carry).
    assert [note_text(n) for n in pack["notes"]] == [n["text"] for n in pack["notes"]]
    assert pack["notes"][4]["text"] == "the event was brought forward by 2:00"
    # A pack stored before notes had phrases still renders: its English text.
    assert note_text({"text": "x ran late by 1:00"}, words_for(Reader("fr"))) == "x ran late by 1:00"


def test_a_note_in_native_digits_counts_in_them() -> None:
    pack = _pack([Delay(bangkok(14, 20), seq=1, seconds=180)])
    root = Path(__file__).parent.parent / "data" / "catalogs"  # placeholder catalogs (test data)
    assert "๓:๐๐" in note_text(pack["notes"][0], words_for(Reader("th", "native"), root))


def test_an_advance_before_the_first_segment_is_an_early_start() -> None:
    notes = _pack([Advance(bangkok(13, 20), seq=1)])["notes"]
    assert notes[0]["text"] == "The event started early with Technical set up and registration"


NAMED = SCHEDULE.model_copy(
    update={
        "segments": [
            s.model_copy(
                update={
                    "respondents": s.respondents.model_copy(
                        update={"slots": [RespondentSlot(person="pinsuda-alexander"), RespondentSlot(country="LA")]}
                    )
                }
            )
            if s.id == "session-1" and s.respondents
            else s
            for s in SCHEDULE.segments
        ]
    }
)


def test_the_timer_table_names_the_session_and_the_respondent_of_a_slot() -> None:
    at = bangkok(14, 30)
    actions = [
        TimerStart(at, seq=1, timer_id="t1", seconds=180, label="Respondent 1", segment="session-1", slot=1),
        TimerStop(at + timedelta(seconds=200), seq=2, timer_id="t1"),
        TimerStart(
            at + timedelta(minutes=5),
            seq=3,
            timer_id="t2",
            seconds=180,
            label="Respondent 2",
            segment="session-1",
            slot=2,
        ),
        TimerStop(at + timedelta(minutes=7), seq=4, timer_id="t2"),
    ]
    now = bangkok(18, 0)
    timeline = build_timeline(NAMED, actions, now)
    attendance = Attendance([], {}, {})
    pack = build_pack(NAMED, build_report(NAMED, timeline, attendance, now), attendance, [], actions, timeline, now)
    rows = [(t["label"], t["session"], t["person"], t["over_seconds"]) for t in pack["timers"]]
    assert rows == [
        ("Respondent 1", "Session 1: Preparing for safe migration", "Pinsuda Alexander", 20),
        ("Respondent 2", "Session 1: Preparing for safe migration", None, 0),  # a country, nobody named yet
    ]
    html = to_html(pack)
    assert '<td data-label="Session">Session 1: Preparing for safe migration</td>' in html
    assert '<td data-label="Respondent">Pinsuda Alexander</td>' in html


def test_the_annex_is_only_in_the_personal_pack_and_marked() -> None:
    shareable, personal = _pack(), _pack(personal=True)
    assert "annex" not in shareable and not shareable["personal_data"]
    for text in (to_html(shareable), to_csv(shareable)):
        assert "guest1@example.org" not in text and "Guest 1" not in text
    assert {a["email"] for a in personal["annex"]} == {f"guest{i}@example.org" for i in range(9)}
    html = to_html(personal)
    assert "CONTAINS PERSONAL DATA" in html and "guest8@example.org" in html
    assert "annex (personal data)" in to_csv(personal)


def test_an_event_without_registration_still_has_a_summary() -> None:
    now = datetime(2022, 5, 30, 11, tzinfo=UTC)
    schedule = SCHEDULE.model_copy(update={"zoom": SCHEDULE.zoom.model_copy(update={"registration": False})})
    timeline = build_timeline(schedule, [], now)
    attendance = Attendance([person("x", "X", "x@example.org")], {}, {})
    pack = build_pack(schedule, build_report(schedule, timeline, attendance, now), attendance, [], [], timeline, now)
    assert pack["summary"]["registered"] == 0 and pack["summary"]["attendance_rate"] is None
    assert pack["breakdowns"] == [] and "registration was off" in to_html(pack)


def test_a_pack_with_nobody_in_the_meeting_renders() -> None:
    now = datetime(2022, 5, 30, 11, tzinfo=UTC)
    timeline = build_timeline(SCHEDULE, [], now)
    empty = Attendance([], {}, {})
    pack = build_pack(SCHEDULE, build_report(SCHEDULE, timeline, empty, now), empty, [], [], timeline, now)
    assert pack["summary"]["participants"] == 0 and pack["summary"]["median_minutes"] == 0.0
    html = to_html(pack)
    assert "No attendance recorded." in html and "How the agenda ran" in html
    assert to_csv(pack).startswith("section,item,measure,value\n")


@pytest.mark.browser
async def test_pdfs_asked_at_once_are_all_printed() -> None:
    import asyncio

    from app.report.pdf import html_to_pdf
    from tests.report.conftest import need_chromium

    need_chromium()
    pages = await asyncio.gather(*(html_to_pdf(f"<p>page {i}</p>") for i in range(3)))
    assert all(p.startswith(b"%PDF") for p in pages)


def test_a_missing_chromium_is_one_clear_error() -> None:
    from app.report.pdf import PdfError, find_chromium

    with pytest.raises(PdfError, match="set SHOWCALLER_CHROMIUM to its path"):
        find_chromium("no-such-chromium-here")


def test_countries_are_named_from_iso_codes_and_counted_once() -> None:
    """Zoom's codes become ISO names; "KH" and "Cambodia" are one country; an unknown code stays a code."""
    now = bangkok(18, 0)
    timeline = build_timeline(SCHEDULE, [], now)
    countries = ["KH", "Cambodia", "kh", "CH", "XK", "PH"]
    people = [person(f"p{i}", f"Guest {i}", f"guest{i}@example.org", (f"r{i}",)) for i in range(len(countries))]
    attendance = Attendance(people, {}, {})
    registrants = [reg(f"r{i}", "Guest", str(i), f"guest{i}@example.org", c) for i, c in enumerate(countries)]
    schedule = SCHEDULE.model_copy(
        update={"event": SCHEDULE.event.model_copy(update={"host_country": "KH", "language": "km"})}
    )
    base = build_report(schedule, timeline, attendance, now)
    pack = build_pack(schedule, base, attendance, registrants, [], timeline, now, PackOptions(threshold=1))
    rows = next(b for b in pack["breakdowns"] if b["key"] == "country")["rows"]
    assert [(r["value"], r["label"], r["registered"]) for r in rows] == [
        ("KH", "Cambodia (KH)", 3),
        ("CH", "Switzerland (CH)", 1),
        ("PH", "Philippines (PH)", 1),
        ("XK", "XK", 1),
    ]
    assert pack["summary"]["countries_represented"] == 4
    assert (pack["event"]["host_country"], pack["event"]["language"]) == ("Cambodia", "Khmer")
