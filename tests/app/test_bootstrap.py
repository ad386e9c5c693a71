"""The composition root (app/bootstrap.py): a caller's observers hear what the service's own hear,
routes read the started service from the lifespan state, and leaving `started()` stops every part."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import bootstrap
from app.core.vocabulary import DeliveryStatus, FireOutcome, InstanceRole
from app.engine.clock import ManualClock
from app.main import create_app
from tests.conftest import bangkok
from tests.fixtures import MEKONG, Recorder, asgi_client, make_settings, mekong_text

EVENT = "mekong-dialogue-2022"


async def test_a_callers_observers_hear_each_fired_cue_and_each_finished_delivery(database_url, service_for):
    fired: list[tuple[str, str, FireOutcome]] = []
    delivered: list[tuple[str, str]] = []
    observers = bootstrap.Observers(
        on_fire=(lambda event_id, row, outcome: fired.append((event_id, row.cue_id, outcome)),),
        on_delivery=(lambda row, values: delivered.append((row.id, values.get("status", ""))),),
    )
    service = await service_for(database_url, bangkok(13, 0), transport=Recorder(), observers=observers)
    settled = await service.at(bangkok(13, 30))  # the opening is due: fire it and deliver it
    assert settled and [(f.event_id, f.cue.cue_id, f.outcome) for f in settled] == fired
    sent = [delivery_id for delivery_id, status in delivered if status == DeliveryStatus.SENT]
    assert sent and len(sent) == len(set(sent))
    # the service's own listener heard the same cues: the metrics count each of them once
    counted = [
        sample.value
        for family in text_string_to_metric_families(service.runtime.metrics.exposition().decode())
        if family.name == "showcaller_cues"
        for sample in family.samples
        if sample.name == "showcaller_cues_total"
    ]
    assert sum(counted) == len(fired)


async def test_routes_read_the_started_service_from_the_lifespan_state(database_url, service_for):
    service = await service_for(database_url, bangkok(13, 0), tokens=["viewer"], login="viewer")
    second = create_app(service.settings, services=service.runtime)  # a second app on the same service
    async with asgi_client(second, headers=service.auth("viewer")) as client:
        plan = await client.get(f"/api/events/{EVENT}/plan")
    assert plan.status_code == 200 and plan.json()["event"]["id"] == EVENT
    with pytest.raises(dataclasses.FrozenInstanceError):
        service.runtime.engine = None  # type: ignore[misc]  # built once: nothing is assigned later


async def test_leaving_started_stops_every_part(sqlite_url, receiver_env):
    receiver_env("http://127.0.0.1:9")
    async with bootstrap.started(make_settings(sqlite_url), clock=ManualClock(bangkok(13, 0))) as services:
        await services.run.load_schedule(mekong_text(), str(MEKONG))
        assert services.role == InstanceRole.SINGLE
        assert services.running() == {"timer": True, "delivery_worker": True}
        assert services.engine.dispatch.hand_off is services.worker  # a single instance dispatches at once
    assert services.running() == {"timer": False, "delivery_worker": False}
    assert services.http.is_closed
