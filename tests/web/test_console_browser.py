"""The console and the agenda in real Chromium against the real app; the test moves event time."""

from __future__ import annotations

import importlib.util
import re

import httpx
import pytest
from playwright.async_api import expect

from tests.conftest import bangkok
from tests.web.conftest import EVENT, ZOOM_JOIN, ZOOM_START, sign_in

pytestmark = pytest.mark.browser

SESSION_1 = "Session 1: Preparing for safe migration"
DISCUSSION_1 = "Open discussion (Session 1)"
# Parts that land separately; the console hides their panels when the server lacks them.
OPTIONAL = {name: importlib.util.find_spec(f"app.api.{name}") is not None for name in ("zoom", "attendance")}


async def check_side_panels(host, viewer) -> None:
    """Zoom links and attendance show when this server has those parts, and are hidden otherwise."""
    if OPTIONAL["zoom"]:
        start = host.get_by_role("link", name="Start as host")
        join = viewer.get_by_role("link", name="Join link")
        await expect(start).to_have_attribute("href", ZOOM_START)
        await expect(join).to_have_attribute("href", ZOOM_JOIN)
        await expect(viewer.get_by_role("link", name="Start as host")).to_have_count(0)
    else:
        await expect(host.locator("#zoom-card")).to_be_hidden()
    if OPTIONAL["attendance"]:
        # Nobody has joined the meeting, but at 14:20 the next segment's readiness check (14:35, ten
        # minutes before it) has not come: nobody is MISSING yet (MISSING inside the window: test_console_guarded).
        readiness = host.locator("#readiness")
        await expect(readiness).to_contain_text("Readiness for Open discussion (Session 1)")
        await expect(readiness).to_contain_text("Checked from 14:35 GMT+7; who is missing shows then.")
        await expect(host.locator("#readiness .missing li")).to_have_count(0)
    else:
        await expect(host.locator("#attendance-card")).to_be_hidden()


async def test_host_runs_timers_and_advance_while_viewer_follows(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        await server.record_zoom_meeting()
        host = await sign_in(browser, server, "host")
        viewer = await sign_in(
            browser, server, "viewer", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        await check_side_panels(host, viewer)
        for page in (host, viewer):
            await expect(page.get_by_test_id("current-title")).to_have_text(SESSION_1)
            # Times are the event's (Bangkok), labelled, whatever the browser's own zone is.
            await expect(page.locator("#current-times")).to_have_text("14:15–14:45 GMT+7")
            countdown = page.get_by_test_id("segment-countdown")
            await expect(countdown).to_have_attribute("data-level", "ok")

        await host.get_by_role("button", name="Respondent 1 (to be invited) 3:00").click()
        host_timer = host.locator("li.timer", has_text="Respondent 1 (to be invited)")
        viewer_timer = viewer.locator("li.timer", has_text="Respondent 1 (to be invited)")
        full = re.compile(r"^(3:00|2:5\d)$")
        await expect(host_timer.locator(".value")).to_have_text(full)
        await expect(viewer_timer.locator(".value")).to_have_text(full, timeout=1000)
        await expect(host_timer).to_have_attribute("data-level", "ok")
        # The countdown runs in the browser between server frames (event time is frozen meanwhile).
        first = await host_timer.locator(".value").text_content()
        await expect(host_timer.locator(".value")).not_to_have_text(first, timeout=2500)

        await server.advance(seconds=125)  # 55 s left: past the 60 s warning threshold
        for timer in (host_timer, viewer_timer):
            await expect(timer).to_have_attribute("data-level", "warning", timeout=1000)
            await expect(timer.locator(".level-text")).to_have_text("WARNING")
        await server.advance(seconds=30)  # 25 s left: past the 30 s danger threshold
        for timer in (host_timer, viewer_timer):
            await expect(timer).to_have_attribute("data-level", "danger", timeout=1000)
            await expect(timer.locator(".level-text")).to_have_text("DANGER")
        await host.get_by_role("button", name="+30 s: add 30 seconds to Respondent 1 (to be invited)").click()
        await expect(host_timer).to_have_attribute("data-level", "warning")  # about 55 s again

        # The warning cue went to Discord too, which rejects it: highlighted, re-send for hosts.
        failed = host.locator("#cues li.delivery.failed", has_text="speakers-discord").first
        await expect(failed).to_contain_text("FAILED")
        await expect(host.locator("#failed-count")).to_have_text(re.compile(r"^\d+ failed$"))
        await shot(host, "console-host-timer")
        await shot(viewer, "console-viewer-phone")
        async with host.expect_response(re.compile(r"/api/deliveries/.+/resend$")) as answer:
            await failed.get_by_role("button", name=re.compile("^Re-send")).click()
        assert (await answer.value).status == 200

        await host.get_by_role("button", name=f"Next segment: {DISCUSSION_1}").click()
        await expect(viewer.get_by_test_id("current-title")).to_have_text(DISCUSSION_1, timeout=1000)
        await expect(host.get_by_test_id("current-title")).to_have_text(DISCUSSION_1)

        # A viewer sees everything but has no controls at all.
        buttons = await viewer.get_by_role("button").all_text_contents()
        assert "Sign out" in buttons and set(buttons) <= {"Sign out", "Copy join link"}, buttons
        for name in ("Pause", "Re-send", "Next segment", "Hold", "Send announcement"):
            await expect(viewer.get_by_role("button", name=re.compile(name))).to_have_count(0)
        # The respondent's timer stopped with Session 1: it does not count on into the discussion.
        for timer in (host_timer, viewer_timer):
            await expect(timer).to_have_count(0)
        await shot(viewer, "console-viewer-after-advance", full_page=False)
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_hold_delay_jump_and_sign_out(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        await host.get_by_role("button", name="+5 min late").click()
        await expect(host.get_by_test_id("delay")).to_have_text("Behind by 5 min")
        await host.get_by_role("button", name="Hold", exact=True).click()
        await expect(host.get_by_test_id("run-status")).to_have_text("ON HOLD")
        await host.get_by_role("button", name="Resume", exact=True).click()
        await expect(host.get_by_test_id("run-status")).to_have_text("LIVE")
        await host.get_by_label("Jump to").select_option("session-2")
        await host.get_by_role("button", name="Jump…", exact=True).click()
        await host.get_by_role("dialog").get_by_role("button", name="Jump", exact=True).click()
        await expect(host.get_by_test_id("current-title")).to_have_text("Session 2: Promoting healthy labour mobility")
        await host.get_by_label("Message").fill("Coffee break after Session 2.")
        # Only host-facing targets start ticked; the team's Teams channel takes a deliberate tick.
        discord = host.get_by_role("checkbox", name=re.compile("^speakers-discord"))
        await expect(discord).not_to_be_checked()
        await expect(host.get_by_role("checkbox", name=re.compile("^hosts-slack"))).to_be_checked()
        await host.get_by_role("checkbox", name=re.compile("^team-teams")).check()
        preview = host.get_by_test_id("announce-preview")
        await expect(preview.locator("li[data-target=team-teams]")).to_contain_text(
            "Announcement: Coffee break after Session 2."
        )
        await expect(preview.locator("li[data-target=speakers-discord]")).to_have_count(0)
        async with host.expect_response(re.compile(r"/announcements$")) as answer:
            await host.get_by_role("button", name="Send announcement").click()
        assert (await answer.value).status == 201
        await expect(host.locator("#announce-text")).to_have_value("")
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            auth = {"Authorization": f"Bearer {server.tokens['host']}"}
            cues = (await client.get(f"/api/events/{EVENT}/cues", headers=auth)).json()
        announced = [c for c in cues if c["kind"] == "announcement"]
        assert announced[0]["message"] == "Coffee break after Session 2."
        targets = announced[0]["targets"]
        assert sorted(targets) == ["hosts-slack", "hosts-zoom-chat", "team-teams"]
        await expect(host.get_by_role("checkbox", name=re.compile("^team-teams"))).not_to_be_checked()

        # The token survives a reload (local storage) and is gone after signing out.
        await host.reload()
        await expect(host.get_by_test_id("current-title")).to_have_text(re.compile("^Session 2"))
        await host.get_by_role("button", name="Sign out").click()
        dialog = host.get_by_role("dialog")
        await expect(dialog).to_contain_text("Sign out of this console?")
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(host.get_by_test_id("current-title")).to_have_text(re.compile("^Session 2"))
        assert await host.evaluate("localStorage.getItem('showcaller.token')") is not None
        await host.get_by_role("button", name="Sign out").click()
        await dialog.get_by_role("button", name="Sign out").click()
        await expect(host.get_by_label("Paste your host (or viewer) token")).to_be_visible()
        assert await host.evaluate("localStorage.getItem('showcaller.token')") is None
        await host.get_by_label("Paste your host (or viewer) token").fill("sc_not-a-token")
        await host.get_by_role("button", name="Sign in").click()
        await expect(host.locator("#signin-error")).to_contain_text("not valid")
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_console_reconnects_after_a_restart(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        await expect(host.get_by_test_id("current-title")).to_have_text(SESSION_1)
        await server.stop()
        badge = host.locator("#conn")
        await expect(badge).to_have_text("Reconnecting…")
        await shot(host, "console-reconnecting")
        server.clock.set(bangkok(14, 50))  # time moved on while the service was down
        await server.start()
        await expect(badge).to_be_hidden(timeout=6000)
        await expect(host.get_by_test_id("current-title")).to_have_text(DISCUSSION_1)
        # Controls work against the new process.
        await host.get_by_role("button", name="+1 min late").click()
        await expect(host.get_by_test_id("delay")).to_have_text("Behind by 1 min")
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_console_reconnects_by_itself_after_a_graceful_restart(browser, make_server, shot):
    """SIGTERM's path: the server tells the page to reconnect (and when) before it goes; the page
    says so, keeps trying at that pace with a fresh stream ticket, and resyncs once the new process answers."""
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        await expect(host.get_by_test_id("current-title")).to_have_text(SESSION_1)
        await server.stop_gracefully()
        badge = host.locator("#conn")
        await expect(badge).to_have_text("Reconnecting…")
        await shot(host, "console-reconnecting-after-restart-notice")
        server.clock.set(bangkok(14, 50))  # time moved on while the service was down
        await server.start()
        await expect(badge).to_be_hidden(timeout=15000)
        await expect(host.get_by_test_id("current-title")).to_have_text(DISCUSSION_1)
        await host.get_by_role("button", name="+1 min late").click()
        await expect(host.get_by_test_id("delay")).to_have_text("Behind by 1 min")
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_agenda_shows_the_viewers_time_zone_and_follows_the_run(browser, make_server, shot):
    server = make_server(bangkok(13, 0))
    await server.start()
    try:
        context = await browser.new_context(
            timezone_id="Asia/Yangon", locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True
        )
        page = await context.new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(f"{server.url}/agenda/{EVENT}")
        # Chromium's ICU still calls Yangon by its old name, Rangoon.
        await expect(page.get_by_test_id("zone-note")).to_have_text(
            re.compile(r"^Times are in your time zone: Myanmar Time, GMT\+6:30 \(Asia/(Yangon|Rangoon)\)$")
        )
        opening = page.locator("li[data-segment=opening]")
        await expect(opening.locator(".item-time")).to_have_text("13:30–13:45")  # 14:00 in Bangkok
        await expect(opening).to_contain_text("Chuop Narath — Deputy Director General")
        await expect(page.get_by_test_id("hero-title")).to_have_text("Starts at 13:00 GMT+6:30")
        await expect(page.get_by_test_id("hero-countdown").locator(".value")).to_have_text(
            re.compile(r"^(30:00|29:\d\d)$")
        )
        assert "example.org" not in await page.content()
        await shot(page, "agenda-yangon-phone")

        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answer = await client.post(
                f"/api/events/{EVENT}/advance", json={}, headers={"Authorization": f"Bearer {server.tokens['host']}"}
            )
        assert answer.status_code == 200
        await expect(page.get_by_test_id("hero-title")).to_have_text("Technical set up and registration", timeout=1000)
        await expect(page.locator("li[data-segment=setup] .item-flag")).to_have_text("NOW")
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_a_kept_respondent_timer_counts_on_into_the_next_segment(browser, make_server):
    server = make_server(bangkok(14, 40))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        await expect(host.get_by_test_id("current-title")).to_have_text(SESSION_1)
        await host.get_by_label("Keep counting after the segment").check()
        await host.get_by_role("button", name="Respondent 1 (to be invited) 3:00").click()
        await host.get_by_label("Keep counting after the segment").uncheck()
        await host.get_by_role("button", name="Respondent 2 (to be invited) 3:00").click()
        first = host.locator("li.timer", has_text="Respondent 1 (to be invited)")
        second = host.locator("li.timer", has_text="Respondent 2 (to be invited)")
        await expect(first).to_be_visible()
        await expect(second).to_be_visible()
        await host.get_by_role("button", name=f"Next segment: {DISCUSSION_1}").click()
        await expect(host.get_by_test_id("current-title")).to_have_text(DISCUSSION_1)
        await expect(second).to_have_count(0)  # stopped with Session 1
        await expect(first).to_be_visible()  # kept: counts on
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_agenda_and_a_plain_event_source_come_back_after_a_graceful_restart(browser, make_server, shot):
    """The agenda page reconnects by itself after the restart notice; so does a bare EventSource (an
    API client's, or a page without common.js): the stream ends cleanly after its `retry:`, and
    Chromium opens it again by itself once the service answers."""
    server = make_server(bangkok(13, 0))
    await server.start()
    try:
        context = await browser.new_context(locale="en-GB", timezone_id="Asia/Bangkok")
        page = await context.new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(f"{server.url}/agenda/{EVENT}")
        await expect(page.get_by_test_id("hero-title")).to_have_text("Starts at 13:30 GMT+7")
        await page.evaluate(
            """(url) => {
                window.plain = {opens: 0, reconnects: 0, source: new EventSource(url)};
                plain.source.onopen = () => { plain.opens += 1; };
                plain.source.addEventListener('reconnect', () => { plain.reconnects += 1; });
            }""",
            f"/api/public/events/{EVENT}/stream",
        )
        await page.wait_for_function("() => plain.opens === 1", timeout=10000)

        await server.stop_gracefully()
        await expect(page.locator("#conn")).to_have_text("Reconnecting…")
        await page.wait_for_function("() => plain.reconnects === 1", timeout=10000)
        await shot(page, "agenda-reconnecting-after-restart-notice")
        await server.start()
        await expect(page.locator("#conn")).to_be_hidden(timeout=15000)
        back = "() => plain.opens >= 2 && plain.source.readyState === EventSource.OPEN"
        await page.wait_for_function(back, timeout=15000)

        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answer = await client.post(
                f"/api/events/{EVENT}/advance", json={}, headers={"Authorization": f"Bearer {server.tokens['host']}"}
            )
        assert answer.status_code == 200
        await expect(page.get_by_test_id("hero-title")).to_have_text("Technical set up and registration", timeout=5000)
        assert server.page_errors == []
    finally:
        await server.stop()
