"""Mounts the host console, the public agenda pages, their static files and the public API."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.api.deps import get_runtime
from app.api.openapi import HTML_NOT_FOUND
from app.core.vocabulary import DELIVERY_FAILED, ROLE_RANK
from app.web import public_api
from schedules.agenda_words import agenda_words
from schedules.audience import agenda_reader, event_locale, person_reader
from schedules.i18n import words_for
from schedules.locales import ENGLISH, NATIVE_DIGITS, Reader, has_native_digits, language_of, locale_id
from schedules.stage_words import stage_words

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/web-static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Pages load only same-origin scripts, styles and streams: a pasted token can't leak elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


class Assets(StaticFiles):
    """Static files browsers revalidate (cheap 304s), so imported modules are never stale."""

    async def get_response(self, path: str, scope):
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@functools.cache
def asset_version() -> str:
    """A short hash of the static files, added to their URLs so browsers never run stale code."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):  # fonts/ too
        digest.update(path.relative_to(STATIC_DIR).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:10]


async def _page(request: Request, template: str, event_id: str) -> HTMLResponse:
    runtime = get_runtime(request)
    await runtime.engine.ensure_loaded(event_id)  # still loading after a restart: load it now
    if event_id not in runtime.engine.event_ids():
        return templates.TemplateResponse(
            request, "missing.html", {"event_id": event_id}, status_code=404, headers=PAGE_HEADERS
        )
    schedule = runtime.schedule(event_id)
    event = schedule.event
    # Issue 30: who reads this page in which locale (?lang=, else Accept-Language); the page sets
    # lang= on each text it shows and formats times with `intl` (digits, calendar when asked).
    query = request.query_params
    reader = agenda_reader(
        schedule,
        query.get("lang"),
        request.headers.get("accept-language"),
        runtime.catalogs.available(),
        query.get("digits"),
        query.get("calendar"),
    )
    person = schedule.person(query.get("person") or "") if template == "stage.html" else None
    stage_reader = _page_reader(schedule, person, query.get("lang"), query.get("digits"))
    page_words = stage_words(words_for(stage_reader, runtime.catalogs))
    context = {
        "event_id": event_id,
        "title": event.title,
        "static": STATIC_PREFIX,
        "version": asset_version(),
        "lang": reader.tag,
        # The presenter view's words in its reader's locale, and the language of the file's own text.
        "words": page_words,
        "text_lang": Reader(event_locale(schedule)).tag,
        # The public agenda's own words (Now, Next, Agenda...) in its viewer's negotiated locale.
        "agenda_words": agenda_words(words_for(reader, runtime.catalogs)) if template == "agenda.html" else {},
        # The presenter view's countdown in native digits (km, lo, my, th) when its reader asks: '' otherwise.
        "stage_digits": native_digits(stage_reader),
        "intl": reader.intl if not reader.english else "en-GB",
        # The console's scripts read roles and failed statuses from the page instead of spelling them.
        "role_rank": ROLE_RANK,
        "failed_statuses": list(DELIVERY_FAILED),
    }
    return templates.TemplateResponse(request, template, context, headers=PAGE_HEADERS)


def _page_reader(schedule, person, lang: str | None, digits: str | None = None) -> Reader:
    """Who reads the presenter view: `?lang=` when it names a locale, else the person of the link;
    native digits when `?digits=native` or the person's `digits: native` asks and the locale has them."""
    reader = person_reader(schedule, person)
    if lang:
        try:
            reader = Reader(locale_id(lang)) if not locale_id(lang).startswith("en") else ENGLISH
        except ValueError:
            pass
    wanted = digits == "native" or (digits is None and person is not None and person.digits == "native")
    if wanted and reader.locale and has_native_digits(reader.locale):
        return Reader(reader.locale, "native", reader.calendar)
    return reader


def native_digits(reader: Reader) -> str:
    """The ten digits the presenter view writes its countdown with: '' for ASCII."""
    if reader.digits != "native" or not reader.locale:
        return ""
    return NATIVE_DIGITS.get(language_of(reader.locale), "")


def include(app: FastAPI) -> None:
    """Add the console, the agenda, their assets and the public agenda API to the app."""
    app.mount(STATIC_PREFIX, Assets(directory=str(STATIC_DIR)), name="web-static")
    app.include_router(public_api.router)

    @app.get(
        "/console/{event_id}",
        response_class=HTMLResponse,
        responses=HTML_NOT_FOUND,
        tags=["pages"],
        summary="Host console (sign in with a host or viewer token)",
    )
    async def console_page(event_id: str, request: Request):
        return await _page(request, "console.html", event_id)

    @app.get(
        "/agenda/{event_id}",
        response_class=HTMLResponse,
        responses=HTML_NOT_FOUND,
        tags=["pages"],
        summary="Public agenda in the viewer's own time zone",
    )
    async def agenda_page(event_id: str, request: Request):
        return await _page(request, "agenda.html", event_id)

    @app.get(
        "/stage/{event_id}",
        response_class=HTMLResponse,
        responses=HTML_NOT_FOUND,
        tags=["pages"],
        summary="Presenter view for the person speaking (opened by a stage link)",
    )
    async def stage_page(event_id: str, request: Request):
        return await _page(request, "stage.html", event_id)
