"""The console's Zoom card in real Chromium (issue 29 item 2): a host presses Pause, then Resume,
against the emulated Zoom; the badge follows Zoom's `recording.*` webhooks, not the buttons."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import update

from app.store.tables import zoom_objects
from tests.attendance.conftest import body_of, signed_headers
from tests.conftest import bangkok
from tests.schedules.test_zoom_actions import with_zoom
from tests.web.a11y import axe_violations
from tests.web.conftest import EVENT, sign_in
from tests.zoom.test_live_controls import Case, _meeting

pytestmark = pytest.mark.browser
ZOOM_WAIT = 15_000  # ms: the card reloads every 5 s; a webhook triggers no state frame by itself


async def forward(server, case: Case, sent: int) -> int:
    """Post the emulated Zoom's new webhooks to the server, signed, as Zoom would; process the inbox."""
    events = list(case.emu.state.events)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for event in events[sent:]:
            body = body_of(event)
            answer = await client.post("/webhooks/zoom", content=body, headers=signed_headers(body, server.clock.now()))
            assert answer.status_code < 300, answer.text
    await server.runtime.attendance.drain()
    return len(events)


async def test_pause_then_resume_follow_zoom_in_the_card(browser, make_server, shot):
    case = Case()
    meeting_id = await _meeting(case.client)
    await case.emu.live.start(meeting_id)
    server = make_server(bangkok(13, 59))
    server.schedule_text = with_zoom()
    server.runtime_kw = {"zoom_client_factory": lambda: case.client}
    await server.start()
    try:
        await server.record_zoom_meeting()
        async with server.runtime.db.begin() as conn:
            await conn.execute(update(zoom_objects).where(zoom_objects.c.event_id == EVENT).values(zoom_id=meeting_id))
        await server.advance(minutes=2)  # 14:01: the schedule started the recording at the opening
        sent = await forward(server, case, 0)
        assert case.emu.live.recording_state(meeting_id) == "recording"

        host = await sign_in(browser, server, "host")
        badge = host.get_by_test_id("zoom-recording")
        await expect(badge).to_have_text("Recording", timeout=ZOOM_WAIT)
        await expect(host.locator("#zoom-recording-since")).to_contain_text("since")
        await expect(host.locator("#zoom-next")).to_contain_text("Next in Zoom:")
        pause = host.get_by_role("button", name="Pause recording")
        resume = host.get_by_role("button", name="Resume recording")
        await expect(resume).to_be_disabled()

        await pause.click()
        await expect(host.locator("#zoom-recording-since")).to_contain_text("asked: Paused", timeout=ZOOM_WAIT)
        await expect(badge).to_have_text("Recording")  # Zoom has not said so yet
        await server.advance(seconds=1)  # the outbox carries it out
        assert case.emu.live.recording_state(meeting_id) == "paused"
        sent = await forward(server, case, sent)
        await expect(badge).to_have_text("Paused", timeout=ZOOM_WAIT)
        await expect(resume).to_be_enabled()
        await expect(pause).to_be_disabled()
        # The card with its buttons, badge and failure line: no serious or critical axe finding.
        assert await axe_violations(host, {"include": [["#zoom-card"]]}) == []

        await resume.click()
        await expect(host.locator("#zoom-recording-since")).to_contain_text("asked: Recording", timeout=ZOOM_WAIT)
        await server.advance(seconds=1)
        assert case.emu.live.recording_state(meeting_id) == "recording"
        sent = await forward(server, case, sent)
        await expect(badge).to_have_text("Recording", timeout=ZOOM_WAIT)

        # Stop asks first; cancelling leaves the recording running.
        await host.get_by_role("button", name="Stop recording").click()
        await expect(host.locator("#confirm")).to_be_visible()
        await host.keyboard.press("Escape")
        await server.advance(seconds=1)
        assert case.emu.live.recording_state(meeting_id) == "recording"
        await shot(host, "console-zoom-card")
        assert not server.page_errors, server.page_errors
    finally:
        await server.stop()
        await case.http.aclose()
