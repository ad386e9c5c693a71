"""From the console: a host downloads the post-event pack; a viewer is not offered it."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from tests.conftest import bangkok
from tests.web.conftest import EVENT, sign_in

pytestmark = pytest.mark.browser


async def test_host_downloads_the_pack_and_viewer_sees_no_button(browser, make_server, tmp_path, shot):
    server = make_server(bangkok(17, 40))
    await server.start()
    try:
        await server.record_zoom_meeting()
        host = await sign_in(browser, server, "host", accept_downloads=True)
        viewer = await sign_in(browser, server, "viewer")
        await expect(host.locator("#attendance-card")).to_be_visible()
        await expect(viewer.locator("#attendance-card")).to_be_visible()
        await expect(viewer.get_by_test_id("pack-download")).to_be_hidden()
        await shot(host, "console-pack-download")
        await host.get_by_label("Format").select_option("json")
        async with host.expect_download() as info:
            await host.get_by_test_id("pack-download").click()
        download = await info.value
        assert download.suggested_filename == f"{EVENT}-report.json"
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        pack = json.loads(saved.read_text(encoding="utf-8"))
        assert pack["event"]["id"] == EVENT and pack["personal_data"] is False
        assert [s["title"] for s in pack["segments"]][:2] == ["Technical set up and registration", "Opening remarks"]
        assert server.page_errors == []
    finally:
        await server.stop()
