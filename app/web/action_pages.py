"""The pages behind the action buttons of host chat messages: GET shows, only POST acts.

HTML for people arriving from a chat message, not part of the API: kept out of the OpenAPI
document (its error statuses are pages, not the JSON `Error`). The link's secret is in the path,
so the access log redacts it (app/core/logs.py).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from app.api.deps import get_runtime
from app.core.errors import AppError
from app.core.public_url import base
from app.run.action_links import Page, link_path
from app.web.routes import PAGE_HEADERS, STATIC_PREFIX, asset_version, templates
from schedules import button_words
from schedules.button_words import page_words
from schedules.cue_words import event_title

# A page that acts must never be cached or shown in a frame.
HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}


async def _render(request: Request, event_id: str, token: str, page: Page) -> HTMLResponse:
    runtime = get_runtime(request)
    try:
        title = event_title(page.words, runtime.schedule(event_id))  # the event's title for the page's reader
    except AppError:
        title = "Showcaller"
    public = runtime.settings.public_url
    context = {
        "page": page,
        # The page's own lines and its `lang`, in the words its heading is in (the link's target's).
        "words": page_words(page.words),
        "title": title,
        "action": link_path(event_id, token),
        "console": f"{base(public)}/console/{event_id}" if public else f"/console/{event_id}",
        "static": STATIC_PREFIX,
        "version": asset_version(),
    }
    return templates.TemplateResponse(request, "action.html", context, status_code=page.status, headers=HEADERS)


async def _loaded(request: Request, event_id: str) -> Page | None:
    try:
        await get_runtime(request).engine.ensure_loaded(event_id)  # still loading after a restart: load it now
    except AppError:
        pass
    if event_id not in get_runtime(request).engine.event_ids():
        # No event: no file names a language, so English.
        return Page(404, "unknown", button_words.LINK_BROKEN, "Its event is not loaded on this service.")
    return None


def include(app: FastAPI) -> None:
    @app.get("/act/{event_id}/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def action_page(event_id: str, token: str, request: Request):
        page = await _loaded(request, event_id) or await get_runtime(request).action_links.view(event_id, token)
        return await _render(request, event_id, token, page)

    @app.post("/act/{event_id}/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def action_press(event_id: str, token: str, request: Request):
        page = await _loaded(request, event_id) or await get_runtime(request).action_links.press(event_id, token)
        return await _render(request, event_id, token, page)
