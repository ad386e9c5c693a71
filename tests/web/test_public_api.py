"""The public agenda API and the pages' HTTP contract (no browser): fields, privacy, headers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from app.views.agenda import iso_ms
from app.web.routes import asset_version
from schedules.adjustments import Advance, Delay
from tests.conftest import bangkok
from tests.web.conftest import EVENT, receivers

AGENDA = f"/api/public/events/{EVENT}/agenda"


@pytest.fixture
async def served(sqlite_url, service_for):
    """The app in-process (ASGI) on a started runtime, Mekong schedule, 14:20 in Bangkok."""
    service = await service_for(sqlite_url, bangkok(14, 20), transport=receivers, base_url="http://sc.test")
    return service.client, service.runtime, service.clock


async def test_agenda_needs_no_token_and_tells_what_runs(served):
    client, _, _ = served
    answer = await client.get(AGENDA)
    assert answer.status_code == 200
    agenda = answer.json()
    assert agenda["status"] == "live" and agenda["held"] is False
    assert (agenda["current"], agenda["next"]) == ("session-1", "discussion-1")
    assert agenda["remaining"] == 25 * 60 and agenda["delay"] == 0
    assert agenda["now"] == "2022-05-30T07:20:00.000Z"
    assert agenda["starts_at"] == "2022-05-30T06:30:00Z" and agenda["starts_in"] == -50 * 60
    opening = next(s for s in agenda["segments"] if s["id"] == "opening")
    assert (opening["start"], opening["end"]) == ("2022-05-30T07:00:00Z", "2022-05-30T07:15:00Z")
    assert opening["speakers"][0] == {
        "name": "Chuop Narath",
        "honorific": "Mr.",
        "country": "Cambodia",
        "organisation": "Ministry of Labour and Vocational Training",
        "title": "Deputy Director General, General Department of Labour",
    }
    session = next(s for s in agenda["segments"] if s["id"] == "session-1")
    assert session["respondents"] == {"count": 2, "minutes": 3}


async def test_agenda_never_shows_private_fields(served):
    client, _, _ = served
    text = (await client.get(AGENDA)).text
    for private in (
        "@",
        "example.org",
        "email",
        "url_env",
        "SHOWCALLER_",
        "hosts-slack",
        "notes",
        "Followed by the group photo",
        "alternative_host",
        "zoom",
    ):
        assert private not in text, private
    speakers = [p for s in json.loads(text)["segments"] for p in s["speakers"] + s["moderators"]]
    public = {"name", "honorific", "title", "organisation", "country"}
    assert speakers and all(set(p) == public for p in speakers)


async def test_agenda_shows_projected_and_planned_times_after_a_delay(served):
    client, runtime, _ = served
    await runtime.engine.act(EVENT, lambda at: Delay(at, seconds=300))
    agenda = (await client.get(AGENDA)).json()
    session = next(s for s in agenda["segments"] if s["id"] == "session-1")
    assert session["end"] == "2022-05-30T07:50:00Z"
    assert session["planned_end"] == "2022-05-30T07:45:00Z"
    assert agenda["remaining"] == 30 * 60 and agenda["delay"] == 300


async def test_before_the_start_it_counts_down(served):
    client, _, clock = served
    clock.set(bangkok(13, 0))
    agenda = (await client.get(AGENDA)).json()
    assert agenda["status"] == "scheduled" and agenda["current"] is None
    assert agenda["next"] == "setup"
    assert agenda["starts_in"] == 30 * 60 and agenda["remaining"] is None


async def test_unknown_event_is_a_json_404_for_the_api_and_an_html_404_for_pages(served):
    client, _, _ = served
    answer = await client.get("/api/public/events/nope/agenda")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    for page in ("/console/nope", "/agenda/nope"):
        answer = await client.get(page)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
        assert "No event “nope”" in answer.text


@pytest.mark.parametrize(("page", "script"), [("console", "console.js"), ("agenda", "agenda.js")])
async def test_pages_load_only_same_origin_versioned_assets(served, page, script):
    client, _, _ = served
    answer = await client.get(f"/{page}/{EVENT}")
    assert answer.status_code == 200
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["referrer-policy"] == "no-referrer"
    html = answer.text
    # No inline code, nothing from a CDN.
    assert "<script>" not in html and "http://" not in html and "https://" not in html
    assert f'data-event="{EVENT}"' in html and "Mekong Dialogue on Labour Mobility" in html
    version = asset_version()
    for asset in (script, "common.css"):
        assert f"/web-static/{asset}?v={version}" in html
    # Modules imported by the page carry no version: they must be revalidated on every load.
    for asset in (script, "common.js", "common.css", "console-live.js"):
        served_asset = await client.get(f"/web-static/{asset}")
        assert served_asset.status_code == 200 and len(served_asset.content) > 500
        assert served_asset.headers["cache-control"] == "no-cache"


async def test_public_stream_refuses_beyond_its_capacity(served, monkeypatch):
    client, runtime, _ = served
    monkeypatch.setattr(runtime.settings, "public_streams_max", 0)  # SHOWCALLER_PUBLIC_STREAMS_MAX=0
    answer = await client.get(f"/api/public/events/{EVENT}/stream")
    assert answer.status_code == 503 and answer.json()["error"] == "too_many_streams"
    assert "poll" in answer.json()["reason"]


async def test_public_stream_sends_the_agenda_on_connect_and_after_each_change(make_server):
    server = make_server(bangkok(14, 20))
    await server.start()
    try:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
            client.stream("GET", f"/api/public/events/{EVENT}/stream") as stream,
        ):
            assert stream.headers["content-type"].startswith("text/event-stream")
            frames = _frames(stream.aiter_lines())
            first = await asyncio.wait_for(anext(frames), 5)
            assert first["current"] == "session-1"
            await server.runtime.engine.act(EVENT, lambda at: Advance(at))
            second = await asyncio.wait_for(anext(frames), 5)
            assert second["current"] == "discussion-1" and second["next"] == "session-2"
    finally:
        await server.stop()


async def _frames(lines):
    """Yield the JSON of each `event: agenda` frame."""
    event = None
    async for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "agenda":
            yield json.loads(line.removeprefix("data: "))


def test_iso_ms_keeps_milliseconds_for_clock_offset_correction():
    assert iso_ms(datetime(2022, 5, 30, 7, 20, 1, 987654, tzinfo=UTC)) == "2022-05-30T07:20:01.987Z"
