"""/metrics as Prometheus reads it, and the alert rules of docs/alerts.md evaluated against it: quiet on a
healthy single instance, firing (with target and reason) when a target's messages are parked."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.store import outbox_repo
from schedules.zoom_actions import ZOOM_TARGET
from tests.app.promql import Scrapes, fires
from tests.fixtures import EVENT, Recorder, bangkok
from tests.fixtures.databases import drop_postgres, fresh_postgres
from tests.fixtures.service import start_service
from tests.fixtures.settings import make_settings

ROOT = Path(__file__).resolve().parents[2]
RULES_BLOCK = re.compile(r"```yaml prometheus\n(.*?)```", re.S)
SCRAPE_INTERVAL = 60.0  # seconds between the two scrapes an evaluation sees


def rules() -> dict[str, str]:
    """{alert name: expr} from the rules block of docs/alerts.md."""
    block = RULES_BLOCK.search((ROOT / "docs" / "alerts.md").read_text()).group(1)  # type: ignore[union-attr]
    return {rule["alert"]: rule["expr"] for group in yaml.safe_load(block)["groups"] for rule in group["rules"]}


def samples(text: str, name: str) -> dict[frozenset, float]:
    """One metric's samples, parsed by prometheus_client's text parser: {labels: value}."""
    return {
        frozenset(s.labels.items()): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def firing(scrapes: Scrapes) -> dict[str, list[dict[str, str]]]:
    """The alerts that fire, each with the label sets it fires for."""
    found = {}
    for name, expr in rules().items():
        result = fires(expr, scrapes)
        if result:
            found[name] = [dict(labels) for labels in result]
    return found


async def scrape(service) -> str:
    answer = await service.client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return answer.text


async def on_time(service, until) -> int:
    """Fire every cue due up to `until` exactly at its time (no lag), delivering as it goes."""
    async with service.runtime.db.begin() as conn:
        due = sorted({r.due_at for r in await outbox_repo.list_cues(conn, EVENT) if r.due_at and r.due_at <= until})
    fired = 0
    for moment in due:
        if moment >= service.clock.now():
            fired += len(await service.at(moment))
    return fired


# -- the evaluator itself -----------------------------------------------------------------------------


def _exposition(lines: str) -> str:
    return "# TYPE c counter\n# TYPE g gauge\n# TYPE h histogram\n" + lines


def test_the_evaluator_reads_promql_as_prometheus_does():
    scrapes = Scrapes()
    scrapes.add(0, _exposition('c_total{t="a"} 1\ng 1\nh_bucket{le="1.0"} 0\nh_bucket{le="+Inf"} 0\n'))
    later = 'c_total{t="a"} 3\nc_total{t="b"} 5\ng 1\nh_bucket{le="1.0"} 4\nh_bucket{le="+Inf"} 10\nh_count 10\n'
    scrapes.add(60, _exposition(later))
    # increase needs two samples: b appeared already at 5 and shows nothing
    assert fires("sum by (t) (increase(c_total[5m])) > 0", scrapes) == {frozenset({("t", "a")}): 2.0}
    assert fires('increase(c_total{t=~"b|c"}[5m]) > 0', scrapes) == {}
    assert fires("sum(g) != 1", scrapes) == {}
    assert fires("sum(g) == 1", scrapes) == {frozenset(): 1.0}
    # 10 observations, 4 up to 1 s, 6 above: the 0.95 quantile is the highest finite bound
    assert fires("histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m]))) > 0.5", scrapes) == {frozenset(): 1.0}
    assert fires("histogram_quantile(0.2, sum by (le) (rate(h_bucket[5m]))) > 0", scrapes) == {frozenset(): 0.5}
    # a range that does not reach back to the first scrape sees one sample only
    assert fires("increase(c_total[30s]) > 0", scrapes) == {}
    empty = Scrapes()
    empty.add(0, _exposition('h_bucket{le="1.0"} 0\nh_bucket{le="+Inf"} 0\n'))
    empty.add(60, _exposition('h_bucket{le="1.0"} 0\nh_bucket{le="+Inf"} 0\n'))
    assert math.isnan(next(iter(fires("histogram_quantile(0.95, rate(h_bucket[5m]))", empty).values())))
    with pytest.raises(ValueError):
        fires("sum(g) offset 5m", scrapes)


def test_the_documented_rules_are_the_shapes_the_evaluator_reads():
    documented = rules()
    assert {"ShowcallerNoDispatcher", "ShowcallerTargetParked", "ShowcallerCuesLate"} <= set(documented)
    empty = Scrapes()
    empty.add(0, "")
    empty.add(SCRAPE_INTERVAL, "")
    for expr in documented.values():
        fires(expr, empty)  # parses (raises on a shape it does not know)
    readme = (ROOT / "README.md").read_text()
    assert "docs/alerts.md" in readme and "alerts.md" in (ROOT / "docs" / "operations.md").read_text()


# -- the rules against a running service --------------------------------------------------------------


async def test_no_rule_fires_on_a_healthy_single_instance(database_url, service_for):
    service = await service_for(
        database_url, bangkok(13, 29), transport=Recorder(), run_timer=True, run_worker=True, tokens=["viewer"]
    )
    scrapes = Scrapes()
    first = await scrape(service)
    scrapes.add(0, first)
    assert samples(first, "showcaller_dispatcher") == {frozenset(): 1.0}  # single and dispatching
    assert await on_time(service, bangkok(14, 0)) > 0
    await service.runtime.worker.drain()
    last = await scrape(service)
    scrapes.add(SCRAPE_INTERVAL, last)
    assert sum(v for k, v in samples(last, "showcaller_deliveries_total").items() if ("status", "sent") in k) > 0
    assert firing(scrapes) == {}


async def test_a_target_whose_variable_is_unset_fires_the_parked_alert(database_url, service_for):
    """The deliveries are parked as their cue fires, never attempted: counted by target and reason."""
    service = await service_for(
        database_url, bangkok(13, 29), transport=Recorder(), run_timer=True, run_worker=True, targets_at=None
    )
    scrapes = Scrapes()
    scrapes.add(0, await scrape(service))
    await on_time(service, bangkok(14, 0))
    last = await scrape(service)
    scrapes.add(SCRAPE_INTERVAL, last)
    async with service.runtime.db.begin() as conn:
        every = await outbox_repo.list_deliveries(conn, EVENT, "parked")
    # The recording's start (zoom.recording, issue 29) may park too (this service has no Zoom meeting),
    # depending on when the worker reaches it: this test is about chat targets, so @zoom is left out.
    parked = [row for row in every if row.target_id != ZOOM_TARGET]
    assert parked and all(row.attempts == 0 for row in parked)
    counted = samples(last, "showcaller_deliveries_parked_total")
    for target in {row.target_id for row in parked}:
        mine = sum(v for k, v in counted.items() if ("target", target) in k and ("reason", "unset") in k)
        assert mine == sum(1 for row in parked if row.target_id == target), target
    total = samples(last, "showcaller_deliveries_total")
    chat = {k: v for k, v in total.items() if ("target_kind", "unknown") not in k}  # @zoom is no schedule target
    assert sum(v for k, v in chat.items() if ("status", "parked") in k) == len(parked)
    alerts = firing(scrapes)
    assert set(alerts) == {"ShowcallerTargetParked"}, alerts
    assert {(a["target"], a["reason"]) for a in alerts["ShowcallerTargetParked"] if a["target"] != ZOOM_TARGET} == {
        (target, "unset") for target in {row.target_id for row in parked}
    }


async def test_a_target_that_refuses_fires_the_parked_alert(sqlite_url, service_for):
    def refuse_discord(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/discord"):
            return httpx.Response(404, json={"message": "Unknown Webhook"})
        return Recorder()(request)

    service = await service_for(sqlite_url, bangkok(13, 29), transport=refuse_discord, run_timer=True, run_worker=True)
    scrapes = Scrapes()
    scrapes.add(0, await scrape(service))
    await on_time(service, bangkok(14, 0))
    await service.runtime.worker.drain()
    scrapes.add(SCRAPE_INTERVAL, await scrape(service))
    discord = {t.id for t in service.runtime.schedule(EVENT).targets if t.kind.value == "discord"}
    alerts = firing(scrapes)
    assert set(alerts) == {"ShowcallerTargetParked"}, alerts
    assert {(a["target"], a["reason"]) for a in alerts["ShowcallerTargetParked"]} == {(t, "refused") for t in discord}


async def test_an_instance_that_does_not_dispatch_reads_0(sqlite_url, service_for):
    """Serving only (the timer and worker off), an instance does not dispatch: the alert sees nobody."""
    service = await service_for(sqlite_url, bangkok(13, 29), transport=Recorder())
    scrapes = Scrapes()
    for at in (0, SCRAPE_INTERVAL):
        scrapes.add(at, await scrape(service))
    assert samples(await scrape(service), "showcaller_dispatcher") == {frozenset(): 0.0}
    assert "ShowcallerNoDispatcher" in firing(scrapes)


@pytest.mark.postgres
async def test_a_standby_reads_0_and_the_pair_does_not_alert(database_templates):
    """Two instances on one PostgreSQL database: the lease holder reads 1, the standby 0, the sum 1."""
    url = await fresh_postgres(database_templates)
    started = []
    try:
        for schedule in ("mekong", None):
            kw: dict[str, Any] = {} if schedule else {"schedule": None}
            started.append(
                await start_service(
                    make_settings(url), bangkok(13, 29), transport=Recorder(), run_timer=True, run_worker=True, **kw
                )
            )
        texts = [await scrape(s) for s in started]
        assert [samples(t, "showcaller_dispatcher")[frozenset()] for t in texts] == [1.0, 0.0]
        assert [s.runtime.role for s in started] == ["dispatcher", "standby"]
        scrapes = Scrapes()
        scrapes.add(0, *texts)
        scrapes.add(SCRAPE_INTERVAL, *[await scrape(s) for s in started])
        assert "ShowcallerNoDispatcher" not in firing(scrapes)
    finally:
        for service in reversed(started):
            await service.stop()
        drop_postgres(database_templates, url)


# -- streams by kind ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def held_stream(app, path: str, headers: dict[str, str]) -> AsyncIterator[None]:
    """An event stream open in-process until the block ends (read to its first frame)."""
    first, leave = asyncio.Event(), asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("t", 80),
        "state": {},
    }
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message
        elif message["type"] == "http.response.body" and message.get("body"):
            first.set()

    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(first.wait(), 30)
        yield
    finally:
        leave.set()
        await asyncio.wait_for(task, 30)


async def test_open_streams_are_counted_by_kind(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(13, 29), transport=Recorder(), tokens=["host"])
    auth = service.auth("host")
    streams = {
        "console": f"/api/events/{EVENT}/stream",
        "stage": f"/api/events/{EVENT}/stage/stream",
        "agenda": f"/api/public/events/{EVENT}/stream",
    }

    def counts(text: str) -> dict[str, float]:
        return {dict(k)["stream"]: v for k, v in samples(text, "showcaller_sse_clients").items()}

    assert counts(await scrape(service)) == {"console": 0, "agenda": 0, "stage": 0}
    for kind, path in streams.items():
        async with held_stream(service.asgi, path, auth):
            assert counts(await scrape(service)) == {k: float(k == kind) for k in streams}, kind
    async with contextlib.AsyncExitStack() as stack:
        for path in streams.values():
            await stack.enter_async_context(held_stream(service.asgi, path, auth))
            await stack.enter_async_context(held_stream(service.asgi, path, auth))
        assert counts(await scrape(service)) == dict.fromkeys(streams, 2.0)
    assert counts(await scrape(service)) == dict.fromkeys(streams, 0.0)


async def test_cues_fired_late_fire_the_late_alert(sqlite_url, service_for):
    """A process that could not fire for 50 minutes (a stalled loop): its cues go out late."""
    service = await service_for(sqlite_url, bangkok(13, 29), transport=Recorder(), run_timer=True, run_worker=True)
    scrapes = Scrapes()
    scrapes.add(0, await scrape(service))
    assert await service.at(bangkok(14, 20))
    scrapes.add(SCRAPE_INTERVAL, await scrape(service))
    assert set(firing(scrapes)) == {"ShowcallerCuesLate"}
