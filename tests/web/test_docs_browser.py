"""The API docs render in Chromium with no network beyond the service itself (no CDN)."""

from __future__ import annotations

import pytest

from tests.conftest import bangkok

pytestmark = pytest.mark.browser


async def test_swagger_ui_and_redoc_render_offline(browser, make_server, shot):
    server = make_server(bangkok(13, 0))
    await server.start()
    outside: list[str] = []

    async def only_local(route):
        url = route.request.url
        if url.startswith(server.url):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    try:
        page = await browser.new_page()
        await page.route("**/*", only_local)
        await page.goto(f"{server.url}/docs")
        await page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
        assert "Showcaller" in await page.inner_text(".swagger-ui .info .title")
        await page.wait_for_selector("[data-path='/api/events/{event_id}/advance']", timeout=30_000)
        await shot(page, "docs-swagger")
        await page.goto(f"{server.url}/redoc")
        await page.wait_for_selector("h1:has-text('Showcaller')", timeout=30_000)
        await shot(page, "docs-redoc", full_page=False)
        await page.close()
    finally:
        await server.stop()
    # ReDoc's "API docs by Redocly" footer asks for its own logo; blocked, it is just not shown.
    assert [url for url in outside if not url.endswith("cdn.redoc.ly/redoc/logo-mini.svg")] == []
