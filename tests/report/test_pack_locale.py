"""The pack in its reader's language (issue 30): headings, table headers, labels and dates from the
catalogs, in event.language by default, `showcaller report --locale`; English byte for byte as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.report.render import to_html
from app.report.service import pack_words
from schedules.i18n import words_for
from schedules.load import load_text
from schedules.locales import Reader
from tests.conftest import MEKONG

HERE = Path(__file__).parent
PACK = json.loads((HERE.parent / "data" / "packs" / "mekong-personal.json").read_text(encoding="utf-8"))
NBSP = "\u00a0"
# What a reader skims: the title, headings, table headers and captions, the figures' labels, the
# line under the title, and the column names a phone shows in front of each value.
SKIMMED = re.compile(
    r"<(title|h1|h2|h3|th|caption)\b[^>]*>(.*?)</\1>|<div class=\"l\">(.*?)</div>|<p class=\"sub\">(.*?)</p>",
    re.S,
)


def skimmed(html: str) -> str:
    """The page's headings and labels, one a line, in page order (markup between them dropped)."""
    lang = re.search(r'<html lang="([^"]+)"', html)
    lines = [f"lang={lang.group(1) if lang else '(none)'}"]
    for m in SKIMMED.finditer(html):
        text = re.sub(r"<[^>]+>", "", next(g for g in m.groups()[1:] if g is not None))
        lines.append(f"{m.group(1) or 'label'}: {' '.join(text.split())}")
    lines += [f"data-label: {label}" for label in dict.fromkeys(re.findall(r'data-label="([^"]+)"', html))]
    return "\n".join(lines) + "\n"


def test_english_pack_is_byte_for_byte_the_page_it_always_was() -> None:
    # pack.en.html was written by the renderer before the pack had catalogs.
    assert to_html(PACK) == (HERE / "golden" / "pack.en.html").read_text(encoding="utf-8")
    assert to_html(PACK, words_for(Reader())) == to_html(PACK)


def test_french_pack_headings_golden() -> None:
    html = to_html(PACK, words_for(Reader("fr")))
    golden = HERE / "golden" / "pack-headings.fr.txt"
    assert skimmed(html) == golden.read_text(encoding="utf-8")


def test_french_pack_has_no_english_heading_left_and_writes_french_typography() -> None:
    html = to_html(PACK, words_for(Reader("fr")))
    english = skimmed(to_html(PACK)).splitlines()
    french = skimmed(html).splitlines()
    own = {s["title"] for s in PACK["segments"]} | {p["title"] for p in PACK["polls"]["polls"]}
    own |= {PACK["event"]["title"], "Organisation", "Minutes"}  # the file's own text; words French spells alike
    same = [e for e, f in zip(english, french, strict=True) if e == f and e.split(": ", 1)[1] not in own]
    assert same == [], same
    assert "Synthèse" in html and f"Annexe{NBSP}: participants et inscrits" in html
    assert f"«{NBSP}&lt; 5{NBSP}»" in html and " : " not in html.replace(f"{NBSP}:", "")  # no plain space before ':'
    assert "lundi 30 mai 2022" in html  # CLDR's full date, not strftime's English
    assert "oui (par identifiant d’inscription)" in html and "Autres sondages" in html
    # The notes from the run log: the delay in French, the host's announcement quoted as posted.
    assert "Retard de 4:00 pendant Session 2: Promoting healthy labour mobility</li>" in html
    assert f"Annonce{NBSP}: Session 2: Promoting healthy labour mobility runs 4 minutes over;" in html
    assert "ran late" not in html and "Announcement" not in html


def test_thai_placeholders_and_native_digits_reach_the_headings() -> None:
    root = HERE.parent / "data" / "catalogs"  # placeholder catalogs (test data, not translations)
    html = to_html(PACK, words_for(Reader("th", "native"), root))
    assert '<html lang="th">' in html and "ทดสอบ Summary" in html and "ทดสอบ Attendance per segment" in html
    headline = re.search(r'<h2 id="summary">.*?</h2>\n<p>(.*?)</p>', html, re.S)
    assert headline and "๕๐" in headline.group(1) and "50" not in headline.group(1)  # 50 registered, Thai digits


def test_the_pack_is_written_in_the_events_language_unless_asked() -> None:
    english_event = load_text(MEKONG.read_text(encoding="utf-8"), str(MEKONG))
    french_event = english_event.model_copy(
        update={"event": english_event.event.model_copy(update={"language": "French"})}
    )
    assert pack_words(french_event).reader.locale == "fr"
    assert pack_words(french_event, "en").reader.english
    german_event = english_event.model_copy(update={"event": english_event.event.model_copy(update={"language": "de"})})
    assert pack_words(german_event).reader.english  # no catalog writes German: the English pack
    assert pack_words(english_event).reader.english and pack_words(english_event, "fr").reader.locale == "fr"
    with pytest.raises(ValueError, match=r"no catalog writes the pack in 'de'.*showcaller locale init de"):
        pack_words(english_event, "de")
    with pytest.raises(ValueError):
        pack_words(english_event, "xx-nowhere")
