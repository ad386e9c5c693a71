"""Action buttons in host chat messages: made when a message is composed, shown by GET (which never
acts), used once by POST through the run service with the same `from` guard as the console."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.core.logs import RedactSecrets
from app.store.action_links_repo import hash_secret
from app.store.tables import action_links
from tests.conftest import bangkok
from tests.fixtures import EVENT, Recorder
from tests.fixtures.mekong import mekong_text

from .conftest import Host

PUBLIC = "https://show.example.org"
WITH_BUTTONS = mekong_text().replace(
    "    url_env: SHOWCALLER_SLACK_HOSTS_URL\n    hosts: true\n",
    "    url_env: SHOWCALLER_SLACK_HOSTS_URL\n    hosts: true\n    buttons: [advance, delay_5, undo]\n",
)


@pytest.fixture
async def links(database_url, service_for):
    assert WITH_BUTTONS != mekong_text()
    service = await service_for(
        database_url,
        bangkok(14, 30),
        transport=Recorder(),
        tokens={"host": "Hana"},
        login="host",
        schedule=(WITH_BUTTONS, "mekong.yaml"),
        settings={"public_url": PUBLIC},
    )
    harness = Host(service)
    await harness.at(bangkok(14, 30))
    harness.recorder.requests.clear()
    return harness


def buttons_of(host: Host) -> dict[str, str]:
    """The buttons of the last Slack message that has any: label -> URL."""
    for body in reversed(host.received("slack")):
        for block in body["blocks"]:
            if block["type"] == "actions":
                return {e["text"]["text"]: e["url"] for e in block["elements"]}
    raise AssertionError("no Slack message carried buttons")


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC + "/act/")
    return urlsplit(url).path


def find(buttons: dict[str, str], prefix: str) -> str:
    return next(url for label, url in buttons.items() if label.startswith(prefix))


async def advance_by_api(host: Host) -> dict:
    answer = await host.post("/advance")
    assert answer.status_code == 200, answer.text
    await host.service.settle()  # the new segment's messages go out, with their buttons
    return answer.json()


async def count_links(host: Host) -> int:
    async with host.runtime.db.begin() as conn:
        return (await conn.execute(select(func.count()).select_from(action_links))).scalar_one()


async def test_link_lifecycle_get_shows_post_acts_once(links):
    before = await count_links(links)
    await advance_by_api(links)
    buttons = buttons_of(links)
    assert {label.split(":")[0] for label in buttons} == {"Next", "+5 min", "Undo"}
    assert await count_links(links) >= before + 3  # made when the message was composed
    state = await links.state()
    running, upcoming = state["current"], state["next"]
    assert find(buttons, "Next") and f"Next: {upcoming['title']}" in buttons

    url = path_of(find(buttons, "Next"))
    log_before = await links.log()
    page = await links.api.get(url, headers={"Authorization": ""})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Move on from {running['title']}?" in page.text and 'method="post"' in page.text
    assert "no-store" in page.headers["cache-control"]
    for _ in range(2):  # a link preview fetching it again changes nothing
        assert (await links.api.get(url)).status_code == 200
    assert await links.log() == log_before

    pressed = await links.api.post(url, headers={"Authorization": ""})  # no token: the link is the credential
    assert pressed.status_code == 200, pressed.text
    assert f"Advanced to {upcoming['title']}" in pressed.text
    assert (await links.state())["current"]["id"] == upcoming["id"]
    entries = await links.log()
    assert len(entries) == len(log_before) + 1
    assert re.search(r"chat button \(hosts-slack\)", repr(entries[-1]))

    again = await links.api.post(url)
    assert again.status_code == 410 and "already used" in again.text
    assert f"Advanced to {upcoming['title']}" in again.text  # says what the first press did
    assert await links.log() == entries
    assert (await links.api.get(url)).status_code == 410


async def test_from_guard_a_link_for_a_segment_that_ended_does_nothing(links):
    await advance_by_api(links)
    stale = path_of(find(buttons_of(links), "Next"))
    stale_delay = path_of(find(buttons_of(links), "+5 min"))
    await advance_by_api(links)  # a host moved on from the console meanwhile
    entries = await links.log()
    for url in (stale, stale_delay):
        pressed = await links.api.post(url)
        assert pressed.status_code == 409
        assert "Already moved on: nothing done" in pressed.text
    assert await links.log() == entries


async def test_delay_and_undo_buttons_act_through_the_run_service(links):
    await advance_by_api(links)
    buttons = buttons_of(links)
    # The early advance puts the show ahead (it ends early: run.early), and the delay takes 5 min of it back.
    before = (await links.state())["delay"]
    delayed = await links.api.post(path_of(find(buttons, "+5 min")))
    assert delayed.status_code == 200 and "Delayed by 5 min" in delayed.text
    assert (await links.state())["delay"] == before + 300
    # The undo button of that same message names the advance, which is no longer the last action.
    refused = await links.api.post(path_of(find(buttons, "Undo")))
    assert refused.status_code == 409 and "Nothing done" in refused.text
    await links.service.settle()
    undo = find(buttons_of(links), "Undo")  # the delay's notice offers to undo the delay
    done = await links.api.post(path_of(undo))
    assert done.status_code == 200 and "Undone" in done.text


async def test_expired_forged_and_other_event_links_are_refused(links):
    await advance_by_api(links)
    url = path_of(find(buttons_of(links), "Next"))
    entries = await links.log()

    forged = url[:-1] + ("A" if url[-1] != "A" else "B")  # one character of the secret changed
    for method in ("GET", "POST"):
        answer = await links.api.request(method, forged)
        assert answer.status_code == 404 and "does not work" in answer.text

    other = WITH_BUTTONS.replace(f"id: {EVENT}", "id: other-event", 1)
    await links.runtime.run.load_schedule(other, "other.yaml")
    wrong = url.replace(f"/act/{EVENT}/", "/act/other-event/")
    assert (await links.api.post(wrong)).status_code == 404
    assert (await links.api.post("/act/no-such-event/" + url.rsplit("/", 1)[1])).status_code == 404

    links.clock.advance(minutes=16)  # the default lifetime is 15 minutes
    for method in ("GET", "POST"):
        answer = await links.api.request(method, url)
        assert answer.status_code == 410 and "expired" in answer.text
    assert await links.log() == entries


async def test_no_buttons_without_a_public_url_and_it_is_said_once(database_url, service_for, caplog):
    service = await service_for(
        database_url,
        bangkok(14, 30),
        transport=Recorder(),
        tokens={"host": "Hana"},
        login="host",
        schedule=(WITH_BUTTONS, "mekong.yaml"),
        settings={"public_url": None},
    )
    host = Host(service)
    with caplog.at_level(logging.WARNING, logger="showcaller.action_links"):
        await host.at(bangkok(14, 30))
        await advance_by_api(host)
        await advance_by_api(host)
    assert host.received("slack")
    assert not any(b["type"] == "actions" for body in host.received("slack") for b in body["blocks"])
    told = [r for r in caplog.records if "SHOWCALLER_PUBLIC_URL" in r.getMessage()]
    assert len(told) == 1


async def test_targets_without_buttons_get_none(links):
    await advance_by_api(links)
    assert not any("/act/" in str(body) for body in links.received("zoom_chat"))


async def test_no_secret_in_access_log_lines(links, caplog):
    await advance_by_api(links)
    url = find(buttons_of(links), "Next")
    secret = url.rsplit("/", 1)[1]
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "POST", path_of(url), "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert secret not in line and f"/act/{EVENT}/[redacted]" in line
    with caplog.at_level(logging.DEBUG):
        await links.api.get(path_of(url))
        await links.api.post(path_of(url))
    # The service's own lines (the test's HTTP client logs the URL it was given: it is the browser here).
    own = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert all(secret not in r.getMessage() for r in own)


async def test_stored_hashed_and_two_presses_at_once_act_once(links):
    await advance_by_api(links)
    url = path_of(find(buttons_of(links), "Next"))
    secret = url.rsplit("/", 1)[1]
    async with links.runtime.db.begin() as conn:
        rows = [tuple(row) for row in (await conn.execute(select(action_links))).all()]
    assert rows and not any(secret in str(value) for row in rows for value in row)  # only its hash is kept
    assert any(hash_secret(secret) in row for row in rows)

    entries = await links.log()
    answers = await asyncio.wait_for(asyncio.gather(links.api.post(url), links.api.post(url)), timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 410]
    assert len(await links.log()) == len(entries) + 1


# -- the page in the link's target's locale (issue 30) ---------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"
TEST_CATALOGS = Path(__file__).resolve().parents[1] / "data" / "catalogs"  # th, my, km: placeholders
THAI = "ทดสอบ "  # the Thai placeholder catalog's marker (tests/data/catalogs/make_placeholders.py)


# The ends of the reminders' text: a target in another locale asks each for its text in that locale.
REMINDERS = ("the screenshot right after the opening remarks.\n", "and check speakers' audio and video.\n")


def reminders_in(text: str, locale: str, message: str) -> str:
    for anchor in REMINDERS:
        assert anchor in text
        text = text.replace(anchor, f'{anchor}    messages: {{{locale}: "{message}"}}\n', 1)
    return text


def in_french(text: str) -> str:
    """The event in French (so the hosts' Slack channel is), with a French title for every segment."""
    text = text.replace("\n  language: English\n", "\n  language: French\n", 1)
    text = reminders_in(text, "fr", "Rappel de la régie.")
    return re.sub(
        r"\n  - id: ([a-z0-9-]+)\n    title: (.+)\n", r'\n  - id: \1\n    title: \2\n    titles: {fr: "FR \1"}\n', text
    )


async def started(service_for, database_url, text: str, **settings) -> Host:
    service = await service_for(
        database_url,
        bangkok(14, 30),
        transport=Recorder(),
        tokens={"host": "Hana"},
        login="host",
        schedule=(text, "mekong.yaml"),
        settings={"public_url": PUBLIC, **settings},
    )
    harness = Host(service)
    await harness.at(bangkok(14, 30))
    return harness


async def test_a_french_targets_link_page_is_french_from_question_to_answer(database_url, service_for):
    assert "language: French" in in_french(WITH_BUTTONS)
    host = await started(service_for, database_url, in_french(WITH_BUTTONS))
    await advance_by_api(host)
    state = await host.state()
    running, upcoming = state["current"]["id"], state["next"]["id"]
    buttons = buttons_of(host)
    advance = path_of(buttons[f"Suivant{NBSP}: FR {upcoming}"])

    page = await host.api.get(advance, headers={"Authorization": ""})
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    for line in (
        f"Terminer FR {running} et passer à la suite{NNBSP}?",
        ">Oui, passer à la suite<",
        "Ce bouton ne sert qu’une fois. Rien ne se passe tant que vous n’appuyez pas dessus.",
        ">Ouvrir la console des hôtes<",
        f"En cours{NBSP}: FR {running}.",
    ):
        assert line in page.text, line
    delay = (await host.api.get(path_of(find(buttons, "+5 min")))).text
    assert f"Ajouter un retard de 5{NBSP}minutes pendant FR {running}{NNBSP}?" in delay
    assert f">Oui, retarder de 5{NBSP}min<" in delay
    undo = (await host.api.get(path_of(find(buttons, "Annuler")))).text
    assert f"Annuler «{NBSP}Séquence suivante{NBSP}: FR {running}{NBSP}»{NNBSP}?" in undo and ">Oui, annuler<" in undo

    pressed = await host.api.post(advance, headers={"Authorization": ""})
    assert pressed.status_code == 200 and '<html lang="fr">' in pressed.text
    assert f">Passage à FR {upcoming}<" in pressed.text and f"En cours{NBSP}: FR {upcoming}." in pressed.text
    again = await host.api.post(advance)  # what the first press did, kept in the same target's words
    assert again.status_code == 410 and ">Ce bouton a déjà servi<" in again.text
    assert f"Chaque bouton ne sert qu’une fois. Résultat{NBSP}: Passage à FR {upcoming}" in again.text
    stale = await host.api.post(path_of(find(buttons, "+5 min")))
    assert stale.status_code == 409 and f"Déjà passé à la suite{NBSP}: rien n’a été fait" in stale.text

    # A link that matches no row has no target: the event's language.
    forged = advance[:-1] + ("A" if advance[-1] != "A" else "B")
    unknown = await host.api.get(forged)
    assert (
        unknown.status_code == 404
        and '<html lang="fr">' in unknown.text
        and "Ce lien ne fonctionne pas" in unknown.text
    )
    host.clock.advance(minutes=16)
    expired = await host.api.get(path_of(find(buttons, "Annuler")))
    assert expired.status_code == 410 and ">Ce bouton a expiré<" in expired.text
    assert f"Les boutons fonctionnent pendant 15{NBSP}min" in expired.text
    for answer in (page, pressed, again, unknown, expired):  # none of the page's English is left
        assert not any(english in answer.text for english in ("This ", "Yes", "Now:", "Open the host console"))


async def test_a_thai_targets_link_page_counts_in_thai_digits(database_url, service_for):
    text = WITH_BUTTONS.replace(
        "    buttons: [advance, delay_5, undo]\n",
        "    buttons: [advance, delay_5, undo]\n    locale: th\n    digits: native\n",
    )
    host = await started(service_for, database_url, reminders_in(text, "th", THAI + "reminder"), catalogs=TEST_CATALOGS)
    await advance_by_api(host)
    delay = path_of(buttons_of(host)[THAI + "+๕ min"])
    page = await host.api.get(delay)
    assert page.status_code == 200 and '<html lang="th">' in page.text
    assert THAI + "Delay by ๕ minutes, during " in page.text and f">{THAI}Yes, delay ๕ min<" in page.text
    host.clock.advance(minutes=16)
    assert THAI + "Buttons work for ๑๕ min" in (await host.api.get(delay)).text


async def test_an_english_targets_link_page_keeps_its_english(links):
    await advance_by_api(links)
    running = (await links.state())["current"]["title"]
    page = (await links.api.get(path_of(find(buttons_of(links), "Next")))).text
    assert page.startswith('<!doctype html>\n<html lang="en">')
    assert f"<title>Move on from {running}? · " in page
    assert '<p class="muted">This button works once. Nothing happens until you press it.</p>' in page
    assert ">Open the host console</a>" in page and f"Now: {running}." in page
