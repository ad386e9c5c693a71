"""The confirm page of a chat message's action button in Chromium: axe finds nothing critical or serious at
either size, and pressing works with scripts turned off (the page is a plain form)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from app.run.action_links import link_path
from app.store import action_links_repo
from tests.conftest import bangkok
from tests.fixtures import mekong_text
from tests.run.test_action_links import NBSP, NNBSP, in_french
from tests.web.a11y import LAPTOP, PHONE, SIZES, axe_violations, sideways_scroll
from tests.web.conftest import EVENT

pytestmark = pytest.mark.browser


async def findings(page, where: str) -> list[str]:
    found = []
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        found += [f"{where} {size}: {line}" for line in await axe_violations(page)]
        if (wider := await sideways_scroll(page)) > 0:
            found.append(f"{where} {size}: {wider} px wider than the screen")
    return found


async def test_the_action_page_is_accessible_and_works_without_script(browser, make_server):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        state = server.runtime.run.state(EVENT)
        running, upcoming = state["current"], state["next"]
        now = server.clock.now()
        async with server.runtime.db.begin() as conn:  # as a message to a target with buttons makes it
            token = await action_links_repo.create(
                conn,
                event_id=EVENT,
                verb="advance",
                expected=running["id"],
                expected_title=running["title"],
                target_id="hosts-slack",
                delivery_id=None,
                now=now,
                expires_at=now + timedelta(minutes=15),
            )
        url = server.url + link_path(EVENT, token)

        looker = await (await browser.new_context(viewport=LAPTOP)).new_page()
        looker.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await looker.goto(url)
        await expect(looker.get_by_role("heading", level=1)).to_have_text(f"Move on from {running['title']}?")
        found = await findings(looker, "action page (ready)")

        # Scripts off, as some chat apps' in-app browsers: the form alone acts.
        context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
        presser = await context.new_page()
        await presser.goto(url)
        await presser.get_by_role("button", name="Yes, move on").click()
        await expect(presser.get_by_test_id("action-heading")).to_have_text(f"Advanced to {upcoming['title']}")
        assert server.runtime.run.state(EVENT)["current"]["id"] == upcoming["id"]

        await looker.reload()  # a second look: used, and what it did
        await expect(looker.get_by_test_id("action-heading")).to_have_text("This button was already used")
        found += await findings(looker, "action page (used)")
        assert found == [], "\n".join(found)
        assert server.page_errors == []
    finally:
        await server.stop()


async def test_a_french_targets_action_page_reads_french_on_a_phone(browser, make_server):
    server = make_server(bangkok(14, 20))
    server.schedule_text = in_french(mekong_text())  # the event, so its hosts' Slack channel, in French
    await server.start()
    try:
        state = server.runtime.run.state(EVENT)
        running, upcoming = state["current"], state["next"]
        now = server.clock.now()
        async with server.runtime.db.begin() as conn:
            token = await action_links_repo.create(
                conn,
                event_id=EVENT,
                verb="advance",
                expected=running["id"],
                expected_title=running["title"],
                target_id="hosts-slack",
                delivery_id=None,
                now=now,
                expires_at=now + timedelta(minutes=15),
            )
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        page.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await page.goto(server.url + link_path(EVENT, token))
        assert await page.get_attribute("html", "lang") == "fr"
        heading = f"Terminer FR {running['id']} et passer à la suite{NNBSP}?"
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        found = [f"French action page 390x844: {line}" for line in await axe_violations(page)]
        if (wider := await sideways_scroll(page)) > 0:
            found.append(f"French action page 390x844: {wider} px wider than the screen")
        await page.get_by_role("button", name="Oui, passer à la suite").click()
        await expect(page.get_by_test_id("action-heading")).to_have_text(f"Passage à FR {upcoming['id']}")
        await expect(page.get_by_test_id("action-detail")).to_have_text(f"En cours{NBSP}: FR {upcoming['id']}.")
        assert found == [], "\n".join(found)
        assert server.page_errors == []
    finally:
        await server.stop()
