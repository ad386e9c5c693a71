"""The rundown editor in real Chromium: a host inserts a break from the console, the running order and
the presenter view follow, and undo brings the plan back with a correction at the receivers."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from app.store import tokens_repo
from tests.conftest import bangkok
from tests.web.a11y import axe_violations
from tests.web.conftest import EVENT, sign_in

pytestmark = pytest.mark.browser

SESSION_2 = "Session 2: Promoting healthy labour mobility"


async def test_host_inserts_a_break_then_undoes_it(browser, make_server, shot):
    server = make_server(bangkok(15, 14))  # the first open discussion ends at 15:15
    await server.start()
    try:
        async with server.runtime.db.begin() as conn:
            _, stage_token = await tokens_repo.create_token(
                conn, "Presenter", "stage", server.clock.now(), event_id=EVENT
            )
        stage = await (await browser.new_context(locale="en-GB", timezone_id="Europe/London")).new_page()
        stage.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await stage.goto(f"{server.url}/stage/{EVENT}#token={stage_token}")
        await expect(stage.get_by_test_id("stage-next")).to_contain_text(f"Next: {SESSION_2}")

        host = await sign_in(browser, server, "host")
        form = host.get_by_test_id("rundown-form")
        await expect(form.get_by_label("Upcoming segment").locator("option").first).to_have_text(
            f"15:15 {SESSION_2}"
        )  # the current segment and those already run are not offered
        await form.get_by_label("Upcoming segment").select_option("session-2")
        await form.get_by_label("Change").select_option("insert-before")
        await form.get_by_label("Length in minutes").fill("5")
        await expect(form.get_by_label("Next to")).to_be_hidden()  # only a move asks where
        await form.get_by_role("button", name="Apply…").click()
        dialog = host.get_by_role("dialog")
        await expect(dialog).to_contain_text(f"Insert a 5 min break before {SESSION_2}?")
        await expect(dialog.get_by_test_id("confirm-end")).to_have_text("Projected end: 17:30 → 17:35 (+5 min)")
        await expect(dialog.get_by_test_id("confirm-order").locator("li").first).to_have_text("15:15 Break")
        await shot(host, "console-rundown-insert-confirm")
        assert await axe_violations(host, {"include": [["#confirm"], ["#rundown-form"]]}) == []
        await dialog.get_by_role("button", name="Apply", exact=True).click()

        # The running order, the next segment and the presenter view show the break.
        await expect(host.get_by_test_id("next-title")).to_have_text("Break")
        agenda = host.locator("#segments li")
        await expect(agenda.filter(has_text="Break")).to_contain_text("15:15–15:20")
        await expect(agenda.filter(has_text=SESSION_2)).to_contain_text("15:20–15:50")
        await expect(host.locator("#projected-end")).to_contain_text("17:35")
        await expect(stage.get_by_test_id("stage-next")).to_contain_text("Next: Break")
        await expect(host.get_by_test_id("undo-bar")).to_contain_text("Insert Break (5 min) before")

        await server.advance(minutes=1)  # 15:15: the break starts, and says so
        await expect(host.get_by_test_id("current-title")).to_have_text("Break")
        await expect(stage.get_by_test_id("stage-segment")).to_have_text("Break")
        assert any("Now: Break" in body for _, body in server.received)

        await host.get_by_role("button", name="Undo").click()
        await expect(host.get_by_test_id("current-title")).to_have_text(SESSION_2)
        await expect(agenda.filter(has_text="Break")).to_have_count(0)
        await expect(stage.get_by_test_id("stage-segment")).to_have_text(SESSION_2)
        await server.advance(seconds=1)  # the correction goes out
        corrections = [body for _, body in server.received if "Correction" in body]
        assert corrections and all(re.search(r"disregard[^\"]*Now: Break", body) for body in corrections)
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_host_inserts_a_session_and_renames_a_segment(browser, make_server):
    server = make_server(bangkok(15, 14))
    await server.start()
    try:
        host = await sign_in(browser, server, "host")
        form = host.get_by_test_id("rundown-form")
        await form.get_by_label("Upcoming segment").select_option("session-2")
        await form.get_by_label("Change").select_option("insert-session-after")
        await form.get_by_label("Length in minutes").fill("10")
        await form.get_by_label("Title").fill("Lightning talks")
        await form.get_by_role("button", name="Apply…").click()
        dialog = host.get_by_role("dialog")
        await expect(dialog).to_contain_text(f"Insert the 10 min session “Lightning talks” after {SESSION_2}?")
        await expect(dialog.get_by_test_id("confirm-end")).to_have_text("Projected end: 17:30 → 17:40 (+10 min)")
        await dialog.get_by_role("button", name="Apply", exact=True).click()
        agenda = host.locator("#segments li")
        await expect(agenda.filter(has_text="Lightning talks")).to_contain_text("15:45–15:55")

        await form.get_by_label("Upcoming segment").select_option("session-3")
        await form.get_by_label("Change").select_option("rename")
        await expect(form.get_by_label("Length in minutes")).to_be_hidden()  # a title change has no length
        await form.get_by_label("Title").fill("Session 3: Return and reintegration")
        await form.get_by_role("button", name="Apply…").click()
        await expect(dialog).to_contain_text("Rename Session 3")
        assert await axe_violations(host, {"include": [["#confirm"], ["#rundown-form"]]}) == []
        await dialog.get_by_role("button", name="Apply", exact=True).click()
        await expect(agenda.filter(has_text="Session 3: Return and reintegration")).to_have_count(1)
        await expect(host.get_by_test_id("undo-bar")).to_contain_text("Session 3")
        assert server.page_errors == []
    finally:
        await server.stop()
