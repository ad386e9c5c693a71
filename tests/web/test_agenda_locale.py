"""The public agenda per viewer (issue 30): `?lang=`, else Accept-Language among what the event can
serve; titles in the viewer's locale with lang= on each; times in its Intl locale with native
digits and the Buddhist era when asked. In Chromium at 390x844, in French and Thai."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import expect

from app.views.agenda import agenda_json
from schedules.agenda_words import AGENDA_WORDS, agenda_words
from schedules.audience import agenda_reader, parse_accept_language
from schedules.i18n import words_for
from schedules.load import load_text
from schedules.locales import ENGLISH, Reader
from schedules.timeline import build_timeline
from tests.conftest import bangkok
from tests.fixtures import mekong_text
from tests.web.conftest import EVENT, receivers

SESSION_1 = '    title: "Session 1: Preparing for safe migration"\n'
TITLED = mekong_text().replace(
    SESSION_1,
    SESSION_1
    + '    titles: {fr: "Séance 1 : se préparer à une migration sûre", th: "ช่วงที่ 1: เตรียมพร้อมย้ายถิ่นอย่างปลอดภัย"}\n',
)
SCHEDULE = load_text(TITLED, "mekong.yaml")


def test_accept_language_is_read_in_order_of_quality():
    assert parse_accept_language("th;q=0.5, fr-FR, fr;q=0.9, *;q=0.1, de;q=0") == ["fr-FR", "fr", "th"]
    assert parse_accept_language(None) == []


def test_the_viewer_locale_is_asked_for_or_negotiated():
    catalogs = ["en", "fr"]
    assert agenda_reader(SCHEDULE, None, None, catalogs) is ENGLISH
    assert agenda_reader(SCHEDULE, "th", None, catalogs, "native", "buddhist") == Reader("th", "native", "buddhist")
    assert agenda_reader(SCHEDULE, "fr", None, catalogs, "native") == Reader("fr")  # French has no native digits
    assert agenda_reader(SCHEDULE, None, "de-DE, fr;q=0.8", catalogs) == Reader("fr")
    assert agenda_reader(SCHEDULE, None, "th-TH, en;q=0.5", catalogs) == Reader("th")  # a title in Thai
    assert agenda_reader(SCHEDULE, None, "de-DE", catalogs) is ENGLISH  # nothing served in German
    assert agenda_reader(SCHEDULE, "xx-nonsense", "fr", catalogs) == Reader("fr")  # a bad ?lang= is ignored
    assert Reader("th", "native", "buddhist").intl == "th-u-ca-buddhist-nu-thai"
    assert Reader("fr").intl == "fr-u-ca-gregory-nu-latn"


def test_the_agenda_words_come_from_the_catalogs():
    english = agenda_words(words_for(ENGLISH))
    assert english == {**AGENDA_WORDS, "lang": "en"}  # the msgids are the English words
    french = agenda_words(words_for(Reader("fr")))
    assert french["lang"] == "fr" and french["now"] == "En ce moment" and french["flag_live"] == "EN COURS"
    untranslated = [key for key in AGENDA_WORDS if french[key] == AGENDA_WORDS[key]]
    assert untranslated == [], untranslated  # every word is written in French, none falls back silently
    german = agenda_words(words_for(Reader("de")))  # no German catalog: English, said to be English
    assert german == english


@pytest.mark.parametrize(
    ("query", "html_lang", "heading", "title"),
    [("", "en", "Agenda", "Mekong Dialogue on Labour Mobility · Agenda"), ("?lang=fr", "fr", "Programme", None)],
)
async def test_the_page_writes_its_own_words_in_the_viewers_locale(
    sqlite_url, service_for, query, html_lang, heading, title
):
    service = await service_for(sqlite_url, bangkok(14, 20), transport=receivers, base_url="http://sc.test")
    answer = await service.client.get(f"/agenda/{EVENT}{query}")
    assert answer.status_code == 200
    assert f'<html lang="{html_lang}">' in answer.text
    assert f'<h2 id="agenda-h">{heading}</h2>' in answer.text
    if title:
        assert f"<title>{title}</title>" in answer.text  # English as it always was
    else:
        assert "Chargement du programme…" in answer.text and "Loading" not in answer.text


def test_the_agenda_json_carries_each_titles_locale():
    agenda = agenda_json(SCHEDULE, build_timeline(SCHEDULE), bangkok(14, 0))
    assert agenda["event"]["lang"] == "en" and agenda["event"]["titles"] == {}
    session = next(s for s in agenda["segments"] if s["id"] == "session-1")
    assert session["titles"]["fr"].startswith("Séance 1") and session["titles"]["th"].startswith("ช่วงที่ 1")


@pytest.mark.parametrize(
    ("query", "headers", "lang", "intl"),
    [
        ("", {}, "en", "en-GB"),
        ("", {"accept-language": "fr-FR,fr;q=0.9"}, "fr", "fr-u-ca-gregory-nu-latn"),
        ("?lang=th&digits=native&calendar=buddhist", {}, "th", "th-u-ca-buddhist-nu-thai"),
    ],
)
async def test_the_page_says_who_reads_it(sqlite_url, service_for, query, headers, lang, intl):
    service = await service_for(sqlite_url, bangkok(14, 20), transport=receivers, base_url="http://sc.test")
    answer = await service.client.get(f"/agenda/{EVENT}{query}", headers=headers)
    assert answer.status_code == 200
    assert f'data-lang="{lang}" data-intl="{intl}"' in answer.text


async def _no_overflow(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


@pytest.mark.browser
async def test_agenda_in_french_and_thai_on_a_phone(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        await server.runtime.engine.load_schedule(TITLED, "mekong.yaml")
        phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "timezone_id": "Asia/Bangkok"}

        french = await (await browser.new_context(locale="fr-FR", **phone)).new_page()  # Accept-Language: fr-FR
        french.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await french.goto(f"{server.url}/agenda/{EVENT}")
        title = french.locator("li[data-segment=session-1] .item-title")
        await expect(title).to_contain_text("Séance 1 : se préparer")
        await expect(title).to_have_attribute("lang", "fr")
        await expect(french.locator("li[data-segment=opening] .item-title")).to_have_attribute("lang", "en")
        await expect(french.locator("#event-date")).to_have_text("lundi 30 mai 2022")
        # The page's own words in French too, with lang= on them (the catalogs; issue 30).
        await expect(french.locator("#agenda-h")).to_have_text("Programme")
        await expect(french.locator("#hero-h")).to_have_text("En ce moment")
        await expect(french.locator("#hero-h")).to_have_attribute("lang", "fr")
        await expect(french.locator("#hero-detail")).to_contain_text("Ensuite\u00a0: Open discussion (Session 1) à ")
        await expect(french.locator("#hero-countdown .level-text")).to_have_text("restant dans cette séquence")
        await expect(french.locator("li[data-segment=session-1] .item-flag")).to_have_text("EN COURS")
        await expect(french.locator("#zone-note")).to_contain_text("Les heures sont celles de votre fuseau horaire")
        assert await french.title() == "Mekong Dialogue on Labour Mobility · Programme"
        await _no_overflow(french)
        await shot(french, "agenda-fr-phone")

        thai = await (await browser.new_context(locale="th-TH", **phone)).new_page()
        thai.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await thai.goto(f"{server.url}/agenda/{EVENT}?lang=th&digits=native&calendar=buddhist")
        title = thai.locator("li[data-segment=session-1] .item-title")
        await expect(title).to_contain_text("ช่วงที่ 1")
        await expect(title).to_have_attribute("lang", "th")
        date = thai.locator("#event-date")
        await expect(date).to_contain_text("๒๕๖๕")  # 2022 + 543, in Thai digits
        await expect(date).to_contain_text("พ.ศ.")  # the era, always printed
        time = thai.locator("li[data-segment=session-1] .item-time")
        await expect(time).to_have_text(re.compile("^๑๔:๑๕"))
        await _no_overflow(thai)
        await shot(thai, "agenda-th-phone")
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_the_presenter_view_gets_its_words_in_the_readers_locale(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(14, 20), transport=receivers, base_url="http://sc.test")
    french = (await service.client.get(f"/stage/{EVENT}?lang=fr")).text
    words = json.loads(re.search(r"data-words='([^']*)'", french).group(1))
    assert words["time_left"] == "Temps restant pour cette séquence" and words["lang"] == "fr"
    assert 'lang="fr">Plein écran</button>' in french
    # The person's line ("your slot ... in N"): its words and each role's name come from the catalogs too.
    assert words["your_slot"] == "{name}, votre intervention ({part})\u00a0: {time}, {when}"
    assert (words["in"], words["now"], words["role_moderator"]) == ("dans {countdown}", "maintenant", "modérateur")
    assert words["respondent_number"] == "Répondant {number}" and 'data-testid="stage-you" lang="fr"' in french
    english = (await service.client.get(f"/stage/{EVENT}?person=nilim-baruah")).text
    assert 'lang="en">Full screen</button>' in english and 'data-text-lang="en"' in english


THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
NATIVE_PERSON = mekong_text().replace(
    "  - id: nilim-baruah\n", "  - id: nilim-baruah\n    locale: th\n    digits: native\n", 1
)


async def test_the_presenter_view_is_given_native_digits_only_when_asked(sqlite_url, service_for):
    service = await service_for(
        sqlite_url,
        bangkok(14, 20),
        transport=receivers,
        schedule=(NATIVE_PERSON, "mekong.yaml"),
        base_url="http://sc.test",
    )
    pages = {
        query: (await service.client.get(f"/stage/{EVENT}{query}")).text
        for query in (
            "",
            "?lang=th&digits=native",
            "?lang=fr&digits=native",
            "?person=nilim-baruah",
            "?person=nilim-baruah&digits=latin",
        )
    }
    assert f'data-digits="{THAI_DIGITS}"' in pages["?lang=th&digits=native"]
    assert f'data-digits="{THAI_DIGITS}"' in pages["?person=nilim-baruah"]  # their digits: native
    for query in ("", "?lang=fr&digits=native", "?person=nilim-baruah&digits=latin"):
        assert "data-digits" not in pages[query], query  # French has none; ASCII when not asked


@pytest.mark.browser
async def test_presenter_view_countdown_in_thai_digits(browser, make_server, shot):
    from app.store import tokens_repo

    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        async with server.runtime.db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "Presenter", "stage", server.clock.now(), event_id=EVENT)
        context = await browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Asia/Bangkok")
        page = await context.new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(f"{server.url}/stage/{EVENT}?lang=th&digits=native#token={token}")
        # Session 1 runs to 14:45: 25 minutes left, counting down in Thai digits.
        await expect(page.get_by_test_id("stage-digits")).to_have_text(
            re.compile(f"^[{THAI_DIGITS}]+:[{THAI_DIGITS}]+$")
        )
        await _no_overflow(page)
        assert server.page_errors == []
    finally:
        await server.stop()


@pytest.mark.browser
async def test_presenter_view_in_french_on_a_phone(browser, make_server, shot):
    from app.store import tokens_repo

    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        async with server.runtime.db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "Presenter", "stage", server.clock.now(), event_id=EVENT)
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, timezone_id="Asia/Bangkok"
        )
        page = await context.new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(f"{server.url}/stage/{EVENT}?lang=fr#token={token}")
        await expect(page.get_by_test_id("stage-clock-label")).to_have_text("Temps restant pour cette séquence")
        await expect(page.get_by_test_id("stage-clock-label")).to_have_attribute("lang", "fr")
        await expect(page.get_by_test_id("stage-next")).to_have_text(re.compile("^Ensuite\u00a0: Open discussion"))
        await expect(page.get_by_test_id("stage-segment")).to_have_attribute("lang", "en")  # the file's own title
        await expect(page.get_by_role("button", name="Plein écran")).to_be_visible()
        await _no_overflow(page)
        await shot(page, "stage-fr-phone", full_page=False)
        assert server.page_errors == []
    finally:
        await server.stop()
