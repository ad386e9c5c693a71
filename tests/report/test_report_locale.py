"""The internal report's HTML page in its reader's language (issue 30): headings, labels, the
chart's words, dates and roles from the catalogs; English byte for byte as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.report.attendance_render import to_html
from schedules.i18n import words_for
from schedules.locales import Reader

HERE = Path(__file__).parent
# The report GET /api/events/{id}/report returned in tests/attendance/test_report.py's afternoon.
REPORT = json.loads((HERE.parent / "data" / "reports" / "mekong-report.json").read_text(encoding="utf-8"))
NBSP = "\u00a0"


def headings(html: str) -> list[str]:
    """The page's title (the chart's <title>s are segment titles), headings and column headers."""
    head = html.split("</head>")[0]
    found = re.findall(r"<title>(.*?)</title>", head) + re.findall(r"<(?:h2|th)\b[^>]*>(.*?)</(?:h2|th)>", html)
    return [re.sub(r"<[^>]+>", "", m) for m in found]


def test_english_report_is_byte_for_byte_the_page_it_always_was() -> None:
    # report.en.html was written by the renderer before the page had catalogs.
    assert to_html(REPORT) == (HERE / "golden" / "report.en.html").read_text(encoding="utf-8")
    assert to_html(REPORT, words_for(Reader())) == to_html(REPORT)


def test_french_report_headings_labels_and_dates_are_french() -> None:
    html = to_html(REPORT, words_for(Reader("fr")))
    assert '<html lang="fr">' in html
    assert headings(html) == [
        f"Rapport{NBSP}: Mekong Dialogue on Labour Mobility",
        "Présence au fil du temps",
        f"Séquences{NBSP}: prévu et réel",
        *("Séquence", "Prévu", "Réel", "Dépassement", "Présents", "Pic", "Personnes attendues (minutes de présence)"),
        "Minuteurs",
        *("Minuteur", "Qui", "Séquence", "Accordé", "Utilisé", "Dépassement"),
        "Participants",
        *(
            "Nom",
            "Adresse électronique",
            "Rôle",
            "Minutes au total",
            "Connexions",
            "Première arrivée",
            "Dernier départ",
        ),
    ]
    assert "lundi 30 mai 2022 (Asia/Bangkok). Généré le " in html
    assert 'aria-label="Participants présents au fil du temps"' in html
    assert 'data-label="Personnes attendues">' in html and "(intervenant)" in html and "encore présent" in html
    english = set(headings(to_html(REPORT)))
    assert english & set(headings(html)) == {"Participants"}  # French spells it alike


def test_native_digits_reach_the_reports_counts_and_times() -> None:
    root = HERE.parent / "data" / "catalogs"  # placeholder catalogs (test data, not translations)
    html = to_html(REPORT, words_for(Reader("th", "native"), root))
    assert '<html lang="th">' in html and "ทดสอบ Timers" in html
    assert "๑๔:๐๐" in html and "๓:๓๐" in html  # the first join, a timer's use
