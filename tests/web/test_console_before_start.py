"""Before the event in Chromium: the start in words, readiness only inside its window, an early start asks
first; and the remaining time in the tab's title (console and presenter view)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import expect

from app.store import tokens_repo
from tests.conftest import bangkok
from tests.web.conftest import EVENT, sign_in

pytestmark = pytest.mark.browser

SETUP = "Technical set up and registration"
SESSION_1 = "Session 1: Preparing for safe migration"


async def run_log(server) -> list[str]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        answer = await client.get(
            f"/api/events/{EVENT}/log", headers={"Authorization": f"Bearer {server.tokens['host']}"}
        )
    answer.raise_for_status()
    return [row["kind"] for row in answer.json()]


async def test_eight_days_early_the_console_says_when_and_next_asks_before_starting(browser, make_server, shot):
    server = make_server(bangkok(11, 25) - timedelta(days=8))  # Sun 22 May, 11:25 in Bangkok
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        await expect(host.locator("#next-times")).to_have_text("starts in 8 days (Mon 30 May 13:30)")
        countdown = host.get_by_test_id("segment-countdown")
        await expect(countdown.locator(".value")).to_have_text("8 days")
        await expect(countdown.locator(".level-text")).to_have_text("TO START")
        await expect(host.locator("#current-times")).to_have_text("Starts Mon 30 May at 13:30 GMT+7")
        # The clock shows seconds, in the event's zone.
        await expect(host.locator("#clock")).to_have_text(re.compile(r"^11:25:\d\d GMT\+7$"))
        # Nobody is missing eight days early: the readiness check's window (10 min before) is not open.
        later = host.get_by_test_id("readiness-later")
        await expect(later).to_contain_text("Readiness for Opening remarks at 14:00 GMT+7")
        await expect(later).to_contain_text("Checked from Mon 30 May 13:50 GMT+7")
        await expect(host.locator("#readiness .missing")).to_have_count(0)
        await expect(host.locator("#readiness")).not_to_contain_text("MISSING")
        assert await host.title() == "Mekong Dialogue on Labour Mobility · Console · Showcaller"
        await shot(host, "console-eight-days-early", full_page=False)

        # Next before the start asks first; Cancel records nothing.
        await host.get_by_role("button", name=f"Next segment: {SETUP}").click()
        dialog = host.get_by_role("dialog")
        await expect(dialog).to_contain_text("Start the event now, before Mon 30 May 13:30 GMT+7?")
        await expect(dialog.get_by_test_id("confirm-messages")).to_contain_text(f"{SETUP}")
        await shot(host, "console-early-start-confirm", full_page=False)
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(dialog).to_be_hidden()
        assert await run_log(server) == []

        # The shortcut asks the same way; confirming starts the event now.
        await host.evaluate("document.activeElement.blur()")
        await host.keyboard.press("n")
        await expect(dialog).to_contain_text("Start the event now")
        await dialog.get_by_role("button", name="Start now").click()
        await expect(host.get_by_test_id("current-title")).to_have_text(SETUP)
        assert await run_log(server) == ["advance"]
        # The tab's title carries the time left, so a host on another tab still sees it.
        await expect(host).to_have_title(re.compile(rf"^(30:00|29:5\d) · {SETUP} — Showcaller$"))
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_in_the_last_hour_a_raw_countdown_and_readiness_inside_its_window(browser, make_server):
    server = make_server(bangkok(13, 52))  # the set-up runs; Opening remarks (14:00) was checked at 13:50
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        await expect(host.get_by_test_id("current-title")).to_have_text(SETUP)
        await expect(host.locator("#next-times")).to_have_text(re.compile(r"^at 14:00 GMT\+7 · in (8:00|7:5\d)$"))
        await expect(host.locator("#readiness .missing li").first).to_have_text(re.compile(r"^MISSING: "))
        await expect(host).to_have_title(re.compile(rf"^(8:00|7:5\d) · {SETUP} — Showcaller$"))
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_the_presenter_view_has_the_time_left_in_its_tab_title(browser, make_server):
    server = make_server(bangkok(14, 40))
    await server.start()
    try:
        async with server.runtime.db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "Presenter", "stage", server.clock.now(), event_id=EVENT)
        context = await browser.new_context(locale="en-GB", timezone_id="Europe/London")
        page = await context.new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(f"{server.url}/stage/{EVENT}#token={token}")
        await expect(page.get_by_test_id("stage-segment")).to_have_text(SESSION_1)
        await expect(page).to_have_title(re.compile(rf"^(5:00|4:5\d) · {re.escape(SESSION_1)} — Showcaller$"))
        assert server.page_errors == []
    finally:
        await server.stop()
