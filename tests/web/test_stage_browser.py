"""The presenter view in real Chromium on a laptop and a phone: timer levels, words, a stage message."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from app.store import tokens_repo
from tests.conftest import bangkok
from tests.web.conftest import EVENT

pytestmark = pytest.mark.browser

FULL = re.compile(r"^(3:00|2:5\d)$")
SCREENS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


async def _stage_token(server) -> str:
    async with server.runtime.db.begin() as conn:
        _, token = await tokens_repo.create_token(conn, "Presenter", "stage", server.clock.now(), event_id=EVENT)
    return token


async def _open(browser, server, token: str, screen: str):
    phone = screen == "phone"
    context = await browser.new_context(
        viewport=SCREENS[screen], locale="en-GB", timezone_id="Europe/London", is_mobile=phone, has_touch=phone
    )
    page = await context.new_page()
    page.on("pageerror", lambda error: server.page_errors.append(str(error)))
    await page.goto(f"{server.url}/stage/{EVENT}#token={token}")
    return page


async def _digits_fill(page, share: float) -> None:
    box = await page.get_by_test_id("stage-digits").bounding_box()
    width = SCREENS["laptop" if page.viewport_size["width"] > 1000 else "phone"]["width"]
    assert box is not None and box["width"] >= share * width, (box, width)


@pytest.mark.parametrize("screen", ["laptop", "phone"])
async def test_presenter_view_follows_a_respondent_timer_and_a_message(browser, make_server, shot, screen):
    server = make_server(bangkok(14, 36))
    await server.start()
    try:
        token = await _stage_token(server)
        page = await _open(browser, server, token, screen)
        # The token leaves the address bar at once: a shared screen never shows it.
        await expect(page.get_by_test_id("stage-segment")).to_have_text("Session 1: Preparing for safe migration")
        assert "token" not in page.url
        await expect(page.get_by_test_id("stage-next")).to_contain_text("Next: Open discussion (Session 1) · 14:45")
        await expect(page.get_by_test_id("stage-clock-label")).to_have_text("Time left in this segment")
        await expect(page.get_by_test_id("stage")).to_have_attribute("data-level", "ok")

        host = {"Authorization": f"Bearer {server.tokens['host']}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=host) as api:
            started = await api.post(f"/api/events/{EVENT}/timers", json={"segment": "session-1", "slot": 1})
            assert started.status_code == 201
            stage, digits, word = (page.get_by_test_id(t) for t in ("stage", "stage-digits", "stage-level"))
            label = page.get_by_test_id("stage-clock-label")
            await expect(label).to_have_text("Respondent 1 (respondent to be invited)")
            await expect(digits).to_have_text(FULL)
            await expect(stage).to_have_attribute("data-level", "ok")
            await _digits_fill(page, 0.4)

            await server.advance(seconds=125)  # 55 s left: past the 60 s warning threshold
            await expect(stage).to_have_attribute("data-level", "warning", timeout=2000)
            await expect(word).to_have_text("WARNING")
            await shot(page, f"stage-{screen}-warning", full_page=False)
            await server.advance(seconds=30)  # 25 s left: past the 30 s danger threshold
            await expect(stage).to_have_attribute("data-level", "danger", timeout=2000)
            await expect(word).to_have_text("DANGER")
            await _digits_fill(page, 0.4)
            await shot(page, f"stage-{screen}-danger", full_page=False)

            sent = await api.post(f"/api/events/{EVENT}/stage", json={"message": "Please wrap up", "flash": True})
            assert sent.status_code == 201
            message = page.get_by_test_id("stage-message")
            await expect(message).to_be_visible(timeout=2000)
            await expect(message).to_have_text("Please wrap up")
            await expect(message).to_have_class("stage-message flash")
            await shot(page, f"stage-{screen}-message", full_page=False)
            # The digits stay visible above the message.
            await expect(digits).to_be_visible()

            await server.advance(seconds=30)  # time is up
            await expect(stage).to_have_attribute("data-level", "over", timeout=2000)
            await expect(word).to_have_text("TIME UP")

            assert (await api.post(f"/api/events/{EVENT}/stage/clear")).status_code == 200
            await expect(message).to_be_hidden(timeout=2000)
            blackout = await api.post(
                f"/api/events/{EVENT}/stage", json={"message": "Back in 2 minutes", "blackout": True}
            )
            assert blackout.status_code == 201
            await expect(message).to_have_text("Back in 2 minutes", timeout=2000)
            await expect(stage).to_be_hidden()
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_presenter_view_reconnects_and_refuses_a_revoked_link(browser, make_server):
    server = make_server(bangkok(14, 36))
    await server.start()
    try:
        token = await _stage_token(server)
        page = await _open(browser, server, token, "laptop")
        await expect(page.get_by_test_id("stage-segment")).to_have_text("Session 1: Preparing for safe migration")
        await server.stop()
        await expect(page.locator("#conn")).to_have_text("Reconnecting…", timeout=5000)
        server.clock.advance(minutes=10)  # the server comes back during the open discussion
        await server.start()
        await expect(page.get_by_test_id("stage-segment")).to_have_text("Open discussion (Session 1)", timeout=10000)
        await expect(page.locator("#conn")).to_be_hidden(timeout=10000)  # the stream may open after the first state
        # Revoked while the page is open, from another process (as `showcaller token revoke` does on
        # SQLite, where nothing tells the server): the stream ends and the page says why.
        async with server.runtime.db.begin() as conn:
            row = await tokens_repo.find_token(conn, token)
            await tokens_repo.revoke_token(conn, row.id, server.clock.now())
        await expect(page.get_by_test_id("stage-notice")).to_contain_text("no longer works", timeout=10000)
        # A page without any link token explains itself instead of showing a blank screen.
        bare = await page.context.new_page()
        await bare.goto(f"{server.url}/stage/{EVENT}")
        await expect(bare.get_by_test_id("stage-notice")).to_contain_text("needs a presenter link")
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_presenter_view_comes_back_by_itself_after_a_graceful_restart(browser, make_server):
    """SIGTERM's path (the server says `event: reconnect` before it goes): the view says it is
    reconnecting, fetches a fresh ticket at the server's pace, and shows the live segment again."""
    server = make_server(bangkok(14, 36))
    await server.start()
    try:
        page = await _open(browser, server, await _stage_token(server), "phone")
        await expect(page.get_by_test_id("stage-segment")).to_have_text("Session 1: Preparing for safe migration")
        await server.stop_gracefully()
        await expect(page.locator("#conn")).to_have_text("Reconnecting…", timeout=5000)
        server.clock.advance(minutes=10)
        await server.start()
        await expect(page.get_by_test_id("stage-segment")).to_have_text("Open discussion (Session 1)", timeout=15000)
        await expect(page.locator("#conn")).to_be_hidden()
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_console_sends_a_preset_and_lists_connected_presenter_links(browser, make_server, shot):
    from tests.web.test_console_browser import sign_in

    server = make_server(bangkok(14, 36))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        card = host.locator("#stage-card")
        await host.get_by_role("button", name="Make missing presenter links").click()
        speaker = card.locator("li.stage-person", has_text="Nilim Baruah")
        await expect(speaker).to_contain_text("not connected")
        # The link is shown once, to the console that made it: its Copy link button holds it.
        await host.evaluate("navigator.clipboard.writeText = async (text) => { window.copied = text; }")
        await speaker.get_by_role("button", name="Copy link to the presenter view of Nilim Baruah").click()
        link = await host.evaluate("window.copied")
        assert "#token=sc_" in link
        await expect(
            speaker.get_by_role("button", name="New link to the presenter view of Nilim Baruah")
        ).to_have_count(0)
        context = await browser.new_context(
            viewport=SCREENS["phone"], is_mobile=True, has_touch=True, locale="en-GB", timezone_id="Europe/London"
        )
        stage = await context.new_page()
        stage.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await stage.goto(link.replace("http://127.0.0.1", server.url))
        # The personal link shows their own slot: Session 1 started at 14:15, so it is on now.
        await expect(stage.get_by_test_id("stage-you")).to_have_text(
            "Nilim Baruah, your slot (speaker): 14:15 GMT+7, now"
        )
        await expect(speaker).to_contain_text("CONNECTED since 14:36", timeout=3000)
        await expect(host.get_by_test_id("stage-connected")).to_have_text("1 connected")

        await host.get_by_role("button", name="Use the preset: Please wrap up").click()
        await host.get_by_label("Flash").check()
        await host.get_by_role("button", name="Show on stage").click()
        await expect(host.get_by_test_id("stage-shown")).to_have_text(
            "On stage now: “Please wrap up” (flash, until 14:45 GMT+7)"
        )
        message = stage.get_by_test_id("stage-message")
        await expect(message).to_have_text("Please wrap up", timeout=2000)
        await expect(message).to_have_class("stage-message flash")
        await shot(host, "console-stage-card")
        await host.get_by_role("button", name="Clear stage").click()
        await expect(message).to_be_hidden(timeout=2000)
        await stage.close()
        await expect(speaker).to_contain_text("not connected", timeout=20000)

        # An organiser's console never saw that link; for a lost one it makes a new one (shown once).
        async with server.runtime.db.begin() as conn:
            _, server.tokens["organiser"] = await tokens_repo.create_token(
                conn, "Olga (organiser)", "organiser", server.clock.now()
            )
        organiser = await sign_in(browser, server, "organiser")
        row = organiser.locator("#stage-card li.stage-person", has_text="Nilim Baruah")
        copy = row.get_by_role("button", name="Copy link to the presenter view of Nilim Baruah")
        await expect(row).to_contain_text("not connected")
        await expect(copy).to_have_count(0)

        async def accept(dialog):
            assert "Their current link stops working" in dialog.message
            await dialog.accept()

        organiser.once("dialog", accept)
        await organiser.evaluate("navigator.clipboard.writeText = async (text) => { window.copied = text; }")
        await row.get_by_role("button", name="New link to the presenter view of Nilim Baruah").click()
        await copy.click()
        renewed = await organiser.evaluate("window.copied")
        assert "#token=sc_" in renewed and renewed != link
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            for url, status in ((link, 401), (renewed, 200)):
                bearer = {"Authorization": f"Bearer {url.split('#token=', 1)[1]}"}
                assert (await api.get(f"/api/events/{EVENT}/stage", headers=bearer)).status_code == status
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_a_stage_message_goes_at_the_next_segment_and_the_end_screen_stays_clean(browser, make_server, shot):
    server = make_server(bangkok(14, 43))
    await server.start()
    try:
        token = await _stage_token(server)
        page = await _open(browser, server, token, "laptop")
        segment = page.get_by_test_id("stage-segment")
        await expect(segment).to_have_text("Session 1: Preparing for safe migration")
        message = page.get_by_test_id("stage-message")
        host = {"Authorization": f"Bearer {server.tokens['host']}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=host) as api:
            sent = await api.post(f"/api/events/{EVENT}/stage", json={"message": "Please wrap up"})
            assert sent.status_code == 201
            await expect(message).to_have_text("Please wrap up", timeout=2000)

            await server.advance(minutes=2)  # 14:45: the open discussion starts
            await expect(segment).to_have_text("Open discussion (Session 1)", timeout=2000)
            await expect(message).to_be_hidden()  # "Please wrap up" was for Session 1

            kept = await api.post(
                f"/api/events/{EVENT}/stage", json={"message": "Mics on mute", "blackout": True, "until_cleared": True}
            )
            assert kept.status_code == 201
            await expect(message).to_have_text("Mics on mute", timeout=2000)
            assert (await api.post(f"/api/events/{EVENT}/end")).status_code == 200
            await expect(page.get_by_test_id("stage-digits")).to_have_text("END", timeout=2000)
            await expect(message).to_be_hidden()  # the END screen never shows an old message
            await expect(page.get_by_test_id("stage")).to_be_visible()  # nor stays blacked out
            await shot(page, "stage-laptop-end", full_page=False)
        assert server.page_errors == []
    finally:
        await server.stop()
