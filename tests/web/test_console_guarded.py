"""Guarded live control in Chromium: confirmations, undo, the end, the Jump list, two hosts at once."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

import httpx
import pytest
from playwright.async_api import expect

from tests.conftest import bangkok
from tests.web.conftest import EVENT, sign_in

pytestmark = pytest.mark.browser

SESSION_1 = "Session 1: Preparing for safe migration"
DISCUSSION_1 = "Open discussion (Session 1)"
SESSION_2 = "Session 2: Promoting healthy labour mobility"
DISCUSSION_2 = "Open discussion (Session 2)"


async def run_log(server, kind: str | None = None) -> list[dict]:
    """The event's run log over REST (what was recorded, by whom)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        answer = await client.get(
            f"/api/events/{EVENT}/log", headers={"Authorization": f"Bearer {server.tokens['host']}"}
        )
    answer.raise_for_status()
    return [row for row in answer.json() if kind is None or row["kind"] == kind]


async def test_misclicked_next_is_undone_and_the_receivers_get_a_correction(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        current = host.get_by_test_id("current-title")
        await expect(current).to_have_text(SESSION_1)
        async with host.expect_request(re.compile(r"/advance$")) as sent:
            await host.get_by_role("button", name=f"Next segment: {DISCUSSION_1}").click()
        request = await sent.value
        # The console names what it showed as current, and marks the action for safe retries.
        assert request.post_data_json == {"to": None, "from": "session-1"}
        assert re.fullmatch(r"[0-9a-f-]{32,36}", request.headers["idempotency-key"])
        await expect(current).to_have_text(DISCUSSION_1)

        bar = host.get_by_test_id("undo-bar")
        await expect(bar).to_be_visible()
        await expect(bar).to_contain_text("by Hana (host)")
        await expect(host.locator("#undo-left")).to_have_text(re.compile(r"^[0-2]:\d\d$"))
        before = len(server.received)
        await server.advance(seconds=0)  # the worker posts what the advance caused
        caused = {path for path, body in server.received[before:]}
        assert "/slack/hosts" in caused, server.received[before:]
        await shot(host, "console-undo-bar", full_page=False)

        await bar.get_by_role("button", name=re.compile("^Undo")).click()
        await expect(current).to_have_text(SESSION_1)
        await expect(bar).to_be_hidden()
        mark = len(server.received)
        await server.advance(seconds=0)
        corrections = Counter(path for path, body in server.received[mark:] if "Correction" in body)
        # Every receiver that got a message caused by the mis-click gets exactly one correction.
        assert set(corrections) == caused and set(corrections.values()) == {1}, server.received[mark:]
        slack = next(body for path, body in server.received[mark:] if path == "/slack/hosts")
        assert f"{SESSION_1} is still running; please disregard 'Now: {DISCUSSION_1}'" in slack

        # The cue log names who did it, marks the undone action and what it had posted.
        taken_back = host.locator("#cues li.cue.withdrawn", has_text=f"Now: {DISCUSSION_1}")
        await expect(taken_back).to_contain_text("TAKEN BACK (withdrawn by undo #2; correction sent)")
        undone = host.locator("#cues li.cue.action.undone")
        await expect(undone).to_contain_text("Next segment")
        await expect(undone).to_contain_text("by Hana (host)")
        assert [row["kind"] for row in await run_log(server)] == ["advance", "undo"]
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_jump_and_end_ask_first_and_the_end_turns_the_controls_off(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        current = host.get_by_test_id("current-title")
        await expect(current).to_have_text(SESSION_1)
        await host.get_by_label("Jump to").select_option("session-2")
        await host.get_by_role("button", name="Jump…").click()
        dialog = host.get_by_role("dialog")
        await expect(dialog).to_contain_text(f"Jump to {SESSION_2}?")
        messages = dialog.get_by_test_id("confirm-messages")
        await expect(messages).to_contain_text(SESSION_2)  # what will be posted ...
        await expect(messages).to_contain_text("hosts-slack")  # ... and to which targets
        # ... and what it does to the end: skipping 55 minutes of the agenda ends the event 55 min early.
        end = dialog.get_by_test_id("confirm-end")
        await expect(end).to_contain_text(re.compile(r"Projected end 17:30\b.* → 16:35\b.*55 min earlier"))
        await expect(end).to_contain_text("ahead by 55 min")
        await shot(host, "console-jump-confirm", full_page=False)
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(dialog).to_be_hidden()
        await expect(current).to_have_text(SESSION_1)
        assert await run_log(server) == []  # a cancelled jump (and its preview) records nothing

        # The shortcut asks the same way; Enter confirms.
        await host.evaluate("document.activeElement.blur()")
        await host.keyboard.press("j")
        await expect(dialog).to_contain_text(f"Jump to {SESSION_2}?")
        await expect(messages).to_contain_text(SESSION_2)
        await host.keyboard.press("Enter")
        await expect(current).to_have_text(SESSION_2)

        await host.get_by_role("button", name="End event…").click()
        await expect(dialog).to_contain_text("End the event now?")
        await expect(dialog.locator("#confirm-body")).not_to_contain_text("Loading")
        await dialog.get_by_role("button", name="End the event").click()
        await expect(host.get_by_test_id("run-status")).to_have_text("ENDED")
        await expect(host.get_by_test_id("ended-note")).to_be_visible()
        for control in (
            "#btn-advance",
            "#btn-hold",
            "#btn-delay-1",
            "#btn-delay-5",
            "#jump-select",
            "#btn-jump",
            "#btn-end",
            "#timer-form button",
            "#announce-text",
            "#announce-form button[type=submit]",
        ):
            await expect(host.locator(control)).to_be_disabled()
        undo = host.get_by_test_id("undo-bar").get_by_role("button", name=re.compile("^Undo"))
        await expect(undo).to_be_enabled()  # undo stays available within its window
        await host.evaluate("document.activeElement.blur()")
        await host.keyboard.press("n")  # a shortcut does nothing after the end either
        await shot(host, "console-after-end", full_page=False)
        assert [row["kind"] for row in await run_log(server)] == ["advance", "end_event"]

        await undo.click()  # undoing the end re-opens the event
        await expect(host.get_by_test_id("run-status")).to_have_text("LIVE")
        await expect(host.locator("#btn-advance")).to_be_enabled()
        await expect(current).to_have_text(SESSION_2)
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_jump_list_follows_the_show_across_three_advances(browser, make_server):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        current = host.get_by_test_id("current-title")
        select = host.get_by_label("Jump to")
        await expect(current).to_have_text(SESSION_1)
        await expect(select).to_have_value("discussion-1")
        await select.select_option("session-3")  # a host's own choice lasts until the show moves

        await host.get_by_role("button", name=f"Next segment: {DISCUSSION_1}").click()
        await expect(current).to_have_text(DISCUSSION_1)
        await expect(select).to_have_value("session-2")
        # Session 1's "5 min left" (due at 14:40) was overtaken by the early advance: never posted.
        withdrawn = host.locator("#cues li.cue.withdrawn", has_text=f"{SESSION_1}: 5 min left")
        await expect(withdrawn).to_contain_text("WITHDRAWN (overtaken by #1, never posted)")

        # Typing "n" in a field is text, not a shortcut; on the page it is Next.
        await host.locator("#announce-text").press("n")
        await expect(host.locator("#announce-text")).to_have_value("n")
        await host.evaluate("document.activeElement.blur()")
        await host.keyboard.press("n")
        await expect(current).to_have_text(SESSION_2)
        await expect(select).to_have_value("discussion-2")

        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:  # another host moves the show
            answer = await client.post(
                f"/api/events/{EVENT}/advance",
                json={"from": "session-2"},
                headers={"Authorization": f"Bearer {server.tokens['host2']}"},
            )
        assert answer.status_code == 200, answer.text
        await expect(current).to_have_text(DISCUSSION_2)
        await expect(select).to_have_value("session-3")
        advances = await run_log(server, "advance")
        assert [row["actor"] for row in advances] == ["Hana (host)", "Hana (host)", "Ola (host)"]
        await expect(host.locator("#cues li.cue.action", has_text="by Ola (host)")).to_have_count(1)
        assert server.page_errors == []
    finally:
        await server.stop()


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["laptop", "phone"])
async def test_readiness_and_timer_are_visible_without_scrolling(browser, make_server, shot, size):
    width, height = size
    server = make_server(bangkok(14, 36))  # inside the readiness window of Open discussion (14:35-14:45)
    await server.start()
    try:
        phone = width < 500
        host = await sign_in(
            browser, server, "host", viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
        )
        assert await host.locator("#attendance-card").count() == 1  # the test server runs attendance
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answer = await client.post(
                f"/api/events/{EVENT}/timers",
                json={"segment": "session-1", "slot": 1},
                headers={"Authorization": f"Bearer {server.tokens['host']}"},
            )
        assert answer.status_code == 201, answer.text
        timer = host.get_by_test_id("now-timer")
        await expect(timer).to_contain_text("Respondent 1")
        missing = host.locator("#readiness .missing li")
        await expect(missing).to_have_text(
            ["MISSING: Pinsuda Alexander (moderator)", "MISSING: Geertrui Lanneau (moderator)"]
        )
        await host.evaluate("window.scrollTo(0, 0)")
        assert await host.evaluate("window.scrollY") == 0
        await shot(host, f"console-readiness-{width}x{height}", full_page=False)
        for element in (
            missing.last,
            host.get_by_test_id("attendance-counts"),
            timer,
            host.get_by_test_id("segment-countdown"),
        ):
            box = await element.bounding_box()
            assert box is not None
            assert 0 <= box["y"] and box["y"] + box["height"] <= height, (await element.inner_text(), box)
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, (await element.inner_text(), box)
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_two_hosts_press_next_together_and_the_show_moves_once(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        hana = await sign_in(browser, server, "host")
        ola = await sign_in(browser, server, "host", key="host2")
        for page in (hana, ola):
            await expect(page.get_by_test_id("current-title")).to_have_text(SESSION_1)

        # Both requests leave their browsers before the server sees either: at most ms apart.
        held: list = []
        both_sent = asyncio.Event()

        async def hold_until_both(route):
            held.append(route)
            if len(held) == 2:
                both_sent.set()
            await both_sent.wait()
            await route.continue_()

        for page in (hana, ola):
            await page.route(re.compile(r"/advance$"), hold_until_both)
        async with (
            hana.expect_response(re.compile(r"/advance$")) as first,
            ola.expect_response(re.compile(r"/advance$")) as second,
        ):
            await hana.locator("#btn-advance").click()
            await ola.locator("#btn-advance").click()
        assert [route.request.post_data_json["from"] for route in held] == ["session-1", "session-1"]
        statuses = [(await first.value).status, (await second.value).status]
        assert sorted(statuses) == [200, 409], statuses

        for page in (hana, ola):
            await expect(page.get_by_test_id("current-title")).to_have_text(DISCUSSION_1)
        loser, winner = (hana, ola) if statuses[0] == 409 else (ola, hana)
        await expect(winner.get_by_test_id("notice")).to_be_hidden()
        notice = loser.get_by_test_id("notice")
        await expect(notice).to_contain_text("already moved from")
        await expect(notice).to_contain_text(f"Now: {DISCUSSION_1}")
        assert len(await run_log(server, "advance")) == 1
        await shot(loser, "console-refused-move", full_page=False)
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_countdown_follows_the_servers_clock_rate(browser, make_server):
    """A rehearsal at 60x: one real second takes a minute off the countdown, between server frames."""
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answer = await client.get(
                f"/api/events/{EVENT}/state", headers={"Authorization": f"Bearer {server.tokens['viewer']}"}
            )
        state = {**answer.json(), "clock_rate": 60.0}
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        # The page's monotonic clock stands still unless the test moves it.
        await context.add_init_script("window.__t = 1000; performance.now = () => window.__t;")
        frame = f"retry: 600000\n\nevent: state\ndata: {json.dumps(state)}\n\n"
        await context.route(
            re.compile(r"/stream\?"),
            lambda route: route.fulfill(
                status=200, body=frame, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
            ),
        )
        page = await context.new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(f"{server.url}/console/{EVENT}")
        await page.get_by_label("Paste your host (or viewer) token").fill(server.tokens["viewer"])
        await page.get_by_role("button", name="Sign in").click()
        value = page.get_by_test_id("segment-countdown").locator(".value")
        await expect(value).to_have_text("25:00")
        await page.evaluate("window.__t += 1000")
        await expect(value).to_have_text("24:00")
        await expect(page.locator("#clock")).to_have_text("14:21:00 GMT+7")  # with seconds: cues fire on them
        await page.evaluate("window.__t += 500")
        await expect(value).to_have_text("23:30")
        await expect(page.locator("#clock")).to_have_text("14:21:30 GMT+7")
        assert server.page_errors == []
    finally:
        await server.stop()
