"""/readyz, /metrics, JSON log lines, and the API docs served without a CDN."""

from __future__ import annotations

import json
import logging
from collections import Counter

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.core.logs import JsonFormatter, TextFormatter
from app.store import outbox_repo
from tests.conftest import bangkok

EVENT = "mekong-dialogue-2022"
ZOOM_API = "https://zoom.test/v2"


def answers(request: httpx.Request) -> httpx.Response:
    """Receivers accept everything except Discord (404: parked); the Zoom API is rate limited."""
    if request.url.host == "zoom.test":
        return httpx.Response(429, json={"code": 429, "message": "Too many requests"})
    if request.url.path.startswith("/discord"):
        return httpx.Response(404, json={"message": "Unknown Webhook"})
    return httpx.Response(202 if request.url.path.startswith("/teams") else 200, text="ok")


@pytest.fixture(params=[False])
async def service(request, database_url, service_for):
    """The app over a runtime; the test drives the timer and worker unless the param says they run."""
    service = await service_for(
        database_url,
        bangkok(13, 29),
        settings={"zoom_api_base": ZOOM_API},
        transport=answers,
        run_timer=request.param,
        run_worker=request.param,
        base_url="http://showcaller.test",
    )
    return service.runtime, service.client


def samples(exposition: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def total(found: dict, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in found.items()
        if sample == name and all((k, v) in sample_labels for k, v in labels.items())
    )


async def test_metrics_count_what_the_store_recorded(service, caplog):
    runtime, client = service
    runtime.clock.set(bangkok(14, 20))
    with caplog.at_level(logging.INFO, logger="showcaller.run"):
        await runtime.engine.tick()
        await runtime.worker.drain()
    await (await runtime.http.get(f"{ZOOM_API}/users/me")).aread()
    webhook = await client.post("/webhooks/zoom", content=b"{}", headers={"content-type": "application/json"})
    async with runtime.db.begin() as conn:
        cues = await outbox_repo.list_cues(conn, EVENT)
        sent = await outbox_repo.list_deliveries(conn, EVENT, "sent")
        parked = await outbox_repo.list_deliveries(conn, EVENT, "parked")

    answer = await client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    fired = Counter(row.kind for row in cues if row.status == "fired")
    assert fired and sent and parked
    for kind, count in fired.items():
        outcomes = total(found, "showcaller_cues_total", kind=kind, outcome="fired") + total(
            found, "showcaller_cues_total", kind=kind, outcome="late"
        )
        assert outcomes == count, kind
    assert total(found, "showcaller_deliveries_total", status="sent") == len(sent)
    # The Mekong recording's start is parked too (no meeting applied here), counted under kind "zoom".
    in_zoom = [d for d in parked if d.target_id == "@zoom"]
    assert total(found, "showcaller_deliveries_total", status="parked", target_kind="discord") == len(parked) - len(
        in_zoom
    )
    assert total(found, "showcaller_deliveries_total", status="parked", target_kind="zoom") == len(in_zoom)
    assert total(found, "showcaller_deliveries_total", status="sent", target_kind="discord") == 0
    assert total(found, "showcaller_delivery_latency_seconds_count") == len(sent)
    assert total(found, "showcaller_timer_lag_seconds_count") == sum(fired.values())
    assert total(found, "showcaller_zoom_api_calls_total", method="GET", status="429") == 1
    assert total(found, "showcaller_zoom_api_rate_limited_total") == 1
    assert total(found, "showcaller_webhooks_total", status=str(webhook.status_code)) == 1
    assert total(found, "showcaller_webhook_seconds_count") == 1
    assert total(found, "showcaller_sse_clients", stream="console") == 0

    # Each delivery's log line names its event, cue and delivery.
    lines = [r for r in caplog.records if r.name == "showcaller.run" and r.getMessage().startswith("delivery ")]
    assert {r.delivery_id for r in lines} == {row.id for row in (*sent, *parked)}
    first = json.loads(JsonFormatter().format(lines[0]))
    assert first["event_id"] == EVENT and first["cue_id"] and first["delivery_id"] and first["level"]


async def test_sse_clients_gauge_counts_open_streams(service):
    runtime, client = service
    queue = runtime.broadcaster.subscribe(EVENT)
    found = samples((await client.get("/metrics")).text)
    assert total(found, "showcaller_sse_clients", stream="console") == 1
    runtime.broadcaster.unsubscribe(EVENT, queue)
    found = samples((await client.get("/metrics")).text)
    assert total(found, "showcaller_sse_clients", stream="console") == 0


@pytest.mark.parametrize("service", [True], indirect=True)
async def test_readyz_ready_lists_quarantined_events(service):
    runtime, client = service
    runtime.quarantined["broken-event"] = "schedule no longer validates: line 3"
    answer = await client.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ready"
    assert body["quarantined"] == {"broken-event": "schedule no longer validates: line 3"}
    assert body["checks"]["dispatcher"] == {"ok": True, "timer": True, "delivery_worker": True}
    assert body["checks"]["migrations"]["ok"] is True


@pytest.mark.parametrize("service", [True], indirect=True)
async def test_readyz_not_ready_when_migrations_are_behind(service):
    runtime, client = service
    async with runtime.db.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == "not_ready" and body["reason"] == "not ready: migrations"
    assert body["checks"]["migrations"]["current"] == ["0001"]


async def test_readyz_not_ready_without_the_dispatcher(database_url, service_for):
    service = await service_for(database_url, bangkok(13, 29), schedule=None, targets_at=None)
    answer = await service.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["reason"] == "not ready: dispatcher"
    assert answer.json()["checks"]["dispatcher"] == {"ok": False, "timer": False, "delivery_worker": False}


async def test_docs_pages_use_only_local_assets(service):
    _, client = service
    for path in ("/docs", "/redoc"):
        page = (await client.get(path)).text
        assert "/docs-static/" in page
        assert "cdn." not in page and "fonts.googleapis" not in page, path
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        answer = await client.get(f"/docs-static/{asset}")
        assert answer.status_code == 200 and len(answer.content) > 10_000, asset


def test_log_formatters_carry_the_run_context():
    record = logging.LogRecord("showcaller.run", logging.WARNING, __file__, 1, "delivery %s", ("parked",), None)
    record.event_id, record.cue_id, record.delivery_id = "ev", "session-1/start", "d-7"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "delivery parked" and entry["level"] == "warning"
    assert (entry["event_id"], entry["cue_id"], entry["delivery_id"]) == ("ev", "session-1/start", "d-7")
    assert entry["time"].endswith("Z")
    line = TextFormatter().format(record)
    assert line == "WARNING showcaller.run: delivery parked [event=ev cue=session-1/start delivery=d-7]"
