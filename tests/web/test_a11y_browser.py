"""What axe-core finds in the console (live and ended), the public agenda and the presenter view, on a laptop
(1366x768) and a phone (390x844): no critical or serious violation. One browser and one server for the module's
one test, the pages reused at both sizes (a resize, not a new page), so the suite pays for the run once."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.conftest import bangkok
from tests.web.a11y import LAPTOP, PHONE, SIZES, axe_violations, sideways_scroll
from tests.web.conftest import EVENT, sign_in

pytestmark = pytest.mark.browser

LONGEST = 200  # a stage message's limit (app/run/stage_rules.py)


async def blocking(page, where: str) -> list[str]:
    """axe's findings (tests/web/a11y.py) at both sizes, and any sideways scrolling, each prefixed with
    where and at which size."""
    found = []
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        found += [f"{where} {size}: {line}" for line in await axe_violations(page)]
        if (wider := await sideways_scroll(page)) > 0:
            found.append(f"{where} {size}: {wider} px wider than the screen")
    return found


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def message_covers(stage) -> list[str]:
    """What of the timer and the lines around it the shown stage message covers (by their boxes)."""
    message = await stage.get_by_test_id("stage-message").bounding_box()
    assert message is not None
    covered = []
    for test_id in ("stage-clock-label", "stage-digits", "stage-level", "stage-next", "stage-you"):
        box = await stage.get_by_test_id(test_id).bounding_box()
        assert box is not None, test_id
        if _overlap(message, box):
            covered.append(test_id)
    return covered


async def test_console_agenda_and_presenter_view_pass_axe_at_both_sizes(browser, make_server, shot):
    server = make_server(bangkok(14, 20))
    await server.start()
    found: list[str] = []
    try:
        await server.record_zoom_meeting()
        host = await sign_in(browser, server, "host", viewport=LAPTOP)
        await host.get_by_role("button", name="Make missing presenter links").click()
        await expect(host.get_by_role("button", name=re.compile("^Copy link")).first).to_be_visible()
        await host.get_by_role("button", name="Respondent 1 (to be invited) 3:00").click()

        # The presenter view of a speaker's own link, at every level of the respondent's timer. A link
        # is shown once, to the console that made it: its Copy link button holds it.
        auth = {"Authorization": f"Bearer {server.tokens['host']}"}
        await host.evaluate("navigator.clipboard.writeText = async (text) => { window.copied = text; }")
        await host.get_by_role("button", name="Copy link to the presenter view of Nilim Baruah").click()
        link = await host.evaluate("window.copied")
        # Reduced motion: the level's colour changes at once, so axe never measures a colour mid-transition.
        stage = await (await browser.new_context(viewport=LAPTOP, reduced_motion="reduce")).new_page()
        stage.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await stage.goto(link.replace("http://127.0.0.1", server.url))
        await expect(stage.get_by_test_id("stage-you")).to_be_visible()
        await expect(stage.get_by_test_id("stage-clock-label")).to_have_text("Respondent 1 (to be invited)")
        for seconds, level in ((0, "ok"), (125, "warning"), (30, "danger"), (30, "over")):
            await server.advance(seconds=seconds)  # the warning cue also goes to Discord, which refuses it
            await expect(stage.get_by_test_id("stage")).to_have_attribute("data-level", level, timeout=5000)
            found += await blocking(stage, f"presenter view ({level})")

        # The console gets a failed delivery, a withdrawn cue (an undone Next) and a stage message.
        await expect(host.locator("#failed-count")).to_be_visible()
        await host.get_by_role("button", name=re.compile("^Next segment")).click()
        await expect(host.get_by_test_id("current-title")).to_have_text("Open discussion (Session 1)")
        await server.advance(seconds=0)  # the worker posts what the advance caused
        await host.get_by_test_id("undo-bar").get_by_role("button", name=re.compile("^Undo")).click()
        await expect(host.get_by_test_id("current-title")).to_have_text(re.compile("^Session 1"))
        await expect(host.locator("#cues li.cue.withdrawn").first).to_be_visible()
        await host.get_by_role("button", name="Please wrap up").click()
        await host.get_by_role("button", name="Show on stage").click()
        await expect(host.get_by_test_id("stage-shown")).to_contain_text("Please wrap up")

        await expect(stage.get_by_test_id("stage-message")).to_have_text("Please wrap up", timeout=5000)
        found += await blocking(stage, "presenter view (message)")
        # The message never covers the timer or the lines around it, at either size, even at its longest.
        words = ("Please keep to your time: " * 10)[:LONGEST]
        for text in ("Please wrap up", words):
            if text == words:
                async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=auth) as api:
                    answer = await api.post(f"/api/events/{EVENT}/stage", json={"message": text})
                assert answer.status_code == 201
            await expect(stage.get_by_test_id("stage-message")).to_have_text(text.strip(), timeout=5000)
            for size, viewport in SIZES.items():
                await stage.set_viewport_size(viewport)
                covered = await message_covers(stage)
                found += [f"presenter view {size}: the message covers {what}" for what in covered]
        await shot(stage, "a11y-stage-long-message-phone", full_page=False)

        agenda = await (await browser.new_context(viewport=PHONE, is_mobile=True)).new_page()
        agenda.on("pageerror", lambda error: server.page_errors.append(str(error)))
        await agenda.goto(f"{server.url}/agenda/{EVENT}")
        await expect(agenda.locator("li[data-segment=opening] .item-flag")).to_have_text("DONE")
        found += await blocking(agenda, "agenda")

        found += await blocking(host, "console (live)")
        await host.get_by_role("button", name="End event…").click()
        await host.get_by_role("dialog").get_by_role("button", name="End the event").click()
        await expect(host.get_by_test_id("run-status")).to_have_text("ENDED")
        found += await blocking(host, "console (ended)")
        # The ended agenda: every item done, a session's description open (done items were faded below 4.5:1).
        await expect(agenda.get_by_test_id("hero-title")).to_have_text(re.compile("^This event has ended"))
        await expect(agenda.locator("li[data-segment=session-1] .item-flag")).to_have_text("DONE")
        await agenda.locator("li[data-segment=session-1] summary").click()
        found += await blocking(agenda, "agenda (ended)")
        assert found == [], "\n".join(found)
        assert server.page_errors == []
    finally:
        await server.stop()
