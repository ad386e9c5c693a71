"""Invites and run sheets in each person's locale (issue 30): `people[].locale`, else `event.language`.

Golden texts in English and French for a moderator in the event's zone and a speaker in Yangon
(UTC+6:30, so both zones are named). English must stay what it always was (no locale anywhere);
French comes from the shipped, reviewed catalog with the CLDR zone names and 24-hour times.
Run with UPDATE_GOLDEN=1 to rewrite the golden files, then read the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from icalendar import Calendar

from app.stage.runsheet import runsheet_html
from schedules.invites import JoinLink, PresenterLink, invite_ics, invite_part, invite_text
from schedules.load import load_text
from schedules.timeline import build_timeline
from tests.schedules.conftest import MEKONG
from tests.stage.conftest import mekong_named

GOLDEN = Path(__file__).parent / "golden"
MODERATOR, SPEAKER, RESPONDENT = "pinsuda-alexander", "chuop-narath", "respondent-1"
JOIN = JoinLink("https://zoom.example/j/85012345678?pwd=abc", "Join Zoom")
STAMP = datetime(2022, 5, 1, 9, 0, tzinfo=UTC)


def _schedule(locale: str | None = None, *, event_language: str | None = None, respondent: bool = False):
    doc = yaml.safe_load(mekong_named(1) if respondent else MEKONG.read_text(encoding="utf-8"))
    if respondent:  # respondent-1 (Cambodia) in session 1, with a question and something to prepare
        session = next(seg for seg in doc["segments"] if seg.get("respondents"))
        session["respondents"]["question"] = "What helped returning migrant workers most in your country?"
        doc["people"][-1]["prepare"] = "Three points on return and reintegration."
    if event_language:
        doc["event"]["language"] = event_language
        for target in doc["targets"]:
            target["locale"] = "en"  # the hosts' channels stay English; only the people read French
    doc["event"]["titles"] = {"fr": "Dialogue du Mékong sur la mobilité de la main-d’œuvre"}
    doc["segments"][1]["titles"] = {"fr": "Allocutions d’ouverture"}  # the opening
    for person in doc["people"]:
        if person["id"] == SPEAKER:
            person["timezone"] = "Asia/Yangon"
        if locale and person["id"] in (MODERATOR, SPEAKER, RESPONDENT):
            person["locale"] = locale
    return load_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "mekong.yaml")


def _invites(schedule) -> str:
    rows = build_timeline(schedule).segments
    out = []
    presenters = {MODERATOR: PresenterLink("t1", "https://show.example/stage/x?t=abc"), SPEAKER: None}
    for person_id, presenter in presenters.items():
        person = schedule.person(person_id)
        part = invite_part(schedule, rows, person, JOIN, presenter)
        assert part is not None
        event = Calendar.from_ical(invite_ics(schedule, part, 0, STAMP)).walk("VEVENT")[0]
        out += [f"== {person_id}", f"SUMMARY: {event['summary']}", invite_text(schedule, part), ""]
    return "\n".join(out)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 rewrites it"


def test_invites_in_english_are_unchanged():
    _golden("invites.en.txt", _invites(_schedule()))


@pytest.mark.parametrize("how", ["person", "event"])
def test_invites_in_french_for_the_persons_locale_or_the_events_language(how):
    schedule = _schedule("fr") if how == "person" else _schedule(event_language="French")
    text = _invites(schedule)
    _golden("invites.fr.txt", text)
    assert "Merci de vous connecter à 13:30 (heure d’Indochine)." in text
    assert "(heure du Myanmar)" in text  # the speaker's own zone, by its CLDR name
    assert "Please join" not in text and "Moderators" not in text
    assert " :" not in text.replace("\u00a0:", "")  # French puts a no-break space before a colon


def test_a_person_with_another_locale_than_the_events_gets_their_own():
    schedule = _schedule("en", event_language="French")
    text = _invites(schedule)
    assert text == _invites(_schedule())  # their `locale: en` wins over the event's French


def _sheets(schedule) -> str:
    return "".join(runsheet_html(schedule, person_id) for person_id in (MODERATOR, SPEAKER, RESPONDENT))


def _words_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_run_sheets_in_english_are_unchanged():
    _golden("runsheets.en.html", _sheets(_schedule(respondent=True)))


@pytest.mark.parametrize("how", ["person", "event"])
def test_run_sheets_in_french_for_the_persons_locale_or_the_events_language(how):
    if how == "person":
        schedule = _schedule("fr", respondent=True)
    else:
        schedule = _schedule(event_language="French", respondent=True)
    html = _sheets(schedule)
    _golden("runsheets.fr.html", html)
    text = _words_of(html)
    assert '<html lang="fr">' in html
    assert "Merci de vous connecter à 13:10 (heure du Myanmar), soit 13:40 (heure d’Indochine)" in text
    assert "lundi 30 mai 2022" in text  # the date in French, from CLDR
    for english in ("Please join", "Your slots", "What to prepare", "The whole agenda", "Run sheet for"):
        assert english not in text, english
    words = re.sub(r"<[^>]+>", "", html)  # not collapsed: str.split() would take the no-break spaces too
    assert " :" not in words and "\u00a0:" in words  # a no-break space before each colon


def _part(schedule, person_id: str = MODERATOR):
    part = invite_part(schedule, build_timeline(schedule).segments, schedule.person(person_id), JOIN, None)
    assert part is not None
    return part


def test_a_new_language_raises_the_invites_sequence_and_english_keeps_its_hash():
    english = _part(_schedule())
    # The hash the invite had before locales existed: stored SEQUENCEs do not rise on an upgrade.
    assert english.fingerprint() == "73c23d4a713b4fe2a6170cc98f2c3cda69db80029dd272654aaea405c51e4691"
    french = _part(_schedule(event_language="French"))  # only the event's language changed
    assert french.locale == "fr" and french.fingerprint() != english.fingerprint()
